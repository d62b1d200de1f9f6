"""HTTP for the client: requests with retries, bounded bodies, guarded downloads.

Every exception httpx can raise, and every answer, leaves here as an error of the tree
(errors.py); the mapping itself is pure and lives in outcomes.py, bounded reading in
bodies.py, the private-network guard in netguard.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from bot.cometapi.bodies import MAX_JSON_BYTES, content_encoding, read_body
from bot.cometapi.errors import (
    BadResponse,
    CometAPIError,
    NotMedia,
    RateLimited,
    ResponseTooLarge,
)
from bot.cometapi.netguard import Resolver, pin, system_resolve
from bot.cometapi.outcomes import HTTPX_ERRORS, decode_json, http_error, is_html_page, status_error
from bot.cometapi.redact import redact
from bot.cometapi.retry import retry_delay, should_retry

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

MAX_REDIRECTS = 5
_ERROR_BODY_LIMIT = 64 * 1024
# Sent with API calls: exactly what bodies.py can inflate (httpx would add br/zstd when
# their packages happen to be installed).
_API_ENCODINGS = "gzip, deflate"


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default


def _declared_length(response: httpx.Response) -> int | None:
    """Content-Length, when it counts the bytes we will get (an uncompressed body)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and content_encoding(response.headers) == "identity":
        return int(declared)
    return None


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
        resolver: Resolver | None = None,
        max_json_bytes: int = MAX_JSON_BYTES,
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
        self.resolve: Resolver = resolver or system_resolve
        self.max_json_bytes = max_json_bytes

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def _headers(self, url: httpx.URL) -> dict[str, str]:
        headers = {"Accept": "application/json", "Accept-Encoding": _API_ENCODINGS}
        if origin(url) == self._origin:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    async def with_retries(
        self,
        once: Callable[[], Awaitable[T]],
        *,
        is_submit: bool,
        what: str,
        final: Callable[[CometAPIError], bool] | None = None,
    ) -> T:
        """`once()` until it succeeds or retry.py says stop; `final(exc)` may stop it earlier
        (an answer that will not change, such as "no such route")."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await once()
            except CometAPIError as exc:
                if (final is not None and final(exc)) or not should_retry(
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
        final: Callable[[CometAPIError], bool] | None = None,
    ) -> object:
        """Parsed JSON of `method path` (None for `null`), retried per retry.py. `check` raises
        `BadResponse` for a wrong shape inside the retry loop, so it counts as a failed poll."""
        url = httpx.URL(self.base + path)

        async def once() -> object:
            data = await self._call_once(method, url, path, body)
            if check is not None:
                check(data)
            return data

        return await self.with_retries(
            once, is_submit=is_submit, what=f"{method} {path}", final=final
        )

    async def _call_once(self, method: str, url: httpx.URL, path: str, body: object) -> object:
        started = time.monotonic()
        status: int | None = None
        try:
            async with self.http.stream(
                method,
                url,
                json=body,
                headers=self._headers(url),
                timeout=self._timeout,
                follow_redirects=False,
            ) as response:
                status = response.status_code
                if status >= 300:
                    content = await read_body(
                        response, _ERROR_BODY_LIMIT, strict=False, what=f"{method} {path}"
                    )
                else:
                    declared = _declared_length(response)
                    if declared is not None and declared > self.max_json_bytes:
                        raise ResponseTooLarge(
                            self.max_json_bytes,
                            declared=declared,
                            status_code=status,
                            maybe_processed=True,
                        )
                    content = await read_body(
                        response, self.max_json_bytes, strict=True, what=f"{method} {path}"
                    )
        except HTTPX_ERRORS as exc:
            log.debug("%s %s: %s", method, path, type(exc).__name__)
            raise http_error(exc, self.secrets, status=status) from exc
        elapsed = (time.monotonic() - started) * 1000
        log.debug("%s %s -> %d (%.0f ms)", method, path, status, elapsed)
        return decode_json(status, response.headers, content, self.secrets)

    async def download(self, url: str, max_bytes: int) -> bytes:
        try:
            start = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise BadResponse("download: not a valid URL") from None
        return await self.with_retries(
            lambda: self._download_once(start, max_bytes), is_submit=False, what="download"
        )

    async def _download_once(self, current: httpx.URL, max_bytes: int) -> bytes:
        for _ in range(MAX_REDIRECTS + 1):
            if current.scheme not in ("http", "https") or not current.host:
                raise BadResponse("download: not an http(s) URL")
            # Recomputed per hop from the name, so a redirect to another host (or a host that
            # resolves to the base's IP) never carries the key.
            headers = self._headers(current)
            # Identity encoding asked for; a server may still compress, bodies.py bounds that.
            headers.update({"Accept": "*/*", "Accept-Encoding": "identity"})
            target, extensions = current, dict[str, Any]()
            if origin(current) != self._origin:
                # Every hop is resolved, checked and pinned again (DNS rebinding).
                target, pinned, extensions = await pin(current, self.resolve)
                headers.update(pinned)
            log.debug("GET %s%s (download)", current.host, current.path)
            status: int | None = None
            try:
                async with self.http.stream(
                    "GET",
                    target,
                    headers=headers,
                    extensions=extensions,
                    timeout=self._timeout,
                    follow_redirects=False,
                ) as response:
                    status = response.status_code
                    if response.is_redirect and "location" in response.headers:
                        current = current.join(response.headers["location"])
                        continue
                    if status >= 300:
                        content = await read_body(
                            response, _ERROR_BODY_LIMIT, strict=False, what="download"
                        )
                        if status < 400:
                            raise BadResponse("download: redirect without a location")
                        raise status_error(status, response.headers, content, self.secrets)
                    declared = _declared_length(response)
                    if declared is not None and declared > max_bytes:
                        raise ResponseTooLarge(max_bytes, declared=declared, status_code=status)
                    content = await read_body(response, max_bytes, strict=True, what="download")
            except HTTPX_ERRORS as exc:
                raise http_error(exc, self.secrets, status=status) from exc
            if not content:
                raise BadResponse("download: empty body", status_code=status)
            if is_html_page(response.headers, content):
                # A login, challenge or error page served with 200 is never a result.
                raise NotMedia("download: an HTML page, not a picture", status_code=status)
            return content
        raise BadResponse("download: too many redirects")
