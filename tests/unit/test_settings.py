from __future__ import annotations

from pathlib import Path

import pytest

from bot.db.url import DatabaseURL
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


def test_the_example_env_file_loads_as_it_is() -> None:
    settings = load_settings(_env_file=ROOT / ".env.example")
    assert settings.shard_count is None and settings.shard_ids == () and settings.owner == "main"
    assert settings.database == settings.database_path  # DATABASE_URL empty: the SQLite file


def test_shards_and_the_process_name() -> None:
    settings = load_settings(shard_count=8, shard_ids="4-5, 7")
    assert settings.shard_ids == (4, 5, 7) and settings.owner == "shards-4,5,7"
    assert not settings.syncs_commands  # shard 0's process syncs the commands
    assert load_settings(shard_count=2, shard_ids="0").syncs_commands
    assert load_settings(shard_count=2, shard_ids="1", process_name="b").owner == "b"
    with pytest.raises(SettingsError, match="SHARD_IDS needs SHARD_COUNT"):
        load_settings(shard_ids="0-1")
    with pytest.raises(SettingsError, match="below SHARD_COUNT"):
        load_settings(shard_count=2, shard_ids="1-2")
    with pytest.raises(SettingsError, match="like 0-3"):
        load_settings(shard_count=2, shard_ids="one")


def test_a_database_url_is_a_secret() -> None:
    url = "postgresql://mjbot:hunter2@db:5432/mjbot"
    settings = load_settings(database_url=url)
    assert settings.database == url and url in settings.secrets()
    assert "hunter2" not in repr(settings)
    parsed = DatabaseURL.parse(url)
    assert parsed.path is None and "hunter2" not in parsed.safe
    assert parsed.driver_url.startswith("postgresql+asyncpg://")
    assert DatabaseURL.parse("sqlite:///data/x.db").path == Path("data/x.db")
