"""Injected faults, one kind at a time, and the command-line fault syntax."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from bot.sim import Fault, SimConfig, Simulator, parse_fault_spec
from tests.sim.helpers import AUTH, KEY, post

IMAGINE = "/mj/submit/imagine"


async def _imagine(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(f"/mj-fast{IMAGINE}", json={"prompt": "faulty", "state": "s1"})


async def test_status_429_with_retry_after(client: httpx.AsyncClient, sim: Simulator) -> None:
    sim.faults.inject(Fault(kind="status", match=IMAGINE, status=429, retry_after=2.5, times=2))
    for _ in range(2):
        resp = await _imagine(client)
        assert resp.status_code == 429
        assert resp.headers["Retry-After"] == "3"
        assert resp.json()["type"] == "upstream_error"
    assert (await _imagine(client)).status_code == 200  # used up
    assert len(sim.tasks) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_status_5xx(client: httpx.AsyncClient, sim: Simulator, status: int) -> None:
    sim.faults.inject(Fault(kind="status", match="/mj/task", status=status))
    resp = await client.get("/mj-fast/mj/task/1/fetch")
    assert resp.status_code == status
    assert resp.json()["error"]["type"] == "comet_api_error"


async def test_body_faults(client: httpx.AsyncClient, sim: Simulator) -> None:
    sim.faults.inject(Fault(kind="html", match=IMAGINE))
    resp = await _imagine(client)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")

    sim.faults.inject(Fault(kind="redirect", match=IMAGINE))
    resp = await _imagine(client)
    assert resp.status_code == 301
    assert resp.headers["Location"]

    sim.faults.inject(Fault(kind="empty", match=IMAGINE))
    resp = await _imagine(client)
    assert (resp.status_code, resp.content) == (200, b"")

    sim.faults.inject(Fault(kind="null", match=IMAGINE))
    resp = await _imagine(client)
    assert resp.json() is None

    sim.faults.inject(Fault(kind="upstream_error", match=IMAGINE, body="quota_not_enough"))
    resp = await _imagine(client)
    assert resp.status_code == 400
    assert resp.json() == {
        "description": "quota_not_enough ",
        "type": "upstream_error",
        "code": 4,
    }
    assert sim.tasks == {}  # none of these reached the upstream


async def test_truncated_answer_still_created_the_task(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    sim.faults.inject(Fault(kind="truncated", match=IMAGINE))
    resp = await _imagine(client)
    with pytest.raises(json.JSONDecodeError):
        json.loads(resp.content)
    assert [t.state for t in sim.tasks.values()] == ["s1"]


async def test_drop_disconnects_after_the_work(client: httpx.AsyncClient, sim: Simulator) -> None:
    sim.faults.inject(Fault(kind="drop", match=IMAGINE))
    with pytest.raises(httpx.RemoteProtocolError):
        await _imagine(client)
    assert [t.state for t in sim.tasks.values()] == ["s1"]  # reconcilable by `state`


async def test_drop_with_delay_is_a_read_timeout(sim: Simulator) -> None:
    sim.faults.inject(Fault(kind="drop", match=IMAGINE, delay=5))
    async with httpx.AsyncClient(base_url=sim.base_url, headers=AUTH, timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await _imagine(client)


async def test_bad_gzip_is_processed_then_undecodable(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    sim.faults.inject(Fault(kind="bad_gzip", match=IMAGINE))
    with pytest.raises(httpx.DecodingError):
        await _imagine(client)
    assert [t.state for t in sim.tasks.values()] == ["s1"]  # the work was done


async def test_result_rewrites_the_submit_answer(client: httpx.AsyncClient, sim: Simulator) -> None:
    sim.faults.inject(Fault(kind="result", match=IMAGINE, body="{id},{id}9"))
    first = (await _imagine(client)).json()["result"]
    real, extra = first.split(",")
    assert real in sim.tasks
    assert extra == real + "9"
    sim.faults.inject(Fault(kind="result", match=IMAGINE, body="abc def"))
    assert (await _imagine(client)).json()["result"] == "abc def"
    assert len(sim.tasks) == 2  # both processed
    sim.faults.inject(Fault(kind="result", match=IMAGINE, body="x"))
    rejected = await client.post(f"/mj-fast{IMAGINE}", json={"prompt": ""})
    assert rejected.status_code == 400  # an answer without a result is left alone
    assert rejected.json() == {
        "description": "prompt_is_required ",
        "type": "upstream_error",
        "code": 4,
    }
    assert sim.faults.active == []


async def test_not_image_answers_a_web_page_for_image_links_only(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    sim.faults.inject(Fault(kind="not_image", times=None))  # match "/": still images only
    env = (await _imagine(client)).json()
    assert env["code"] == 1
    done = await sim.wait_for_status(env["result"], "SUCCESS")
    async with httpx.AsyncClient() as anonymous:
        resp = await anonymous.get(done["imageUrl"])
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert resp.text.lstrip().lower().startswith("<!doctype html")


async def test_latency(client: httpx.AsyncClient, sim: Simulator) -> None:
    sim.faults.inject(Fault(kind="latency", match="/mj/submit", delay=0.3))
    loop = asyncio.get_running_loop()
    started = loop.time()
    resp = await _imagine(client)
    assert resp.json()["code"] == 1
    assert loop.time() - started >= 0.3


async def test_stick_and_fail_faults(client: httpx.AsyncClient, sim: Simulator) -> None:
    sim.faults.inject(Fault(kind="stick", match=IMAGINE))
    sim.faults.inject(Fault(kind="fail", match=IMAGINE))
    sim.faults.inject(Fault(kind="fail", match=IMAGINE, body="Image denied"))
    stuck, failed, denied, fine = [(await _imagine(client)).json()["result"] for _ in range(4)]
    assert (await sim.wait_for_status(failed, "FAILURE"))["failReason"] == "执行超时 5 分钟"
    assert (await sim.wait_for_status(denied, "FAILURE"))["failReason"] == "Image denied"
    await sim.wait_for_status(fine, "SUCCESS")
    tl = sim.tasks[stuck].timeline
    assert tl is not None
    with pytest.raises(TimeoutError):
        await sim.wait_for_status(stuck, "SUCCESS", timeout=tl.finish - tl.submit)
    assert sim.status(stuck) == "IN_PROGRESS"


async def test_clear_and_match_by_prefix(client: httpx.AsyncClient, sim: Simulator) -> None:
    sim.faults.inject(Fault(kind="status", match="/mj-turbo", status=503, times=None))
    assert (
        await client.post("/mj-turbo/mj/submit/imagine", json={"prompt": "x"})
    ).status_code == 503
    assert (await _imagine(client)).status_code == 200
    sim.faults.clear()
    assert (
        await client.post("/mj-turbo/mj/submit/imagine", json={"prompt": "x"})
    ).status_code == 200


async def test_faults_from_config_specs() -> None:
    config = SimConfig(key=KEY, speed=400, faults=("status:500:/mj/task:1", "null:/mj/submit"))
    async with (
        Simulator(config) as sim,
        httpx.AsyncClient(base_url=sim.base_url, headers=AUTH) as client,
    ):
        assert (await client.get("/mj-relax/mj/task/1/fetch")).status_code == 500
        assert (await client.get("/mj-relax/mj/task/1/fetch")).status_code == 400
        for _ in range(3):  # no TIMES: forever
            assert (await _imagine(client)).json() is None


def test_fault_spec_syntax() -> None:
    f = parse_fault_spec("status:500:/mj/task:3")
    assert (f.kind, f.status, f.match, f.times) == ("status", 500, "/mj/task", 3)
    f = parse_fault_spec("latency:2.0:/mj/submit")
    assert (f.kind, f.delay, f.match, f.times) == ("latency", 2.0, "/mj/submit", None)
    f = parse_fault_spec("status:429,1.5:/mj")
    assert (f.status, f.retry_after) == (429, 1.5)
    f = parse_fault_spec("drop")
    assert (f.kind, f.match, f.delay) == ("drop", "/", 0.0)
    f = parse_fault_spec("fail:Image denied:/mj/submit/imagine:*")
    assert (f.body, f.times) == ("Image denied", None)
    for bad in ("nope", "status:/mj", "latency:x", "html:3:/mj", "status:500:/mj:x"):
        with pytest.raises(ValueError, match="bad fault spec"):
            parse_fault_spec(bad)
    f = parse_fault_spec("result:{id},{id}9:/mj/submit/action:1")
    assert (f.kind, f.body, f.match, f.times) == ("result", "{id},{id}9", "/mj/submit/action", 1)
    f = parse_fault_spec("bad_gzip:/mj/submit")
    assert (f.kind, f.match) == ("bad_gzip", "/mj/submit")
    f = parse_fault_spec("not_image")
    assert (f.kind, f.match) == ("not_image", "/")
    for bad in ("bad_gzip:x:/mj", "not_image:x"):
        with pytest.raises(ValueError, match="bad fault spec"):
            parse_fault_spec(bad)
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault(kind="explode")


async def test_recorded_requests(client: httpx.AsyncClient, sim: Simulator) -> None:
    await post(client, "/mj-turbo/mj/submit/imagine", {"prompt": "rec"})
    rec = sim.requests[-1]
    assert (rec.method, rec.path, rec.route, rec.mode) == (
        "POST",
        "/mj-turbo/mj/submit/imagine",
        "/mj/submit/imagine",
        "TURBO",
    )
    assert rec.json == {"prompt": "rec"}
