"""The one logging setup: levels, quiet libraries, and secret redaction on every record."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from bot.cometapi.redact import RedactingFilter

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_NOISY = ("httpx", "httpcore", "discord.http", "discord.gateway", "aiohttp.access")


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> RedactingFilter:
    """Configure the root logger once; returns the filter so new secrets can be added."""
    redactor = RedactingFilter(list(secrets))
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
