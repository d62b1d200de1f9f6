"""Reads at the HTTP boundary (httpx's in-process transport): retries of polls, fetch and
list-by-condition semantics, downloads (size limits, where the key goes), secrets and the pool."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from bot.cometapi.client import CometAPIPool
from bot.cometapi.errors import (
    APIConnectionError,
    AuthError,
    BadResponse,
    NotFound,
    ResponseTooLarge,
    ServerError,
    ValidationRejected,
)
from bot.cometapi.models import TaskStatus
from tests.cometapi.recorder import (
    BASE,
    COMET_ERROR,
    KEY,
    Handler,
    Recorder,
    envelope,
    raising,
    status,
)


@pytest.mark.fault(4)
@pytest.mark.fault(5)
@pytest.mark.fault(6)
async def test_polls_retry_every_transient_failure() -> None:
    task = {"id": "5", "status": "IN_PROGRESS", "progress": "40%"}
    answers: list[Handler] = [
        raising(httpx.ReadTimeout("slow")),
        status(503, "busy"),
        status(429, "slow down", {"Retry-After": "0.25"}),
        lambda r: httpx.Response(200, text="<html>"),
        lambda r: httpx.Response(200, json=task),
    ]
    rec = Recorder(lambda r: answers.pop(0)(r))
    async with rec.client(max_attempts=5) as client:
        fetched = await client.fetch("5")
    assert fetched is not None
    assert fetched.status is TaskStatus.IN_PROGRESS
    assert rec.sleeps == [0.5, 1.0, 0.25, 4.0]
    assert [r.url.path for r in rec.requests] == ["/mj/task/5/fetch"] * 5


async def test_polls_give_up_after_max_attempts() -> None:
    rec = Recorder(status(502, "bad gateway"))
    async with rec.client(max_attempts=3) as client:
        with pytest.raises(ServerError):
            await client.list_by_condition(["1"])
    assert len(rec.requests) == 3


@pytest.mark.fault(10)
@pytest.mark.parametrize(
    "handler",
    [
        status(400, {"description": "task_no_found ", "type": "upstream_error", "code": 4}),
        status(404, COMET_ERROR),
        lambda r: httpx.Response(200, content=b"null"),
    ],
)
async def test_fetch_unknown_task_is_none(handler: Handler) -> None:
    rec = Recorder(handler)
    async with rec.client() as client:
        assert await client.fetch("1773314942177684") is None
    assert len(rec.requests) == 1


async def test_fetch_fills_a_missing_id_and_rejects_wrong_shapes() -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"status": ""}))
    async with rec.client() as client:
        task = await client.fetch("77")
        assert task is not None
        assert task.id == "77"
        rec.handler = lambda r: httpx.Response(200, json=["x"])
        with pytest.raises(BadResponse):
            await client.fetch("77")


@pytest.mark.fault(11)
async def test_list_by_condition_batches_dedupes_and_keeps_the_most_advanced() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["ids"]
        rows: list[object] = [
            {"id": i, "status": "SUCCESS", "progress": "100%"} for i in reversed(ids) if i != "3"
        ]  # order is not guaranteed
        if "3" in ids:  # after a modal: a stale MODAL row beside the running one (as a number)
            rows += [{"id": "3", "status": "MODAL"}, {"id": 3, "status": "IN_PROGRESS"}]
        rows += [None, "junk", {"id": "999999", "status": "SUCCESS"}]  # junk and strangers
        return httpx.Response(200, json=rows)

    rec = Recorder(handler)
    ids = [str(n) for n in range(1, 251)] + ["3", "4"]  # duplicates asked once
    async with rec.client() as client:
        tasks = await client.list_by_condition(ids)
    sent = [json.loads(r.content)["ids"] for r in rec.requests]
    assert [len(batch) for batch in sent] == [100, 100, 50]
    assert [t.id for t in tasks] == [str(n) for n in range(1, 251)]
    assert tasks[2].status is TaskStatus.IN_PROGRESS


@pytest.mark.fault(6)
async def test_list_by_condition_needs_an_array() -> None:
    rec = Recorder(lambda r: httpx.Response(200, content=b"null"))
    async with rec.client(max_attempts=2) as client:
        with pytest.raises(BadResponse):
            await client.list_by_condition(["1"])
        assert await client.list_by_condition([]) == []
    assert len(rec.requests) == 2  # a bad answer is a failed poll, retried


async def test_image_seed() -> None:
    rec = Recorder(envelope(1, "1234567"))
    async with rec.client() as client:
        assert await client.image_seed("5") == "1234567"
        assert rec.requests[-1].url.path == "/mj/task/5/image-seed"
        rec.handler = envelope(4, None)
        assert await client.image_seed("5") is None
        rec.handler = status(404, "not here")
        assert await client.image_seed("5") is None


async def test_download_sends_the_key_only_to_the_base_origin() -> None:
    async def public(host: str, port: int) -> list[str]:  # the .test names do not resolve here
        return ["93.184.216.34"]

    def handler(request: httpx.Request) -> httpx.Response:
        # By Host: a pinned request goes to the checked IP with the name in its Host header.
        if request.headers["host"].startswith("api.example.test"):
            return httpx.Response(302, headers={"Location": "https://cdn.other.test/img.png"})
        return httpx.Response(200, content=b"\x89PNG-bytes")

    rec = Recorder(handler)
    async with rec.client(resolver=public) as client:
        data = await client.download(f"{BASE}/mj/image/5", max_bytes=1000)
        await client.download("https://cdn.other.test/direct.png", max_bytes=1000)
        await client.download("http://api.example.test:443/x.png", max_bytes=1000)  # other origin
    assert data == b"\x89PNG-bytes"
    auth = [r.headers.get("authorization") for r in rec.requests]
    # base → redirect to cdn; cdn direct; same host on another scheme/port → redirect to cdn
    assert auth == [f"Bearer {KEY}", None, None, None, None]
    assert rec.requests[0].headers["accept-encoding"] == "identity"


@pytest.mark.fault(28)
async def test_download_size_limits() -> None:
    rec = Recorder(lambda r: httpx.Response(200, content=b"x" * 5000))
    async with rec.client() as client:
        with pytest.raises(ResponseTooLarge) as declared:
            await client.download(f"{BASE}/big", max_bytes=4999)
        assert declared.value.declared == 5000

        async def chunks() -> Any:
            for _ in range(10):
                yield b"y" * 1000

        rec.handler = lambda r: httpx.Response(200, content=chunks())  # no Content-Length
        with pytest.raises(ResponseTooLarge):
            await client.download(f"{BASE}/stream", max_bytes=4000)
        rec.handler = lambda r: httpx.Response(200, content=b"x" * 5000)
        assert await client.download(f"{BASE}/big", max_bytes=5000) == b"x" * 5000
    assert len(rec.requests) == 3  # too large is final, never retried


async def test_download_errors() -> None:
    rec = Recorder(status(404, "gone"))
    async with rec.client() as client:
        with pytest.raises(NotFound):
            await client.download(f"{BASE}/x", max_bytes=10)
        rec.handler = lambda r: httpx.Response(302, headers={"Location": "/loop"})
        with pytest.raises(BadResponse, match="redirects"):
            await client.download(f"{BASE}/x", max_bytes=10)
        with pytest.raises(BadResponse, match="http"):
            await client.download("file:///etc/passwd", max_bytes=10)
        sent = len(rec.requests)
        for junk in ("http://[::1", "http://[nope]/x", "http://a\x00b/"):
            with pytest.raises(BadResponse, match="not a valid URL"):  # not httpx.InvalidURL
                await client.download(junk, max_bytes=10)
    assert len(rec.requests) == sent


@pytest.mark.fault(27)
async def test_the_key_never_reaches_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    echo = {"error": {"message": f"bad key Bearer {KEY} / {KEY}", "type": "comet_api_error"}}
    rec = Recorder(status(401, echo))
    with caplog.at_level(logging.DEBUG, logger="bot.cometapi"):
        async with rec.client() as client:
            with pytest.raises(AuthError) as info:
                await client.imagine("p")
            rec.handler = raising(httpx.ConnectError(f"failed for {KEY}"))
            with pytest.raises(APIConnectionError) as conn:
                await client.fetch("1")
            rec.handler = lambda r: httpx.Response(200, json={"code": 4, "description": KEY})
            with pytest.raises(ValidationRejected) as rejected:
                await client.imagine("p")
    for exc in (info.value, conn.value, rejected.value):
        assert KEY not in str(exc)
        assert KEY not in repr(exc.args)
    assert KEY not in json.dumps(info.value.body)
    assert KEY not in repr(client)
    assert caplog.records  # requests are logged at DEBUG …
    assert all(KEY not in r.getMessage() for r in caplog.records)  # … without the key


async def test_pool_shares_one_connection_pool_across_keys() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json=[])

    pool = CometAPIPool(BASE, timeout=5, transport=httpx.MockTransport(handler))
    async with pool:
        a, b = pool.client("sk-guild-one-key"), pool.client("sk-guild-two-key")
        await a.list_by_condition(["1"])
        await b.list_by_condition(["1"])
        await a.aclose()  # a pooled client does not close the shared pool
        await b.list_by_condition(["2"])
    assert seen == ["Bearer sk-guild-one-key", "Bearer sk-guild-two-key", "Bearer sk-guild-two-key"]
    with pytest.raises(RuntimeError, match="closed"):  # closed with the pool
        await b.list_by_condition(["3"])


@pytest.mark.fault(28)
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "http://10.1.2.3/x.png",
        "http://[::1]/x.png",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/x.png",
    ],
)
async def test_download_never_reaches_private_addresses(url: str) -> None:
    rec = Recorder(lambda r: httpx.Response(200, content=b"secret"))
    async with rec.client() as client:
        with pytest.raises(BadResponse):
            await client.download(url, max_bytes=1000)
    assert rec.requests == []


@pytest.mark.fault(28)
async def test_a_redirect_to_a_private_address_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://192.168.1.1/admin"})

    rec = Recorder(handler)
    async with rec.client() as client:
        with pytest.raises(BadResponse):
            await client.download(f"{BASE}/mj/image/5", max_bytes=1000)
    assert len(rec.requests) == 1  # the redirect target was never asked
