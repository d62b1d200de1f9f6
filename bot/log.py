"""The one logging setup: levels, quiet libraries, and secret redaction on every record."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from bot.cometapi.redact import RedactingFilter

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_NOISY = ("httpx", "httpcore", "discord.http", "discord.gateway", "aiohttp.access")
_active: RedactingFilter | None = None  # the filter of the current setup, for new secrets


def register_secret(secret: str) -> None:
    """Redact `secret` from every log line from now on: call it wherever a key enters the
    process other than through Settings (a guild's own CometAPI key, when it is loaded)."""
    if _active is not None:
        _active.add_secret(secret)


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> RedactingFilter:
    """Configure the root logger once; returns the filter so new secrets can be added."""
    global _active
    redactor = RedactingFilter(list(secrets))
    _active = redactor
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    # On the handler, so records from every logger (libraries included) pass through it.
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return redactor
