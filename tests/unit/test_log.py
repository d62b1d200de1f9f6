from __future__ import annotations

import logging

import pytest

from bot.log import setup_logging

TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789"
KEY = "sk-live-0123456789abcdef0123"


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
