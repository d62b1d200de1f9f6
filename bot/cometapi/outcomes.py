"""Raw outcomes (an httpx exception, or status + headers + bytes) mapped onto the error tree
(errors.py). Pure functions: each is testable without a server. Every server-provided text
passes through `redact` before it lands in an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

import httpx

from bot.cometapi.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeout,
    AuthError,
    BadRequest,
    BadResponse,
    CometAPIError,
    NotFound,
    RateLimited,
    ServerError,
    UnknownAction,
)
from bot.cometapi.fields import as_int, as_str
from bot.cometapi.redact import redact, redact_data
from bot.cometapi.retry import parse_retry_after

# Everything httpx raises: InvalidURL, StreamError and CookieConflict are not HTTPErrors.
HTTPX_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, httpx.CookieConflict)

_UNKNOWN_ACTION = re.compile(r"unknown_action:\s*(\S+)")
_EXCERPT = 300


def transport_error(exc: httpx.TransportError, secrets: Sequence[str]) -> APIConnectionError:
    """Map an httpx failure; `sent` is False only when the request certainly never left."""
    detail = redact(f"{type(exc).__name__}: {exc}", secrets)
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return APITimeout(f"{detail} (not sent)", sent=False)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeout(detail, sent=True)
    if isinstance(exc, httpx.ConnectError | httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return APIConnectionError(f"{detail} (not sent)", sent=False)
    # Read/write errors and remote protocol errors (a dropped connection) are ambiguous.
    return APIConnectionError(detail, sent=True)


def http_error(exc: Exception, secrets: Sequence[str], *, status: int | None) -> CometAPIError:
    """Map any exception httpx raises (`HTTPX_ERRORS`). `status` is the answer's HTTP status
    when the failure came while reading that answer, None when there was no answer yet."""
    if isinstance(exc, httpx.TransportError):
        return transport_error(exc, secrets)
    detail = redact(f"{type(exc).__name__}: {exc}", secrets)[:_EXCERPT]
    if status is None:
        if isinstance(exc, httpx.InvalidURL | httpx.RequestNotRead):
            return APIConnectionError(f"{detail} (not sent)", sent=False)
        if isinstance(exc, httpx.StreamError):  # a request body stream failed part-way
            return APIConnectionError(detail, sent=True)
    # DecodingError, TooManyRedirects, a stream error while reading, any other HTTPError: the
    # server answered, so for a submit the service may have acted.
    return BadResponse(detail, status_code=status, maybe_processed=True)


def _parse(content: bytes) -> object:
    """json.loads that fails only with ValueError: deep nesting (RecursionError) included."""
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _looks_html(headers: Mapping[str, str], content: bytes) -> bool:
    ctype = headers.get("content-type", "").lower()
    head = content.lstrip()[:64].lower()
    return "html" in ctype or head.startswith((b"<!doctype", b"<html", b"<"))


def is_html_page(headers: Mapping[str, str], content: bytes) -> bool:
    """A web page where a picture or video was expected (a login or challenge page, an error
    page served with 200). Stricter than `_looks_html`: an SVG also starts with "<"."""
    head = content.lstrip()[:64].lower()
    return "text/html" in headers.get("content-type", "").lower() or head.startswith(
        (b"<!doctype html", b"<html")
    )


def _excerpt(content: bytes) -> str:
    return content[:_EXCERPT].decode("utf-8", "replace")


def _error_details(
    headers: Mapping[str, str], content: bytes, secrets: Sequence[str]
) -> tuple[object, str, int | None]:
    """(redacted body, redacted human detail, numeric code) of an error answer."""
    if not content.strip():
        return None, "", None
    if _looks_html(headers, content):
        return redact(_excerpt(content), secrets), "an HTML error page", None
    try:
        parsed: object = _parse(content)
    except ValueError:
        text = redact(_excerpt(content), secrets)
        return text, text.strip(), None
    body = redact_data(parsed, secrets)
    detail, code = "", None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # {"error": {"code", "message", "type": "comet_api_error"}}
            detail = as_str(error.get("message"))
            code = as_int(error.get("code"))
        else:  # gateway: {"description", "type": "upstream_error", "code"}
            detail = as_str(body.get("description")) or as_str(body.get("message"))
            detail = detail or as_str(error)
            code = as_int(body.get("code"))
    elif isinstance(body, str):
        detail = body
    return body, detail.strip(), code


def status_error(
    status: int, headers: Mapping[str, str], content: bytes, secrets: Sequence[str]
) -> APIStatusError:
    """The error for an HTTP error status (4xx/5xx)."""
    body, detail, code = _error_details(headers, content, secrets)
    if status == 429:
        retry_after = parse_retry_after(headers.get("retry-after-ms"))
        if retry_after is not None:
            retry_after /= 1000
        else:
            retry_after = parse_retry_after(headers.get("retry-after"))
        return RateLimited(status, body, detail, retry_after=retry_after)
    if status in (401, 403):
        return AuthError(status, body, detail)
    if status >= 500:
        return ServerError(status, body, detail)
    if status == 404 or (status == 400 and "task_no_found" in detail.lower()):
        return NotFound(status, body, detail)
    if status == 400:
        match = _UNKNOWN_ACTION.search(detail)
        if match:
            return UnknownAction(
                match.group(1), status, body, detail, code=code, description=detail
            )
        return BadRequest(status, body, detail, code=code, description=detail)
    return APIStatusError(status, body, detail)


def decode_json(
    status: int, headers: Mapping[str, str], content: bytes, secrets: Sequence[str]
) -> object:
    """Parsed JSON of a successful answer (may be None for `null`); raises for anything else."""
    if 300 <= status < 400:
        # Only a wrong path or a misconfigured base URL redirects; never follow it with the key.
        raise BadResponse(f"unexpected redirect (HTTP {status})", status_code=status)
    if status >= 400:
        raise status_error(status, headers, content, secrets)
    if not content.strip():
        raise BadResponse(f"empty body (HTTP {status})", status_code=status, maybe_processed=True)
    if _looks_html(headers, content):
        raise BadResponse("an HTML page instead of JSON", status_code=status)
    try:
        return _parse(content)
    except ValueError:
        raise BadResponse(
            "invalid or truncated JSON", status_code=status, maybe_processed=True
        ) from None
