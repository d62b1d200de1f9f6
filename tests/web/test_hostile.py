"""Hostile bytes at every route of the bot's web server, sent raw over loopback (percent-encoding
as written, bytes outside ASCII, broken chunking): each gets a short 4xx, nothing is logged at
ERROR or with a traceback, nothing happens upstream, and the real link or hook still works."""

from __future__ import annotations

import asyncio
import base64
import gzip
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from PIL import Image

from tests.web.conftest import Web

NESTED = b"[" * 100_000 + b"]" * 100_000
NESTED_IN_OBJECT = b'{"mask": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
LONG_NUMBER = b'{"id": ' + b"1" * 5000 + b"}"  # past Python's int digit limit
SURROGATE = "\\ud800"  # a JSON escape that parses to a str SQLite cannot store


@dataclass(frozen=True)
class Raw:
    """One request exactly as it goes on the wire."""

    method: str
    target: bytes
    body: bytes = b""
    headers: tuple[bytes, ...] = ()
    chunked: bytes | None = None  # a raw (possibly broken) chunked body instead of `body`


async def send(port: int, req: Raw) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [req.method.encode() + b" " + req.target + b" HTTP/1.1", b"Host: 127.0.0.1"]
    lines += [b"Connection: close", *req.headers]
    if req.chunked is not None:
        lines.append(b"Transfer-Encoding: chunked")
        payload = req.chunked
    else:
        lines.append(b"Content-Length: %d" % len(req.body))
        payload = req.body
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + payload)
    try:
        data = await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def assert_quiet(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [(r.name, r.getMessage()) for r in bad]
    for secret in secrets:
        assert all(secret not in r.getMessage() for r in caplog.records)


def assert_refused(status: int, body: bytes) -> None:
    assert 400 <= status < 500, (status, body[:300])
    assert len(body) < 400 and b"Traceback" not in body, body[:300]


def json_post(target: bytes, body: bytes, *extra: bytes) -> Raw:
    return Raw("POST", target, body, (b"Content-Type: application/json", *extra))


def huge_chunks(total: int) -> bytes:
    chunk = b"A" * 65536
    return (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * (total // len(chunk) + 1) + b"0\r\n\r\n"


def good_mask() -> str:
    mask = Image.new("L", (512, 512), 0)
    mask.paste(255, (0, 0, 200, 200))
    buf = io.BytesIO()
    mask.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


# -- /healthz --------------------------------------------------------------------------


HEALTH: dict[str, Raw] = {
    "NUL after the path": Raw("GET", b"/healthz%00"),
    "invalid UTF-8 escape": Raw("GET", b"/healthz/%FF%FE"),
    "surrogate escape": Raw("GET", b"/healthz/%ED%A0%80"),
    "encoded slash and dots": Raw("GET", b"/healthz%2F..%2F..%2Fetc"),
    "raw bytes outside ASCII": Raw("GET", b"/healthz\xe2\x82\xac"),
    "raw invalid UTF-8": Raw("GET", b"/healthz\xff"),
    "request line past 8 KiB": Raw("GET", b"/healthz?" + b"x" * 9000),
    "header past 8 KiB": Raw("GET", b"/healthz", headers=(b"X-Big: " + b"y" * 9000,)),
    "POST with a huge body": Raw("POST", b"/healthz", b"x" * 400_000),
    "broken chunking": Raw("POST", b"/healthz", chunked=b"zz\r\nnope\r\n"),
}


@pytest.mark.parametrize("case", list(HEALTH), ids=list(HEALTH))
async def test_health_refuses_hostile_requests_quietly(
    web: Web, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = web.server.bound_port
    assert_refused(*await send(port, HEALTH[case]))
    assert await send(port, Raw("GET", b"/healthz")) == (200, b'{"ok": true}')
    assert_quiet(caplog)


# -- /hooks/mj/{secret} ----------------------------------------------------------------

Build = Callable[[Web], Raw]


def hook(body: bytes, *headers: bytes) -> Build:
    return lambda web: json_post(web.server.hook_path.encode(), body, *headers)


def hook_at(target: Callable[[str], bytes]) -> Build:
    return lambda web: json_post(target(web.server.hook_path), b'{"id": "1"}')


def hook_chunked(chunks: bytes, *headers: bytes) -> Build:
    return lambda web: Raw("POST", web.server.hook_path.encode(), b"", headers, chunks)


WEBHOOK: dict[str, Build] = {
    "wrong secret": hook_at(lambda p: b"/hooks/mj/nope"),
    "non-ASCII secret": hook_at(lambda p: b"/hooks/mj/%C3%A9t%C3%A9"),
    "secret plus non-ASCII": hook_at(lambda p: p.encode() + b"%E2%82%AC"),
    "secret as raw bytes outside ASCII": hook_at(lambda p: p.encode() + b"\xc3\xa9"),
    "NUL secret": hook_at(lambda p: b"/hooks/mj/%00"),
    "invalid UTF-8 escape": hook_at(lambda p: b"/hooks/mj/%FF%FE"),
    "surrogate escape": hook_at(lambda p: b"/hooks/mj/%ED%A0%80"),
    "encoded slash": hook_at(lambda p: p.encode() + b"%2F..%2F"),
    "path past 8 KiB": hook_at(lambda p: p.encode() + b"A" * 9000),
    "deeply nested JSON": hook(NESTED),
    "nested inside an object": hook(b'{"id": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"),
    "invalid UTF-8": hook(b'{"id": "\xff\xfe"}'),
    "a list": hook(b'[{"id": "1"}]'),
    "a string": hook(b'"1"'),
    "null": hook(b"null"),
    "not JSON": hook(b"{nope"),
    "huge body": hook(b'{"id": "1", "pad": "' + b"x" * 400_000 + b'"}'),
    "huge chunked body": hook_chunked(huge_chunks(400_000)),
    "broken chunking": hook_chunked(b"zz\r\nnope\r\n"),
    "bad gzip": hook(b"not gzip at all", b"Content-Encoding: gzip"),
    "gzip bomb": hook(
        gzip.compress(b'{"id": "' + b"1" * 2_000_000 + b'"}'), b"Content-Encoding: gzip"
    ),
    "Unicode digits in the id": hook('{"id": "²³"}'.encode()),
    "Arabic-Indic digits in the id": hook('{"id": "١٢٣"}'.encode()),
    "Unicode digits in the state": hook('{"id": "1", "state": "²"}'.encode()),
    "a state past SQLite's INTEGER": hook(b'{"id": "1", "state": "99999999999999999999"}'),
    "a lone surrogate in the state": hook(b'{"id": "1", "state": "' + SURROGATE.encode() + b'"}'),
    "a 40-digit id": hook(b'{"id": "' + b"7" * 40 + b'"}'),
    "a number past the digit limit": hook(LONG_NUMBER),
    "a boolean id": hook(b'{"id": true}'),
}


@pytest.mark.fault(12)
@pytest.mark.parametrize("case", list(WEBHOOK), ids=list(WEBHOOK))
async def test_webhook_refuses_hostile_requests_quietly(
    web: Web, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = web.server.bound_port
    upstream = len(web.stack.sim.requests)
    assert_refused(*await send(port, WEBHOOK[case](web)))
    assert len(web.stack.sim.requests) == upstream  # not even a re-fetch
    # The hook itself still answers (202: a task nobody knows).
    ok = json_post(web.server.hook_path.encode(), b'{"id": "123", "state": "1"}')
    assert (await send(port, ok))[0] == 202
    assert_quiet(caplog, web.server.secret)


# -- /region/... -----------------------------------------------------------------------

Region = Callable[[Web, str], list[Raw]]


def every_route(token: Callable[[Web, str], bytes]) -> Region:
    """The page, the image and a submit with a good body, at a hostile token."""

    def build(web: Web, link: str) -> list[Raw]:
        target = b"/region/" + token(web, link.rsplit("/", 1)[1])
        body = b'{"mask": "%s", "prompt": "x"}' % good_mask().encode()
        return [Raw("GET", target), Raw("GET", target + b"/image"), json_post(target, body)]

    return build


def resigned(index: int, value: Callable[[str], str]) -> Callable[[Web, str], bytes]:
    """The link's token with one field changed and signed again: only that field is hostile."""

    def token(web: Web, good: str) -> bytes:
        parts = good.split(".")[:4]
        parts[index] = value(parts[index])
        body = ".".join(parts)
        return quote(f"{body}.{web.region._sign(body)}").encode()

    return token


def submit(body: bytes | Callable[[], bytes], *headers: bytes, chunked: bool = False) -> Region:
    def build(web: Web, link: str) -> list[Raw]:
        target = link.removeprefix(web.base_url).encode()
        data = body() if callable(body) else body
        typed = any(h.lower().startswith(b"content-type:") for h in headers)
        kind = headers if typed else (b"Content-Type: application/json", *headers)
        return [
            Raw("POST", target, b"", kind, data) if chunked else Raw("POST", target, data, kind)
        ]

    return build


def with_prompt(prompt: bytes) -> Callable[[], bytes]:
    return lambda: b'{"mask": "%s", "prompt": "%s"}' % (good_mask().encode(), prompt)


REGION: dict[str, Region] = {
    "non-ASCII signature": every_route(lambda w, t: t[:-2].encode() + b"%C3%A9"),
    "signature as raw bytes outside ASCII": every_route(lambda w, t: t.encode() + b"\xc3\xa9"),
    "signed Unicode-digit session": every_route(resigned(0, lambda v: "²" + v)),
    "signed Arabic-Indic-digit user": every_route(resigned(1, lambda v: "١" + v)),
    "signed fullwidth-digit expiry": every_route(resigned(2, lambda v: "９" * 10)),
    "signed 25-digit session": every_route(resigned(0, lambda v: "9" * 25)),
    "signed non-ASCII nonce": every_route(resigned(3, lambda v: "né")),
    "token of 5000 characters": every_route(lambda w, t: t.encode() * 60),
    "token past 8 KiB": every_route(lambda w, t: b"A" * 9000),
    "only dots": every_route(lambda w, t: b"...."),
    "five empty fields": every_route(lambda w, t: b"a.b.c.d.e"),
    "NUL": every_route(lambda w, t: b"%00"),
    "encoded dots": every_route(lambda w, t: b"%2e%2e"),
    "encoded slash": every_route(lambda w, t: t.encode() + b"%2F.."),
    "invalid UTF-8 escape": every_route(lambda w, t: b"%FF%FE"),
    "surrogate escape": every_route(lambda w, t: t.encode() + b"%ED%A0%80"),
    "bad escape": every_route(lambda w, t: b"x%zz"),
    "double-encoded": every_route(lambda w, t: b"%252e%252e"),
    "deeply nested JSON": submit(NESTED),
    "nested inside an object": submit(NESTED_IN_OBJECT),
    "invalid UTF-8": submit(b'{"mask": "\xff\xfe", "prompt": "x"}'),
    "a list": submit(b'[{"mask": "x"}]'),
    "null": submit(b"null"),
    "a number past the digit limit": submit(b'{"mask": ' + b"1" * 5000 + b"}"),
    "a lone surrogate in the prompt": submit(with_prompt(SURROGATE.encode())),
    "huge body": submit(b'{"mask": "' + b"A" * 9_000_000 + b'"}'),
    "huge chunked body": submit(huge_chunks(9_000_000), chunked=True),
    "broken chunking": submit(b"zz\r\nnope\r\n", chunked=True),
    "bad gzip": submit(b"not gzip at all", b"Content-Encoding: gzip"),
    "not JSON at all": submit(b"mask=x", b"Content-Type: application/x-www-form-urlencoded"),
}


@pytest.mark.parametrize("case", list(REGION), ids=list(REGION))
async def test_region_routes_refuse_hostile_requests_quietly(
    web: Web, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    _, link = await web.open()
    caplog.set_level(logging.DEBUG)
    port = web.server.bound_port
    for req in REGION[case](web, link):
        assert_refused(*await send(port, req))
    assert web.modal_requests() == 0
    assert (await send(port, Raw("GET", link.removeprefix(web.base_url).encode())))[0] == 200
    assert_quiet(caplog)
