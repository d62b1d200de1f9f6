"""Secret redaction in messages, log records and tracebacks (faults.md #27)."""

from __future__ import annotations

import logging

import pytest

from bot.cometapi.redact import MASK, RedactingFilter, redact, redact_data

# Built from pieces so no scanner mistakes these fakes for real secrets.
DISCORD_TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0" + "." + "GaBcDe" + "." + "x" * 38
API_KEY = "sk-" + "A1b2C3d4E5f6G7h8I9j0" * 2
WEBHOOK = "https://discord.com/api/v10/webhooks/123456789012345678/" + "tok_EN-" * 10
INTERACTION = (
    "https://discord.com/api/v10/interactions/123456789012345678/" + "aW50ZXJ" * 12 + "/callback"
)


@pytest.mark.fault(27)
@pytest.mark.parametrize(
    ("text", "secret_part"),
    [
        (f"Authorization: Bearer {API_KEY}", API_KEY),
        ("header was bearer abc.def/ghi=", "abc.def/ghi="),
        (f"login with {DISCORD_TOKEN} failed", DISCORD_TOKEN),
        (f"key={API_KEY}&x=1", API_KEY),
        (f"POST {WEBHOOK}?wait=true", "tok_EN-"),
        (f"POST {INTERACTION}", "aW50ZXJ"),
    ],
)
def test_patterns(text: str, secret_part: str) -> None:
    cleaned = redact(text)
    assert secret_part not in cleaned
    assert MASK in cleaned


@pytest.mark.fault(27)
def test_url_ids_are_kept_and_callback_suffix_survives() -> None:
    cleaned = redact(f"POST {INTERACTION}")
    assert "/interactions/123456789012345678/[REDACTED]/callback" in cleaned
    assert "/webhooks/123456789012345678/[REDACTED]" in redact(WEBHOOK)


@pytest.mark.fault(27)
def test_explicit_secrets_longest_first_and_short_ignored() -> None:
    assert redact("key sk-test and sk-testing", ["sk-test", "sk-testing"]) == (
        f"key {MASK} and {MASK}"
    )
    assert redact("a b c", ["a", ""]) == "a b c"  # too short to be a secret
    assert redact("plain text with task-1234567890 and Bot connected") == (
        "plain text with task-1234567890 and Bot connected"
    )


@pytest.mark.fault(27)
def test_redact_data_walks_json() -> None:
    data = {"error": {"message": f"bad key {API_KEY}", "list": [f"Bearer {API_KEY}", 3]}}
    cleaned = redact_data(data)
    assert API_KEY not in repr(cleaned)
    assert isinstance(cleaned, dict)
    assert cleaned["error"]["list"][1] == 3


def _formatted(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(caplog.handler.format(r) for r in caplog.records)


@pytest.mark.fault(27)
def test_filter_redacts_args_message_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    redactor = RedactingFilter(["my-guild-key-123"])
    redactor.add_secret("late-added-secret")
    caplog.handler.addFilter(redactor)
    logger = logging.getLogger("tests.redact")
    try:
        with caplog.at_level(logging.DEBUG, logger="tests.redact"):
            logger.debug("using %s with %s", "my-guild-key-123", f"Bearer {API_KEY}")
            logger.info({"token": DISCORD_TOKEN})
            logger.warning("late-added-secret leaked %d times", 2)
            try:
                raise RuntimeError(f"POST {WEBHOOK} failed with key {API_KEY}")
            except RuntimeError:
                logger.exception("send failed")
            logger.error("stack", stack_info=True, extra={"note": "x"})
            logger.info("bad format %d", "not a number")
    finally:
        caplog.handler.removeFilter(redactor)
    text = _formatted(caplog)
    for secret in ("my-guild-key-123", API_KEY, DISCORD_TOKEN, "tok_EN-", "late-added-secret"):
        assert secret not in text
    assert "RuntimeError" in text  # the traceback is kept, only cleaned
    assert "send failed" in text
    assert "not a number" in text  # a broken format string still logs
