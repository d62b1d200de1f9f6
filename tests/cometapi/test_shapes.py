"""Nothing but the error tree, whatever comes back: every httpx exception, and malformed answers
of any JSON shape, through the pure functions and through every client method."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.cometapi.client import CometAPIClient
from bot.cometapi.errors import APIConnectionError, BadResponse, CometAPIError
from bot.cometapi.models import SubmitResult, Task
from bot.cometapi.outcomes import decode_json, http_error
from bot.cometapi.retry import submit_outcome_unknown
from bot.cometapi.wire import (
    accepted_submit,
    pick_by_state,
    query_rows,
    require_list,
    require_rows,
    task_or_null,
)
from tests.cometapi.recorder import Recorder, raising
from tests.cometapi.tinyserver import tiny_server

_REQ = httpx.Request("GET", "https://x.test/")
_RESP = httpx.Response(500, request=_REQ)

# (exception, sent=False: the request certainly never left)
HTTPX_FAILURES: list[tuple[Exception, bool]] = [
    (httpx.ConnectError("refused"), True),
    (httpx.ConnectTimeout("slow connect"), True),
    (httpx.PoolTimeout("pool"), True),
    (httpx.UnsupportedProtocol("ftp"), True),
    (httpx.LocalProtocolError("bad header"), True),
    (httpx.InvalidURL("bad url"), True),
    (httpx.RequestNotRead(), True),
    (httpx.ReadTimeout("slow"), False),
    (httpx.WriteTimeout("slow"), False),
    (httpx.ReadError("reset"), False),
    (httpx.WriteError("reset"), False),
    (httpx.CloseError("close"), False),
    (httpx.RemoteProtocolError("gone"), False),
    (httpx.ProxyError("proxy"), False),
    (httpx.DecodingError("not gzip"), False),
    (httpx.TooManyRedirects("loop"), False),
    (httpx.HTTPStatusError("500", request=_REQ, response=_RESP), False),
    (httpx.StreamConsumed(), False),
    (httpx.StreamClosed(), False),
    (httpx.ResponseNotRead(), False),
    (httpx.CookieConflict("two"), False),
    (httpx.HTTPError("generic"), False),
    (httpx.RequestError("generic"), False),
    (httpx.TransportError("generic"), False),
    (httpx.NetworkError("generic"), False),
    (httpx.TimeoutException("generic"), False),
    (httpx.ProtocolError("generic"), False),
]
IDS = [type(e).__name__ for e, _ in HTTPX_FAILURES]


@pytest.mark.fault(2)
@pytest.mark.parametrize(("exc", "unsent"), HTTPX_FAILURES, ids=IDS)
def test_every_httpx_error_maps_into_the_tree(exc: Exception, unsent: bool) -> None:
    before = http_error(exc, ("sk-secret-key",), status=None)
    assert isinstance(before, CometAPIError)
    assert submit_outcome_unknown(before) is not unsent
    assert isinstance(before, APIConnectionError) or not unsent
    # The same failure while an answer was being read: the server answered.
    during = http_error(exc, (), status=200)
    if not isinstance(exc, httpx.TransportError):
        assert isinstance(during, BadResponse)
        assert during.maybe_processed
        assert during.status_code == 200


@pytest.mark.fault(2)
@pytest.mark.fault(3)
@pytest.mark.parametrize(("exc", "unsent"), HTTPX_FAILURES, ids=IDS)
async def test_every_httpx_error_from_a_client_call(exc: Exception, unsent: bool) -> None:
    rec = Recorder(raising(exc))
    async with rec.client(max_attempts=2) as client:
        with pytest.raises(CometAPIError) as submit:
            await client.imagine("p")
        with pytest.raises(CometAPIError):
            await client.fetch("1")
        with pytest.raises(CometAPIError):
            await client.download("https://api.example.test/mj/image/1", max_bytes=100)
    assert submit_outcome_unknown(submit.value) is not unsent
    # A submit is resent only when it certainly never left.
    submits = [r for r in rec.requests if r.url.path.endswith("/imagine")]
    assert len(submits) == (2 if unsent else 1)


def _nested(depth: int, open_: str = "[", close: str = "]") -> bytes:
    return (open_ * depth + "1" + close * depth).encode()


TASK = '{"id": "1773314942177684", "state": "s1", "status": "SUCCESS"}'
SHAPES: list[bytes] = [
    b"0",
    b"-1",
    b"1.5",
    b"1e400",
    b"-1e400",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"true",
    b"null",
    b'"text"',
    b'""',
    b"[]",
    b"{}",
    b"[[[[1]]]]",
    b"9" * 5000,  # past Python's int-digits limit
    b"9" * 4000,
    _nested(100_000),  # past the recursion limit
    _nested(900),
    _nested(900, '{"a":', "}"),
    b'{"code": NaN, "result": NaN}',
    b'{"code": 1e400, "result": 1e400}',
    b'{"code": 1, "result": [1, 2]}',
    b'{"code": 1, "result": {"a": 1}}',
    b'{"code": "1", "result": "abc def"}',
    b'{"code": 1, "result": "1,,2"}',
    b'{"code": 1, "result": ' + b"7" * 4000 + b"}",
    b'{"code": [1], "description": {"x": 1}, "properties": [1]}',
    b'{"code": 24, "properties": {"bannedWord": ["x"], "numberOfQueues": "1e999"}}',
    b'{"code": 22, "result": "5", "properties": {"numberOfQueues": NaN}}',
    b'[{"id": [1]}, {"id": {"a": 1}}, 5, "x", null, [], ' + TASK.encode() + b"]",
    b'[{"id": "5", "status": 5, "progress": NaN, "buttons": {"a": 1}, "properties": [],'
    b' "submitTime": "1e999", "videoUrls": "x", "image_urls": [1, {"url": []}],'
    b' "state": 7, "emoji": {"name": 3}}]',
    b'[{"id": "6", "buttons": [{"customId": 1, "emoji": {"name": []}, "style": "x"}, 3]}]',
    b'{"list": "x", "data": 5}',
    b'{"data": {"list": [{"state": "s1", "id": "1 2"}, ' + TASK.encode() + b"]}}",
    b'{"error": {"message": ["x"], "code": {}}}',
    b'{"description": 5, "code": "x", "type": []}',
    b"\xff\xfe\x00garbage",
    b'{"a": ',
    b"\x00\x01\x02",
]


def _pure_readers(data: object) -> None:
    """Every answer reader the client uses; each may only raise from the tree."""
    readers: list[Callable[[object], object]] = [
        lambda d: accepted_submit("imagine", d, str),
        require_list,
        task_or_null,
        require_rows,
        lambda d: pick_by_state(query_rows(d) or [], "s1"),
    ]
    for read in readers:
        try:
            read(data)
        except CometAPIError:
            pass
    rows = data if isinstance(data, list) else [data]
    for row in rows:
        if isinstance(row, dict):
            Task.from_dict(row).to_dict()
            SubmitResult.from_dict(row).to_dict()


@pytest.mark.fault(6)
@pytest.mark.parametrize("body", SHAPES, ids=range(len(SHAPES)))
def test_malformed_shapes_through_the_pure_functions(body: bytes) -> None:
    for status in (200, 301, 400, 404, 429, 500):
        for ctype in ("application/json", "text/plain"):
            try:
                data = decode_json(status, {"content-type": ctype}, body, ("sk-secret-key",))
            except CometAPIError:
                continue
            _pure_readers(data)


def _client_calls(base: str) -> list[Callable[[CometAPIClient], Awaitable[Any]]]:
    return [
        lambda c: c.imagine("p", state="s1"),
        lambda c: c.action("1", "MJ::JOB::upsample::1::h"),
        lambda c: c.modal("1", prompt="p"),
        lambda c: c.describe(link="https://x.test/a.png"),
        lambda c: c.fetch("1773314942177684"),
        lambda c: c.list_by_condition(["1773314942177684", "6"]),
        lambda c: c.image_seed("1"),
        lambda c: c.find_by_state("s1"),
        lambda c: c.download(base + "/mj/image/1", max_bytes=1_000_000),
    ]


@pytest.mark.fault(6)
@pytest.mark.parametrize("status", [200, 500])
async def test_malformed_shapes_through_every_client_method(status: int) -> None:
    answer: list[bytes] = [b""]

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=answer[0], status=status, content_type="application/json")

    async with tiny_server(handler) as tiny:
        for body in SHAPES:
            answer[0] = body
            async with CometAPIClient(tiny.base_url, "sk-tiny-key", max_attempts=1) as client:
                for call in _client_calls(tiny.base_url):
                    try:
                        await call(client)
                    except CometAPIError:
                        pass  # anything else fails the test, naming the shape
                    except Exception as exc:  # pragma: no cover - the failure report
                        raise AssertionError(f"{type(exc).__name__} for {body[:60]!r}") from exc
    assert len(tiny.seen) >= len(SHAPES) * 8


def test_a_valid_task_among_junk_is_still_found() -> None:
    rows = json.loads(b'[{"id": [1]}, 5, {"state": "s1", "id": "1 2"}, ' + TASK.encode() + b"]")
    found = pick_by_state(rows, "s1")
    assert found is not None
    assert found.id == "1773314942177684"
