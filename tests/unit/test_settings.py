from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import load_settings, require_discord_token

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    for name in ("DISCORD_TOKEN", "COMETAPI_KEY", "DEFAULT_MODE", "WEB_PORT", "DEV_GUILD_IDS"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_use_the_simulator() -> None:
    settings = load_settings()
    assert settings.uses_simulator
    assert settings.default_mode.value == "fast"


def test_env_values_are_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMETAPI_KEY", "  sk-abc  ")
    monkeypatch.setenv("DEV_GUILD_IDS", "1, 2;3")
    monkeypatch.setenv("DEFAULT_MODE", "turbo")
    settings = load_settings()
    assert not settings.uses_simulator
    assert settings.dev_guild_ids == (1, 2, 3)
    assert "sk-abc" in settings.secrets()
    assert "sk-abc" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEFAULT_MODE", "warp"), ("WEB_PORT", "99999"), ("COMETAPI_BASE_URL", "ftp://x")],
)
def test_an_invalid_value_is_one_sentence(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    text = str(caught.value)
    assert name in text
    assert "\n" not in text
    assert text.endswith(".")


def test_missing_token_says_how_to_set_it() -> None:
    with pytest.raises(SettingsError, match="DISCORD_TOKEN"):
        require_discord_token(load_settings())
