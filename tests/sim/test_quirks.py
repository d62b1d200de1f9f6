"""Gateway quirks after a modal (mj-protocol.md §5b)."""

from __future__ import annotations

import httpx

from bot.sim import SimConfig, Simulator
from tests.sim.helpers import AUTH, KEY, find_button, imagine, post, press


async def _remixed(client: httpx.AsyncClient, sim: Simulator) -> str:
    grid = await imagine(client, sim, "quirky")
    env = await press(client, grid, find_button(grid, label="V1"), enableRemix=True)
    await sim.wait_for_status(env["result"], "MODAL")
    await post(client, "/mj/submit/modal", {"taskId": env["result"], "prompt": "quirkier"})
    await sim.wait_for_status(env["result"], "SUCCESS")
    return str(env["result"])


async def test_list_returns_the_stale_modal_row_too(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    task_id = await _remixed(client, sim)
    rows = (await client.post("/mj/task/list-by-condition", json={"ids": [task_id]})).json()
    assert [(r["id"], r["status"]) for r in rows] == [(task_id, "SUCCESS"), (task_id, "MODAL")]
    fetched = (await client.get(f"/mj/task/{task_id}/fetch")).json()
    assert fetched["status"] == "SUCCESS"


async def test_quirks_switched() -> None:
    config = SimConfig(key=KEY, speed=400, duplicate_modal_rows=False, stale_modal_fetch=True)
    async with (
        Simulator(config) as sim,
        httpx.AsyncClient(base_url=sim.base_url, headers=AUTH) as client,
    ):
        task_id = await _remixed(client, sim)
        rows = (await client.post("/mj/task/list-by-condition", json={"ids": [task_id]})).json()
        assert [r["status"] for r in rows] == ["SUCCESS"]
        fetched = (await client.get(f"/mj/task/{task_id}/fetch")).json()
        assert fetched["status"] == "MODAL"
