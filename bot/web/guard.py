"""What every route of the web server does with a stranger's bytes before trusting any of them.

The server is on the internet, so anything may arrive: non-ASCII secrets (`hmac.compare_digest`
raises TypeError on non-ASCII str), Unicode digits (`"²".isdigit()` is True, `int("²")` raises),
JSON nested deeper than the recursion limit (RecursionError, not ValueError), lone surrogates
(`"\\ud800"` parses but cannot be stored), bodies that never end or lie about their encoding,
bytes aiohttp's own parser refuses. Each must end as a short 4xx, never as a 500 with a
traceback in the log.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

log = logging.getLogger(__name__)

MAX_ID = 2**63 - 1  # SQLite's INTEGER: a larger id could only raise OverflowError
_STATE = re.compile(r"[\x20-\x7e]{0,255}")
_DIGITS = re.compile(r"[0-9]+")


class BadBody(Exception):
    """The body could not be read: broken chunking, bad gzip, a client gone mid-upload."""


def plain_state(state: str) -> bool:
    """A submit's `state` echoed by a webhook: printable ASCII, at most 255 characters, and
    no number in it larger than a database id (whatever reads a job id out of it can then
    neither meet "²" nor overflow SQLite's INTEGER)."""
    if not _STATE.fullmatch(state):
        return False
    return all(int(run) <= MAX_ID for run in _DIGITS.findall(state))


def same_secret(given: str, expected: str) -> bool:
    """Constant-time equality that accepts any text (as bytes: str must be ASCII)."""
    return hmac.compare_digest(_utf8(given), _utf8(expected))


def _utf8(text: str) -> bytes:
    # surrogatepass: a lone surrogate must compare unequal, not raise.
    return text.encode("utf-8", "surrogatepass")


def storable(text: str) -> bool:
    """True when the text can be stored and logged (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_object(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None for anything else (not UTF-8, not JSON, nested past
    the recursion limit, a number past Python's digit limit, not an object)."""
    try:
        body: Any = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return body if isinstance(body, dict) else None


async def read_capped(request: web.Request, limit: int) -> bytes | None:
    """The body, or None past `limit` bytes (read from the stream, so the app-wide cap does
    not apply). Raises BadBody when the stream itself breaks."""
    if request.content_length is not None and request.content_length > limit:
        return None
    data = bytearray()
    try:
        async for chunk in request.content.iter_chunked(64 * 1024):
            data += chunk
            if len(data) > limit:
                return None
    except (HttpProcessingError, RequestPayloadError, ConnectionError) as exc:
        raise BadBody(type(exc).__name__) from exc
    return bytes(data)


class QuietParseErrors(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's request handler logger. aiohttp logs a request its parser refuses (bytes
    outside ASCII in the path, a line past 8 KiB, broken chunking) at ERROR with a traceback
    and the offending line, which can hold the webhook secret; and a body that fails to
    decode (bad gzip) again as "Unhandled exception" when it drains the rest after the
    handler. Those become one WARNING line with the error's class only; real handler
    failures keep their traceback."""

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kw: Any) -> None:
        if _client_fault(exc_info):
            self.warning("refused a malformed request: %s", type(exc_info).__name__)
            return
        super().exception(msg, *args, exc_info=exc_info, **kw)


def _client_fault(exc: object) -> bool:
    if isinstance(exc, HttpProcessingError):
        return 400 <= exc.code < 500
    return isinstance(exc, RequestPayloadError)


def quiet_logger() -> QuietParseErrors:
    return QuietParseErrors(logging.getLogger("aiohttp.server"), {})
