"""Status order, progress, the queue, banned words and forced lifecycle."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from bot.sim import SimConfig, Simulator
from bot.sim.tasks import Clock
from tests.sim.helpers import AUTH, KEY, post

ORDER = ["", "NOT_START", "SUBMITTED", "IN_PROGRESS", "SUCCESS"]


async def _poll_until_terminal(
    client: httpx.AsyncClient, sim: Simulator, task_id: str, step: float
) -> list[dict[str, Any]]:
    """Fetch, then move the paused clock on by `step`, until the task ends: every phase
    longer than `step` is seen, however slow the machine (real time does not count)."""
    seen: list[dict[str, Any]] = []
    for _ in range(100_000):
        seen.append((await client.get(f"/mj/task/{task_id}/fetch")).json())
        if seen[-1]["status"] in ("SUCCESS", "FAILURE"):
            return seen
        sim.clock.advance(step)
    raise AssertionError(f"task {task_id} never ended: {seen[-1]}")


async def test_lifecycle_order_and_monotonic_progress() -> None:
    async with (
        Simulator(SimConfig(key=KEY, speed=15, concurrency=100)) as sim,
        httpx.AsyncClient(base_url=sim.base_url, headers=AUTH) as client,
    ):
        sim.clock.pause()
        env = await post(client, "/mj-turbo/mj/submit/imagine", {"prompt": "order"})
        tl = sim.tasks[env["result"]].timeline
        assert tl is not None
        # NOT_START is the shortest phase (a few percent of the job): half of it per poll.
        step = (tl.start - tl.visible) / 2
        seen = await _poll_until_terminal(client, sim, env["result"], step)
    statuses = [s["status"] for s in seen]
    ranks = [ORDER.index(s) for s in statuses]
    assert ranks == sorted(ranks)
    assert set(statuses) == set(ORDER)
    progress = [int(s["progress"].rstrip("%")) for s in seen]
    assert progress == sorted(progress)
    assert progress[-1] == 100
    first = seen[0]
    assert (first["status"], first["progress"], first["imageUrl"], first["buttons"]) == (
        "",
        "0%",
        "",
        None,
    )
    running = [s for s in seen if s["status"] == "IN_PROGRESS" and s["progress"] != "0%"]
    assert running
    assert all("?rand=" in s["imageUrl"] for s in running)
    assert all(s["buttons"] == [] for s in running)
    assert "?rand=" not in seen[-1]["imageUrl"]
    assert seen[-1]["imageUrl"].endswith(f"/mj/image/{env['result']}")


async def test_queue_answers_code_22_then_23() -> None:
    config = SimConfig(key=KEY, speed=400, concurrency=1, queue_size=2)
    async with (
        Simulator(config) as sim,
        httpx.AsyncClient(base_url=sim.base_url, headers=AUTH) as client,
    ):
        answers = [await post(client, "/mj/submit/imagine", {"prompt": f"q{i}"}) for i in range(4)]
        assert [a["code"] for a in answers] == [1, 22, 22, 23]
        assert [a["properties"].get("numberOfQueues") for a in answers[1:3]] == [0, 1]
        assert answers[1]["description"] == "排队中，前面还有0个任务"
        assert answers[3]["result"] not in sim.tasks
        for a in answers[:3]:
            await sim.wait_for_status(a["result"], "SUCCESS")
        one, two = (sim.tasks[a["result"]].timeline for a in answers[:2])
        assert one is not None
        assert two is not None
        assert two.start >= one.finish  # one slot: strictly one after the other


async def test_gateway_rewrites_queued_code() -> None:
    config = SimConfig(key=KEY, speed=400, concurrency=1, rewrite_queued_code=True)
    async with (
        Simulator(config) as sim,
        httpx.AsyncClient(base_url=sim.base_url, headers=AUTH) as client,
    ):
        await post(client, "/mj/submit/imagine", {"prompt": "a"})
        second = await post(client, "/mj/submit/imagine", {"prompt": "b"})
        assert second["code"] == 1
        assert second["properties"]["numberOfQueues"] == 0


async def test_banned_word_fails_later(client: httpx.AsyncClient, sim: Simulator) -> None:
    env = await post(client, "/mj/submit/imagine", {"prompt": "some GORE here"})
    assert env["code"] == 1
    task = await sim.wait_for_status(env["result"], "FAILURE")
    assert task["failReason"] == "可能包含敏感词"
    assert task["progress"] == "100%"


async def test_banned_word_legacy_code_24() -> None:
    async with (
        Simulator(SimConfig(key=KEY, speed=400, legacy_code24=True)) as sim,
        httpx.AsyncClient(base_url=sim.base_url, headers=AUTH) as client,
    ):
        env = await post(client, "/mj/submit/imagine", {"prompt": "nude body"})
        assert env["code"] == 24
        assert env["properties"]["bannedWord"] == "nude"
        assert env["properties"]["promptEn"] == "nude body"
        assert sim.tasks == {}


async def test_forced_stick_fail_finish(client: httpx.AsyncClient, sim: Simulator) -> None:
    ids = [
        (await post(client, "/mj/submit/imagine", {"prompt": f"f{i}"}))["result"] for i in range(3)
    ]
    sim.stick(ids[0])
    sim.fail(ids[1], "Image denied")
    sim.finish(ids[2])
    assert sim.status(ids[2]) == "SUCCESS"
    failed = await sim.wait_for_status(ids[1], "FAILURE")
    assert failed["failReason"] == "Image denied"
    tl = sim.tasks[ids[0]].timeline
    assert tl is not None
    with pytest.raises(TimeoutError):
        await sim.wait_for_status(ids[0], "SUCCESS", timeout=(tl.finish - tl.submit) * 2)
    stuck = sim.task_json(sim.tasks[ids[0]])
    assert (stuck["status"], stuck["progress"]) == ("IN_PROGRESS", "25%")
    with pytest.raises(AssertionError):
        await sim.wait_for_status(ids[1], "SUCCESS")


async def test_many_tasks_are_cheap(client: httpx.AsyncClient, sim: Simulator) -> None:
    sem = asyncio.Semaphore(50)

    async def one(i: int) -> str:
        async with sem:
            env = await post(client, "/mj-fast/mj/submit/imagine", {"prompt": f"bulk {i}"})
            return str(env["result"])

    ids = await asyncio.gather(*(one(i) for i in range(500)))
    assert sim.requests[-1].route == "/mj/submit/imagine"
    assert len(set(ids)) == 500
    for start in range(0, 500, 100):
        resp = await client.post(
            "/mj/task/list-by-condition", json={"ids": ids[start : start + 100]}
        )
        assert len(resp.json()) == 100
    for task_id in ids[-5:]:
        await sim.wait_for_status(task_id, "SUCCESS")


async def test_old_finished_tasks_are_forgotten() -> None:
    async with (
        Simulator(SimConfig(key=KEY, speed=1000, max_tasks=3)) as sim,
        httpx.AsyncClient(base_url=sim.base_url, headers=AUTH) as client,
    ):
        first = await post(client, "/mj/submit/imagine", {"prompt": "old"})
        await sim.wait_for_status(first["result"], "SUCCESS")
        for i in range(3):
            await post(client, "/mj/submit/imagine", {"prompt": f"new {i}"})
        assert first["result"] not in sim.tasks
        assert len(sim.tasks) == 3


def test_clock_pause_advance_resume_never_goes_backwards() -> None:
    clock = Clock()
    clock.pause()
    frozen = clock.now()
    assert clock.paused
    assert clock.now() == frozen  # real time does not move a paused clock
    clock.advance(2.5)
    assert clock.now() == frozen + 2.5
    clock.resume()
    assert not clock.paused
    assert clock.now() >= frozen + 2.5  # runs on from where it stood
    clock.advance(10)
    assert clock.now() >= frozen + 12.5
    assert clock.ms(clock.now()) - clock.ms(frozen) >= 12_500
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
