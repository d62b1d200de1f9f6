"""find_by_state: a submit whose answer was lost is found again by the `state` it carried, the
server's filtering is never trusted, and a service without a task query says so once an hour."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from bot.cometapi.client import CometAPIClient, CometAPIPool
from bot.cometapi.errors import APIConnectionError, LookupUnsupported, ServerError
from bot.cometapi.lookup import RouteMemo
from bot.cometapi.models import TaskStatus
from bot.sim import Fault, SimConfig, Simulator
from tests.cometapi.conftest import SIM_KEY, SleepRecorder
from tests.cometapi.tinyserver import Tiny, tiny_server

QUERY, LIST = "/mj/task/query", "/mj/task/list"


def row(
    task_id: str, state: str, status: str = "SUCCESS", progress: str = "100%"
) -> dict[str, Any]:
    return {"id": task_id, "state": state, "status": status, "progress": progress}


def lookups(sim: Any) -> list[str]:
    return [r.path for r in sim.requests if r.path in (QUERY, LIST)]


@pytest.mark.fault(2)
async def test_a_submit_whose_answer_was_dropped_is_found_by_its_state(
    sim: Any, client: CometAPIClient
) -> None:
    await client.imagine("another job", state="job-6")
    sim.faults.inject(Fault(kind="drop", match="/mj/submit/imagine"))
    with pytest.raises(APIConnectionError) as info:
        await client.imagine("lighthouse", state="job-7")
    assert info.value.sent
    (made,) = [t for t in sim.tasks.values() if t.state == "job-7"]
    found = await client.find_by_state("job-7")
    assert found is not None
    assert (found.id, found.state) == (made.id, "job-7")
    assert await client.find_by_state("job-8") is None
    assert await client.find_by_state("job") is None  # exact, never a prefix
    assert lookups(sim) == [QUERY, QUERY, QUERY]
    sent = next(r for r in sim.requests if r.path == QUERY)
    assert sent.json == {"state": "job-7", "pageNumber": 0, "pageSize": 20, "sort": "id,desc"}


async def test_without_a_task_query_it_is_unsupported_and_remembered() -> None:
    now = [0.0]
    memo = RouteMemo(ttl=3600, clock=lambda: now[0])
    config = SimConfig(key=SIM_KEY, speed=200, task_query=False)
    async with (
        Simulator(config) as sim,
        CometAPIClient(sim.base_url, SIM_KEY, lookup_memo=memo, sleep=SleepRecorder()) as client,
    ):
        await client.imagine("x", state="job-1")
        with pytest.raises(LookupUnsupported):
            await client.find_by_state("job-1")
        assert lookups(sim) == [QUERY, LIST]  # each probed once: a 404 is not retried
        for _ in range(3):
            with pytest.raises(LookupUnsupported):
                await client.find_by_state("job-1")
        assert lookups(sim) == [QUERY, LIST]  # remembered: no probe per poll
        now[0] = 3601.0  # an hour later the routes are probed again
        with pytest.raises(LookupUnsupported):
            await client.find_by_state("job-1")
        assert lookups(sim) == [QUERY, LIST] * 2


async def test_a_pool_shares_what_it_learnt_across_keys() -> None:
    config = SimConfig(key=SIM_KEY, speed=200, task_query=False)
    async with Simulator(config) as sim, CometAPIPool(sim.base_url) as pool:
        for _ in range(3):
            with pytest.raises(LookupUnsupported):
                await pool.client(SIM_KEY).find_by_state("job-1")
        assert lookups(sim) == [QUERY, LIST]


async def _against(handler: Callable[[web.Request], Any], **kwargs: Any) -> tuple[Any, Tiny]:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        answer = handler(request)
        if isinstance(answer, web.StreamResponse):
            return answer
        return web.json_response(answer)

    async with (
        tiny_server(wrapped) as tiny,
        CometAPIClient(tiny.base_url, SIM_KEY, sleep=SleepRecorder(), **kwargs) as client,
    ):
        try:
            return await client.find_by_state("job-7"), tiny
        except Exception as exc:  # handed back for the test to inspect
            return exc, tiny


MINE_EARLY = row("1773314942177684", "job-7", "IN_PROGRESS", "40%")
MINE_LATE = row("1773314942177684", "job-7", "SUCCESS")
OTHERS = [
    row("1773314942177001", "job-70"),
    row("1773314942177002", ""),
    row("1773314942177003", "JOB-7"),
]


@pytest.mark.parametrize(
    "answer",
    [
        [*OTHERS, MINE_EARLY, MINE_LATE],
        {"list": [*OTHERS, MINE_LATE, MINE_EARLY], "pagination": {"total": 5}},
        {"content": [MINE_LATE]},
        {"records": [MINE_LATE]},
        {"items": [MINE_LATE]},
        {"data": [MINE_LATE]},
        {"success": True, "data": {"list": [MINE_LATE, *OTHERS]}},
    ],
    ids=["array", "list", "content", "records", "items", "data", "data.list"],
)
async def test_answer_shapes_and_the_most_advanced_exact_match(answer: object) -> None:
    found, tiny = await _against(lambda r: answer)
    assert found is not None
    assert (found.id, found.state, found.status) == (MINE_LATE["id"], "job-7", TaskStatus.SUCCESS)
    assert tiny.seen == [("POST", QUERY)]


async def test_a_server_that_ignores_the_filter_never_yields_another_state() -> None:
    found, _ = await _against(lambda r: {"list": [*OTHERS, row("bad id!", "job-7")]})
    assert found is None


def _missing(kind: str) -> web.StreamResponse:
    if kind == "404":
        return web.json_response(
            {"error": {"message": "Invalid URL (POST /mj/task/query)"}}, status=404
        )
    if kind == "405":
        return web.Response(status=405, text="method not allowed")
    if kind == "400":
        body = {"description": "Invalid URL (POST /mj/task/query) ", "type": "upstream_error"}
        return web.json_response(body, status=400)
    if kind == "html":
        return web.Response(text="<!DOCTYPE html><html>console</html>", content_type="text/html")
    return web.Response(status=301, headers={"Location": "/console"})


@pytest.mark.parametrize("kind", ["404", "405", "400", "html", "301"])
async def test_a_missing_query_route_falls_back_to_the_list(kind: str) -> None:
    def handler(request: web.Request) -> object:
        return _missing(kind) if request.path == QUERY else [*OTHERS, MINE_LATE]

    found, tiny = await _against(handler)
    assert found is not None
    assert found.id == MINE_LATE["id"]
    assert tiny.seen == [("POST", QUERY), ("GET", LIST)]  # the missing route is not retried


async def test_a_task_error_means_nothing_found() -> None:
    body = {"description": "task_no_found ", "type": "upstream_error", "code": 4}
    found, tiny = await _against(lambda r: web.json_response(body, status=400))
    assert found is None
    assert tiny.seen == [("POST", QUERY)]


async def test_transient_failures_are_retried_then_raised_and_not_remembered() -> None:
    calls: list[str] = []

    def handler(request: web.Request) -> object:
        calls.append(request.path)
        return web.json_response({"error": {"message": "upstream"}}, status=503)

    memo = RouteMemo()
    error, tiny = await _against(handler, lookup_memo=memo, max_attempts=3)
    assert isinstance(error, ServerError)
    assert tiny.seen == [("POST", QUERY)] * 3  # retried like any read, no fallback on a 5xx
    assert not memo.missing(QUERY)


async def test_neither_route_gives_lookup_unsupported() -> None:
    error, tiny = await _against(lambda r: _missing("404"))
    assert isinstance(error, LookupUnsupported)
    assert tiny.seen == [("POST", QUERY), ("GET", LIST)]
