"""midjourney-proxy's task query and list: filters, paging, newest first, the key, and the
switch that turns them off like CometAPI's stock gateway."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.sim import SimConfig, Simulator
from tests.sim.helpers import AUTH, KEY, post


async def _submit(client: httpx.AsyncClient, prompt: str, state: str) -> str:
    env = await post(client, "/mj-fast/mj/submit/imagine", {"prompt": prompt, "state": state})
    return str(env["result"])


async def _query(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    resp = await client.post("/mj/task/query", json=body)
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


async def test_query_filters_pages_and_sorts_newest_first(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    sim.clock.pause()  # statuses hold still while the filters are checked
    ids = [await _submit(client, f"p{i}", "even" if i % 2 == 0 else "odd") for i in range(5)]
    newest_first = ids[::-1]

    everything = await _query(client, {})
    assert [t["id"] for t in everything["list"]] == newest_first
    assert everything["pagination"] == {"pageNumber": 0, "pageSize": 10, "total": 5}

    even = await _query(
        client, {"state": "even", "pageNumber": 0, "pageSize": 20, "sort": "id,desc"}
    )
    assert [t["id"] for t in even["list"]] == [ids[4], ids[2], ids[0]]
    assert all(t["state"] == "even" for t in even["list"])
    assert (await _query(client, {"state": "eve"}))["list"] == []  # exact, not a prefix

    page1 = await _query(client, {"pageNumber": 1, "pageSize": 2})
    assert [t["id"] for t in page1["list"]] == newest_first[2:4]
    assert page1["pagination"] == {"pageNumber": 1, "pageSize": 2, "total": 5}

    by_ids = await _query(client, {"ids": [ids[1], ids[3], "999"]})
    assert [t["id"] for t in by_ids["list"]] == [ids[3], ids[1]]

    sim.finish(ids[0])
    done = await _query(client, {"status": "SUCCESS", "action": "IMAGINE"})
    assert [t["id"] for t in done["list"]] == [ids[0]]
    assert (await _query(client, {"action": "UPSCALE"}))["list"] == []


async def test_list_is_every_task_newest_first(client: httpx.AsyncClient, sim: Simulator) -> None:
    ids = [await _submit(client, f"l{i}", f"s{i}") for i in range(3)]
    resp = await client.get("/mj/task/list")
    assert resp.status_code == 200
    assert [t["id"] for t in resp.json()] == ids[::-1]
    assert [t["state"] for t in resp.json()] == ["s2", "s1", "s0"]


async def test_query_and_list_need_the_key(sim: Simulator) -> None:
    async with httpx.AsyncClient(base_url=sim.base_url, headers=AUTH) as client:
        await _submit(client, "secret", "mine")
    async with httpx.AsyncClient(base_url=sim.base_url) as anonymous:
        assert (await anonymous.post("/mj/task/query", json={})).status_code == 401
        assert (await anonymous.get("/mj/task/list")).status_code == 401


@pytest.mark.parametrize(("method", "path"), [("POST", "/mj/task/query"), ("GET", "/mj/task/list")])
async def test_switched_off_they_are_404_like_the_stock_gateway(method: str, path: str) -> None:
    async with (
        Simulator(SimConfig(key=KEY, speed=400, task_query=False)) as sim,
        httpx.AsyncClient(base_url=sim.base_url, headers=AUTH) as client,
    ):
        await _submit(client, "x", "s")
        resp = await client.request(method, path, json={} if method == "POST" else None)
    assert resp.status_code == 404
    assert resp.json()["error"]["type"] == "comet_api_error"
