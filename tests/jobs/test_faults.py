"""faults.md cases for the job layer (numbers in the test names), against the simulator."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cometapi.client import CometAPIPool
from bot.db.records import ChargeState, JobStatus
from bot.errors import Refused
from bot.jobs.events import Requester, SingleClient
from bot.jobs.service import JobService
from bot.sim import Fault, SimConfig, Simulator
from tests.jobs.conftest import ALICE, FAST, KEY, Stack, close_stack, is_, make_stack


@pytest.mark.fault(3)
async def test_03_unreachable_upstream_is_not_charged(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    from bot.db import Database

    db = await Database.open(tmp_path / "x.db")
    pool = CometAPIPool(f"http://127.0.0.1:{port}", timeout=1.0)

    async def sink(event: object) -> None: ...

    service = JobService(db, SingleClient(pool.client(KEY)), sink, FAST)
    try:
        with pytest.raises(Refused) as caught:
            await service.imagine(ALICE, "boat", mode="fast")
        assert caught.value.key == "upstream.unreachable"
        assert await db.ledger.usage(1, ALICE.user_id, since=0) == 0
    finally:
        await pool.aclose()
        await db.close()


@pytest.mark.fault(4)
async def test_04_rate_limited_submit_waits_and_makes_one_job(stack: Stack) -> None:
    stack.sim.faults.inject(
        Fault(kind="status", match="/mj/submit/imagine", status=429, retry_after=1, times=1)
    )
    job = await stack.service.imagine(ALICE, "boat", mode="fast")
    await stack.wait_job(job.id, is_(JobStatus.SUCCEEDED))
    assert len(stack.sim.tasks) == 1


@pytest.mark.fault(6)
@pytest.mark.parametrize("kind", ["html", "redirect"])
async def test_06_garbled_submit_answer_is_not_charged(stack: Stack, kind: str) -> None:
    stack.sim.faults.inject(Fault(kind=kind, match="/mj/submit/imagine"))
    with pytest.raises(Refused):
        await stack.service.imagine(ALICE, "boat", mode="fast")
    assert await stack.db.ledger.usage(1, ALICE.user_id, since=0) == 0


@pytest.mark.fault(6)
@pytest.mark.parametrize("kind", ["empty", "null"])
async def test_06_a_200_without_a_task_id_is_reconciled_then_refunded(
    stack: Stack, kind: str
) -> None:
    # A 200 whose body is lost may have created a job upstream: never resubmit; without a
    # sign of the task (found by its state, or its webhook) within the grace period, refund.
    # (A garbled answer to a request that did make a task: tests/jobs/test_reconcile.py.)
    stack.sim.faults.inject(Fault(kind=kind, match="/mj/submit/imagine"))
    job = await stack.service.imagine(ALICE, "boat", mode="fast")
    assert job.task_id is None
    done = await stack.wait_job(job.id, is_(JobStatus.TIMED_OUT))
    assert done.meta["notice_key"] == "job.lost"
    assert done.charge_state == ChargeState.REFUNDED
    assert await stack.db.ledger.usage(1, ALICE.user_id, since=0) == 0
    assert len([r for r in stack.sim.requests if r.path.endswith("/submit/imagine")]) == 1


@pytest.mark.fault(6)
@pytest.mark.parametrize("kind", ["html", "empty", "null", "truncated", "upstream_error"])
async def test_06_garbled_poll_answers_are_failed_polls(stack: Stack, kind: str) -> None:
    stack.sim.faults.inject(Fault(kind=kind, match="/mj/task/list-by-condition", times=2))
    job = await stack.service.imagine(ALICE, "boat", mode="fast")
    await stack.wait_job(job.id, is_(JobStatus.SUCCEEDED), timeout=15)


@pytest.mark.fault(4)
async def test_04_rate_limited_polls_wait_and_go_on(stack: Stack) -> None:
    stack.sim.faults.inject(
        Fault(kind="status", match="/mj/task/list-by-condition", status=429, retry_after=1, times=2)
    )
    job = await stack.service.imagine(ALICE, "boat", mode="fast")
    await stack.wait_job(job.id, is_(JobStatus.SUCCEEDED), timeout=15)


@pytest.mark.fault(7)
async def test_07_queue_position_then_queue_full(tmp_path: Path) -> None:
    config = SimConfig(key=KEY, speed=20, concurrency=1, queue_size=1, first_poll_delay=0.2)
    async with Simulator(config) as sim:
        stack = await make_stack(tmp_path, sim, start=False)
        try:
            first = await stack.service.imagine(ALICE, "one", mode="fast")
            second = await stack.service.imagine(ALICE, "two", mode="fast")
            assert first.status == JobStatus.SUBMITTED
            assert second.status == JobStatus.QUEUED
            assert second.queue_position == 0  # one running, none waiting ahead
            with pytest.raises(Refused) as caught:
                await stack.service.imagine(ALICE, "three", mode="fast")
            assert caught.value.key == "upstream.busy"
            assert await stack.db.ledger.usage(1, ALICE.user_id, since=0) == 2
        finally:
            await close_stack(stack)


@pytest.mark.fault(7)
async def test_07_legacy_banned_code_names_the_word(tmp_path: Path) -> None:
    async with Simulator(SimConfig(key=KEY, speed=200, legacy_code24=True)) as sim:
        stack = await make_stack(tmp_path, sim, start=False)
        try:
            with pytest.raises(Refused) as caught:
                await stack.service.imagine(ALICE, "a nsfwword statue", mode="fast")
            assert caught.value.key == "upstream.banned"
            assert caught.value.fields["word"] == "nsfwword"
            assert await stack.db.ledger.usage(1, ALICE.user_id, since=0) == 0
        finally:
            await close_stack(stack)


@pytest.mark.fault(8)
async def test_08_late_success_after_timeout_is_delivered_not_recharged(
    tmp_path: Path, sim: Simulator
) -> None:
    stack = await make_stack(tmp_path, sim, replace(FAST, deadline_seconds=0.5))
    try:
        sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
        job = await stack.service.imagine(ALICE, "boat", mode="fast")
        timed_out = await stack.wait_job(job.id, is_(JobStatus.TIMED_OUT))
        assert timed_out.task_id is not None
        sim.finish(timed_out.task_id)
        late = await stack.wait_job(job.id, is_(JobStatus.SUCCEEDED))  # found by polling
        assert late.charge_state == ChargeState.REFUNDED
        assert [e.kind.value for e in await stack.db.ledger.entries(job.id)] == ["charge", "refund"]
        assert len(stack.events_for(job.id, "finished")) == 1
    finally:
        await close_stack(stack)


@pytest.mark.fault(10)
async def test_10_an_unknown_task_does_not_disturb_the_batch(stack: Stack) -> None:
    lost = await stack.service.imagine(ALICE, "lost", mode="fast")
    fine = await stack.service.imagine(ALICE, "fine", mode="fast")
    await stack.db.jobs.update(lost.id, task_id="1700000000000123")
    failed = await stack.wait_job(lost.id, is_(JobStatus.FAILED))
    assert failed.charge_state == ChargeState.REFUNDED
    done = await stack.wait_job(fine.id, is_(JobStatus.SUCCEEDED))
    assert done.charge_state == ChargeState.CHARGED


@pytest.mark.fault(12)
async def test_12_forged_hints_change_nothing(stack: Stack) -> None:
    job = await stack.service.imagine(ALICE, "boat", mode="fast")
    before = await stack.wait_job(job.id, is_(JobStatus.SUCCEEDED))
    requests = len(stack.sim.requests)
    assert not await stack.service.hint("1700000000000777", "")  # unknown task
    assert not await stack.service.hint("1700000000000777", str(job.id))  # steal by state
    assert not await stack.service.hint(job.task_id or "", "")  # finished: nothing to do
    assert await stack.db.jobs.get(job.id) == before
    assert len(stack.sim.requests) == requests  # not even a look-up upstream


@pytest.mark.fault(22)
async def test_22_a_click_from_another_guild_is_refused(stack: Stack) -> None:
    job = await stack.service.imagine(ALICE, "boat", mode="fast")
    await stack.wait_job(job.id, is_(JobStatus.SUCCEEDED))
    stranger = Requester(user_id=99, channel_id=5, guild_id=2, is_moderator=True)
    with pytest.raises(Refused) as caught:
        await stack.actions.press(job.id, 0, stranger)
    assert caught.value.key == "button.denied"


@pytest.mark.fault(23)
async def test_23_a_failed_job_has_no_live_buttons(stack: Stack) -> None:
    job = await stack.service.imagine(ALICE, "a nsfwword scene", mode="fast")
    await stack.wait_job(job.id, is_(JobStatus.FAILED))
    with pytest.raises(Refused) as caught:
        await stack.actions.press(job.id, 0, ALICE)
    assert caught.value.key == "button.expired"
