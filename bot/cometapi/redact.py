"""Secret redaction for log lines, exception text and error messages (faults.md #27).

Known secrets (the configured keys and tokens) are removed verbatim; patterns catch the ones
the bot never saw: `Bearer` values, Discord bot tokens, `sk-` API keys, and the token parts of
webhook and interaction URLs.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "[REDACTED]"

# Shorter "secrets" would blank out ordinary words; no real key or token is this short.
_MIN_SECRET_LEN = 6
_MAX_DEPTH = 32

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization header values, wherever they were echoed.
    (re.compile(r"\b(Bearer)(\s+)[^\s\"',;]+", re.IGNORECASE), rf"\1\2{MASK}"),
    # Discord bot tokens: base64 user id . timestamp . HMAC (lengths have grown over the years).
    (re.compile(r"(?<![\w-])[\w-]{23,28}\.[\w-]{6,7}\.[\w-]{27,}"), MASK),
    (re.compile(r"\bmfa\.[\w-]{20,}"), MASK),
    # OpenAI-style API keys, as CometAPI issues them.
    (re.compile(r"(?<![\w-])sk-[A-Za-z0-9_-]{8,}"), MASK),
    # Webhook and interaction tokens travel in URL paths.
    (re.compile(r"(/webhooks/\d+/)[^/\s?#\"'<>]+"), rf"\1{MASK}"),
    (re.compile(r"(/interactions/\d+/)[^/\s?#\"'<>]+"), rf"\1{MASK}"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every given secret and every secret-looking pattern replaced by a mask."""
    # Longest first, so a secret that contains another is removed whole.
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_SECRET_LEN}, key=len)[::-1]:
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Redacts each record's final message, exception text and stack text in place.

    Put it on handlers (not loggers) so records from every library pass through it. The message
    is formatted first, because a secret often arrives through `%s` args.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset(s for s in secrets if s)

    def add_secret(self, secret: str) -> None:
        """Also redact `secret` from now on (e.g. a guild's key when it is loaded)."""
        if secret:
            with self._lock:
                self._secrets = self._secrets | {secret}

    @property
    def secrets(self) -> frozenset[str]:
        return self._secrets

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def redact_data(value: object, secrets: Iterable[str] = (), *, _depth: int = 0) -> object:
    """A copy of parsed JSON with every string redacted (keys included). Nesting deeper than
    `_MAX_DEPTH` (never seen in a real answer) is cut, so a hostile body cannot exhaust the
    stack."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list | dict) and _depth >= _MAX_DEPTH:
        return "[nested too deeply]"
    if isinstance(value, list):
        return [redact_data(item, secrets, _depth=_depth + 1) for item in value]
    if isinstance(value, dict):
        return {
            redact(str(k), secrets): redact_data(v, secrets, _depth=_depth + 1)
            for k, v in value.items()
        }
    return value
