"""Bounded reading of HTTP bodies, compressed or not (faults.md #28).

httpx's own decoding (`aiter_bytes`, `.content`) inflates a compressed body without any limit:
a 200 KB gzip body can become hundreds of MB before a size check runs. So bodies are read raw
(`aiter_raw`) and inflated here with zlib's output limit, chunk by chunk, stopping at the cap.
Only gzip and deflate are understood; any other encoding is refused, never passed on undecoded.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

import httpx

from bot.cometapi.errors import BadResponse, ResponseTooLarge

# JSON answers are small (a task is a few KB, a batch of 100 well under 1 MB); this only stops
# a runaway or hostile body.
MAX_JSON_BYTES = 32 * 1024 * 1024
_GZIP = ("gzip", "x-gzip")
_STEP = 256 * 1024  # inflate in steps this big, so no intermediate chunk is huge


def content_encoding(headers: Mapping[str, str]) -> str | None:
    """ "identity", "gzip" or "deflate"; None for anything else (br, zstd, stacked, unknown)."""
    tokens = [t.strip().lower() for t in headers.get("content-encoding", "").split(",")]
    tokens = [t for t in tokens if t and t != "identity"]
    if not tokens:
        return "identity"
    if len(tokens) == 1 and tokens[0] in (*_GZIP, "deflate"):
        return "gzip" if tokens[0] in _GZIP else "deflate"
    return None


class Inflater:
    """Decodes one body into `out`, never more than `limit` + 1 bytes in total: the extra
    byte is how `full` knows the limit was passed."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.out = bytearray()
        self.full = False
        self._encoding = encoding
        self._pending = b""
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding == "gzip" else None

    def feed(self, data: bytes) -> None:
        if self.full or not data:
            return
        if self._encoding == "identity":
            self._keep(data)
            return
        if self._z is None:
            # deflate is zlib-wrapped per RFC 9110, but some servers send it raw: sniff the
            # zlib header (CM = 8, header checksum) on the first two bytes.
            self._pending += data
            if len(self._pending) < 2:
                return
            data, self._pending = self._pending, b""
            wrapped = data[0] & 0x0F == 8 and int.from_bytes(data[:2], "big") % 31 == 0
            self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        while data and not self.full and not self._z.eof:
            # max_length bounds each step's output; what zlib could not use yet waits in
            # unconsumed_tail, so a bomb never inflates past the room that is left.
            room = self.limit - len(self.out) + 1
            chunk = self._z.decompress(data, min(room, _STEP))
            self._keep(chunk)
            if not chunk and self._z.unconsumed_tail == data:
                break  # no progress: never spin
            data = self._z.unconsumed_tail

    def flush(self) -> None:
        if self.full:
            return
        if self._z is None:
            if self._pending:
                self.feed(self._pending)
            return
        self._keep(self._z.flush())

    def _keep(self, chunk: bytes) -> None:
        room = self.limit - len(self.out) + 1
        if len(chunk) >= room:
            self.full = True
            chunk = chunk[:room]
        self.out += chunk


async def read_body(response: httpx.Response, limit: int, *, strict: bool, what: str) -> bytes:
    """The decoded body, at most `limit` bytes. `strict` (a body we need): past the limit raise
    `ResponseTooLarge`, an undecodable or unknown encoding raises `BadResponse`. Otherwise (an
    error page, read for its message only) truncate, and give up quietly on a bad encoding.
    Both errors say `maybe_processed` for a 2xx answer: the service may have acted."""
    status = response.status_code
    processed = 200 <= status < 300
    try:
        # Only an in-process transport (tests) hands over a body httpx has already read and
        # decoded; over a network a streamed response is never read before this.
        ready: bytes | None = response.content
    except httpx.ResponseNotRead:
        ready = None
    encoding = content_encoding(response.headers) if ready is None else "identity"
    if encoding is None:
        if not strict:
            return b""
        raw = response.headers.get("content-encoding", "")[:40]
        raise BadResponse(
            f"{what}: unsupported Content-Encoding {raw!r}",
            status_code=status,
            maybe_processed=processed,
        )
    inflater = Inflater(encoding, limit)
    try:
        if ready is not None:
            inflater.feed(ready)
        else:
            async for raw_chunk in response.aiter_raw():
                inflater.feed(raw_chunk)
                if inflater.full:
                    break
        inflater.flush()
    except zlib.error:
        if not strict:
            return bytes(inflater.out[:limit])
        raise BadResponse(
            f"{what}: the body is not valid {encoding}",
            status_code=status,
            maybe_processed=processed,
        ) from None
    if not inflater.full:
        return bytes(inflater.out)
    if strict:
        raise ResponseTooLarge(limit, status_code=status, maybe_processed=processed)
    return bytes(inflater.out[:limit])
