from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.cli import main
from bot.cometapi.redact import MASK
from bot.log import register_secret, setup_logging

TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789"
KEY = "sk-live-0123456789abcdef0123"


@pytest.mark.fault(27)
def test_every_record_of_every_logger_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("DEBUG", [TOKEN, KEY])
    try:
        logging.getLogger("discord.client").warning("login with %s", TOKEN)
        logging.getLogger("bot.anything").info("Authorization: Bearer %s", KEY)
        logging.getLogger("httpx").warning(
            "POST https://discord.com/api/v10/webhooks/123/%s failed", "a" * 60
        )
        try:
            raise RuntimeError(f"boom {KEY}")
        except RuntimeError:
            logging.getLogger("bot.x").exception("failed")
        err = capsys.readouterr().err
        assert "login with" in err and "failed" in err
        assert TOKEN not in err
        assert KEY not in err
        assert "a" * 60 not in err
    finally:
        logging.getLogger().handlers.clear()


@pytest.mark.fault(27)
def test_the_entry_point_registers_every_configured_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Secrets in formats no pattern knows must still be redacted: `mjbot run` hands the
    configured ones to the log filter before anything runs."""
    odd = {
        "DISCORD_TOKEN": "plain-token-without-dots-42",
        "COMETAPI_KEY": "ck_live_0123456789",
        "MASTER_KEY": "master-secret-xyz",
        "WEBHOOK_SECRET": "hook-secret-abc",
    }
    monkeypatch.chdir(tmp_path)
    for name, value in odd.items():
        monkeypatch.setenv(name, value)

    async def leaky_run(settings: Any, token: str) -> None:
        for value in odd.values():
            logging.getLogger("discord.http").warning("oops: %s", value)

    monkeypatch.setattr("bot.app.run_bot", leaky_run)
    try:
        assert main(["run"]) == 0
        err = capsys.readouterr().err
        assert err.count(MASK) == len(odd)
        assert not [value for value in odd.values() if value in err]
    finally:
        logging.getLogger().handlers.clear()


@pytest.mark.fault(27)
def test_keys_loaded_later_are_redacted_once_registered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("INFO", [])
    try:
        register_secret("guild-key-in-no-known-format")
        logging.getLogger("bot.jobs").warning("using guild-key-in-no-known-format")
        err = capsys.readouterr().err
        assert "guild-key-in-no-known-format" not in err and MASK in err
    finally:
        logging.getLogger().handlers.clear()
