"""Bounded bodies, compressed or not, over a real loopback server: a gzip bomb stops at the cap
with little memory, a normal gzip JSON answer still works, unknown encodings are refused."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.cometapi.bodies import Inflater, content_encoding
from bot.cometapi.client import CometAPIClient
from bot.cometapi.errors import BadResponse, ResponseTooLarge, ServerError
from tests.cometapi.tinyserver import Tiny, tiny_server

KEY = "sk-tiny-test-key"
MIB = 1024 * 1024
BOMB_SIZE = 200 * MIB


def _gzip_bomb() -> bytes:
    """200 MB of zeros, gzip-compressed chunk by chunk (about 200 KB; never 200 MB in RAM)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MIB)
    parts = [packer.compress(zeros) for _ in range(BOMB_SIZE // MIB)]
    return b"".join([*parts, packer.flush()])


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = _gzip_bomb()
    assert len(data) < 300_000
    return data


@pytest.fixture
async def bomb_server(bomb: bytes) -> AsyncIterator[Tiny]:
    async def handler(request: web.Request) -> web.Response:
        status = 500 if request.path.startswith("/error") else 200
        ctype = "application/json" if request.path.startswith("/mj/") else "image/png"
        headers = {"Content-Encoding": "gzip", "Content-Type": ctype}
        return web.Response(body=bomb, status=status, headers=headers)

    async with tiny_server(handler) as tiny:
        yield tiny


@pytest.mark.fault(28)
@pytest.mark.parametrize(
    ("path", "error"), [("/img.png", ResponseTooLarge), ("/error", ServerError)]
)
async def test_gzip_bomb_download_stops_at_the_cap_in_little_memory(
    bomb_server: Tiny, path: str, error: type[Exception]
) -> None:
    async with CometAPIClient(bomb_server.base_url, KEY, max_attempts=1) as client:
        tracemalloc.start()
        try:
            with pytest.raises(error):
                await client.download(bomb_server.base_url + path, max_bytes=MIB)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # httpx's own decoding peaked at about 141 MiB for this body.
    assert peak < 10 * MIB, f"peak {peak / MIB:.1f} MiB"


async def test_gzip_bomb_as_a_json_answer_is_too_large_and_maybe_processed(
    bomb_server: Tiny,
) -> None:
    async with CometAPIClient(bomb_server.base_url, KEY) as client:
        with pytest.raises(ResponseTooLarge) as info:
            await client.imagine("x")
        with pytest.raises(ResponseTooLarge):
            await client.list_by_condition(["1"])
    assert info.value.max_bytes == 32 * MIB
    assert info.value.maybe_processed  # a 2xx answer: the submit may have made a job
    assert bomb_server.count("POST", "/mj/task/list-by-condition") == 1  # final, not retried


TASK = {"id": "1773314942177684", "status": "SUCCESS", "progress": "100%", "state": "j1"}


async def test_normal_compressed_json_answers_still_work() -> None:
    raw = json.dumps(TASK).encode()
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    answers = [  # (Content-Encoding, body), one per fetch
        ("gzip", gzip.compress(raw)),
        ("x-gzip", gzip.compress(raw)),
        ("deflate", zlib.compress(raw)),  # zlib-wrapped, as RFC 9110 says
        ("deflate", raw_deflate.compress(raw) + raw_deflate.flush()),  # raw, as some send it
        ("identity", raw),
    ]
    pending = list(answers)

    async def handler(request: web.Request) -> web.Response:
        encoding, body = pending.pop(0)
        headers = {"Content-Encoding": encoding}
        return web.Response(body=body, content_type="application/json", headers=headers)

    async with tiny_server(handler) as tiny, CometAPIClient(tiny.base_url, KEY) as client:
        for encoding, _ in answers:
            task = await client.fetch("1773314942177684")
            assert task is not None, encoding
            assert (task.id, task.state) == ("1773314942177684", "j1"), encoding
    assert tiny.count("GET", "/mj/task/1773314942177684/fetch") == len(answers)  # no retries


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br", "gzip, gzip"])
async def test_other_encodings_are_refused(encoding: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        body = json.dumps(TASK).encode()
        return web.Response(
            body=body, content_type="image/png", headers={"Content-Encoding": encoding}
        )

    async with (
        tiny_server(handler) as tiny,
        CometAPIClient(tiny.base_url, KEY, max_attempts=1) as client,
    ):
        with pytest.raises(BadResponse, match="unsupported Content-Encoding"):
            await client.download(tiny.base_url + "/img", max_bytes=MIB)
        with pytest.raises(BadResponse, match="unsupported Content-Encoding") as info:
            await client.imagine("x")
    assert info.value.maybe_processed


async def test_a_body_that_lies_about_gzip_is_a_bad_response() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG not gzip", headers={"Content-Encoding": "gzip"})

    async with (
        tiny_server(handler) as tiny,
        CometAPIClient(tiny.base_url, KEY, max_attempts=2) as client,
    ):
        with pytest.raises(BadResponse, match="not valid gzip"):
            await client.download(tiny.base_url + "/img", max_bytes=MIB)
    assert tiny.count("GET", "/img") == 2  # a garbled download is retried like a failed poll


# --- the inflater alone ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "identity"])
def test_inflater_byte_by_byte_and_exact_limits(encoding: str) -> None:
    original = bytes(range(256)) * 40
    packed = {
        "gzip": gzip.compress(original),
        "deflate": zlib.compress(original),
        "identity": original,
    }[encoding]
    for limit, full in ((len(original), False), (len(original) - 1, True)):
        inflater = Inflater(encoding, limit)
        for i in range(len(packed)):
            inflater.feed(packed[i : i + 1])
        inflater.flush()
        assert inflater.full is full
        assert inflater.out == (original[: limit + 1] if full else original)


def test_content_encoding_header() -> None:
    assert content_encoding({}) == "identity"
    assert content_encoding({"content-encoding": "identity"}) == "identity"
    assert content_encoding({"content-encoding": " GZIP "}) == "gzip"
    assert content_encoding({"content-encoding": "x-gzip"}) == "gzip"
    assert content_encoding({"content-encoding": "deflate, identity"}) == "deflate"
    for refused in ("br", "zstd", "gzip, gzip", "compress", "gzip, br"):
        assert content_encoding({"content-encoding": refused}) is None
