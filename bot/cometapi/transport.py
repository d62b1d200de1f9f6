"""HTTP for the client: requests with retries, bounded downloads, and the one place where raw
outcomes become the error tree (errors.py).

The mapping functions are pure (status, headers, bytes), so each is testable without a server.
Every server-provided text passes through `redact` before it lands in an error.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

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
    ResponseTooLarge,
    ServerError,
    UnknownAction,
    UnsafeURL,
)
from bot.cometapi.models import as_int, as_str
from bot.cometapi.redact import redact, redact_data
from bot.cometapi.retry import parse_retry_after, retry_delay, should_retry

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

MAX_REDIRECTS = 5
_UNKNOWN_ACTION = re.compile(r"unknown_action:\s*(\S+)")
_EXCERPT = 300
_ERROR_BODY_LIMIT = 64 * 1024


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


def _looks_html(headers: Mapping[str, str], content: bytes) -> bool:
    ctype = headers.get("content-type", "").lower()
    head = content.lstrip()[:64].lower()
    return "html" in ctype or head.startswith((b"<!doctype", b"<html", b"<"))


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
        parsed: object = json.loads(content)
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
        return json.loads(content)
    except ValueError:
        raise BadResponse(
            "invalid or truncated JSON", status_code=status, maybe_processed=True
        ) from None


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default


class Transport:
    """Requests with retries for one API key over a (possibly shared) `httpx.AsyncClient`.

    The key goes only to the configured base origin, and only in the Authorization header.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: httpx.URL,
        api_key: str,
        *,
        timeout: float,
        max_attempts: int,
        sleep: Sleep,
        rand: Callable[[], float],
    ) -> None:
        self.http = http
        self.base = str(base_url).rstrip("/")
        self.secrets = (api_key,)
        self._origin = origin(base_url)
        self._key = api_key
        self._timeout = httpx.Timeout(timeout)
        self._max_attempts = max(1, max_attempts)
        self._sleep = sleep
        self._rand = rand

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def _headers(self, url: httpx.URL) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if origin(url) == self._origin:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    async def with_retries(
        self, once: Callable[[], Awaitable[T]], *, is_submit: bool, what: str
    ) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await once()
            except CometAPIError as exc:
                if not should_retry(
                    exc, is_submit=is_submit, attempt=attempt, max_attempts=self._max_attempts
                ):
                    raise
                retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
                delay = retry_delay(attempt, retry_after=retry_after, rand=self._rand)
                log.debug(
                    "%s failed (%s: %s); attempt %d/%d, retrying in %.2fs",
                    what,
                    type(exc).__name__,
                    exc,
                    attempt,
                    self._max_attempts,
                    delay,
                )
                await self._sleep(delay)

    async def call(
        self,
        method: str,
        path: str,
        body: object,
        *,
        is_submit: bool,
        check: Callable[[object], None] | None = None,
    ) -> object:
        """Parsed JSON of `method path` (None for `null`), retried per retry.py. `check` raises
        `BadResponse` for a wrong shape inside the retry loop, so it counts as a failed poll."""
        url = httpx.URL(self.base + path)

        async def once() -> object:
            data = await self._call_once(method, url, path, body)
            if check is not None:
                check(data)
            return data

        return await self.with_retries(once, is_submit=is_submit, what=f"{method} {path}")

    async def _call_once(self, method: str, url: httpx.URL, path: str, body: object) -> object:
        started = time.monotonic()
        try:
            response = await self.http.request(
                method,
                url,
                json=body,
                headers=self._headers(url),
                timeout=self._timeout,
                follow_redirects=False,
            )
        except httpx.TransportError as exc:
            log.debug("%s %s: %s", method, path, type(exc).__name__)
            raise transport_error(exc, self.secrets) from exc
        elapsed = (time.monotonic() - started) * 1000
        log.debug("%s %s -> %d (%.0f ms)", method, path, response.status_code, elapsed)
        return decode_json(response.status_code, response.headers, response.content, self.secrets)

    async def download(self, url: str, max_bytes: int) -> bytes:
        return await self.with_retries(
            lambda: self._download_once(url, max_bytes), is_submit=False, what="download"
        )

    async def _download_once(self, url: str, max_bytes: int) -> bytes:
        current = httpx.URL(url)
        for _ in range(MAX_REDIRECTS + 1):
            if current.scheme not in ("http", "https") or not current.host:
                raise BadResponse("download: not an http(s) URL")
            if origin(current) != self._origin:
                await refuse_private_host(current.host)
            # Recomputed per hop, so a redirect to another host never carries the key.
            headers = self._headers(current)
            # Identity encoding: a compressed body could inflate far past max_bytes per chunk.
            headers.update({"Accept": "*/*", "Accept-Encoding": "identity"})
            log.debug("GET %s%s (download)", current.host, current.path)
            try:
                async with self.http.stream(
                    "GET", current, headers=headers, timeout=self._timeout, follow_redirects=False
                ) as response:
                    if response.is_redirect and "location" in response.headers:
                        current = current.join(response.headers["location"])
                        continue
                    if response.status_code >= 300:
                        content = await _read_limited(response, _ERROR_BODY_LIMIT, strict=False)
                        if response.status_code < 400:
                            raise BadResponse("download: redirect without a location")
                        code = response.status_code
                        raise status_error(code, response.headers, content, self.secrets)
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise ResponseTooLarge(max_bytes, declared=int(declared))
                    content = await _read_limited(response, max_bytes, strict=True)
            except httpx.TransportError as exc:
                raise transport_error(exc, self.secrets) from exc
            if not content:
                raise BadResponse("download: empty body")
            return content
        raise BadResponse("download: too many redirects")


async def refuse_private_host(host: str) -> None:
    """Result links come from upstream: never let one (or a redirect) reach this machine or
    its network. Only CometAPI's own origin may be local (the simulator). The check resolves
    the name, so a public name pointing at a private address is refused too."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError as exc:
        raise UnsafeURL(f"download: cannot resolve {host}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise UnsafeURL(f"download: {host} is not a public address")


async def _read_limited(response: httpx.Response, limit: int, *, strict: bool) -> bytes:
    """Read at most `limit` bytes; above it raise (`strict`) or truncate."""
    buffer = bytearray()
    async for chunk in response.aiter_bytes():
        buffer += chunk
        if len(buffer) > limit:
            if strict:
                raise ResponseTooLarge(limit)
            return bytes(buffer[:limit])
    return bytes(buffer)
