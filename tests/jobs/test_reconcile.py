"""Submits whose answer was lost, and tasks the tracker must not let stop the others
(faults.md 2, 6, 10, 14): found again by their `state`, never resubmitted, refunded when
nothing turns up, delivered free when their task turns up after the refund."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cometapi.client import CometAPIClient
from bot.cometapi.models import SubmitResult
from bot.db.records import ChargeState, JobStatus
from bot.errors import Refused
from bot.jobs import submits
from bot.jobs.reconcile import job_state
from bot.sim import Fault, SimConfig, Simulator
from tests.jobs.conftest import ALICE, FAST, KEY, Stack, close_stack, is_, make_stack

DONE = JobStatus.SUCCEEDED


def imagines(sim: Simulator) -> int:
    return sum(r.path.endswith("/submit/imagine") for r in sim.requests)


@pytest.mark.fault(2)
async def test_a_submit_whose_answer_is_lost_is_found_by_polling(stack: Stack) -> None:
    # The request reaches upstream, the answer never comes back; there is no webhook here.
    stack.sim.faults.inject(Fault(kind="drop", match="/mj/submit/imagine"))
    job = await stack.service.imagine(ALICE, "a lost boat", mode="fast")
    assert job.task_id is None and job.status == JobStatus.SUBMITTED
    done = await stack.wait_job(job.id, is_(DONE))
    assert done.task_id is not None
    assert done.charge_state == ChargeState.CHARGED
    assert imagines(stack.sim) == 1  # never resubmitted
    assert len(stack.events_for(job.id, "finished")) == 1


@pytest.mark.fault(6)
@pytest.mark.parametrize("kind", ["truncated", "bad_gzip", "null"])
async def test_a_garbled_submit_answer_is_reconciled_not_refused(stack: Stack, kind: str) -> None:
    stack.sim.faults.inject(Fault(kind=kind, match="/mj/submit/imagine"))
    job = await stack.service.imagine(ALICE, "a boat", mode="fast")  # no Refused: maybe paid
    assert job.status == JobStatus.SUBMITTED
    if kind == "null":  # answered before any task was made: nothing to find, so refunded
        lost = await stack.wait_job(job.id, is_(JobStatus.TIMED_OUT))
        assert lost.charge_state == ChargeState.REFUNDED
        assert lost.meta.get("notice_key") == "job.lost"
    else:  # the task was made upstream: found by its state and delivered
        await stack.wait_job(job.id, is_(DONE))
    assert imagines(stack.sim) == 1


@pytest.mark.fault(2)
async def test_an_unexpected_error_after_sending_is_reconciled(stack: Stack) -> None:
    """Anything unforeseen after the charge (a bug parsing the answer) may have left a paid
    task upstream: the user is never told "nothing was charged" while the job stays charged."""
    job = await stack.service.reserve(ALICE, kind="imagine", prompt="a boat", mode="fast")
    sent = submits.imagine(job.prompt, (), "fast", stack.service.config)

    async def submit_then_break(client: CometAPIClient, state: str) -> SubmitResult:
        await sent(client, state)
        raise KeyError("properties")

    launched = await stack.service.launch(job, submit_then_break)
    assert launched.status == JobStatus.SUBMITTED
    await stack.wait_job(job.id, is_(DONE))
    assert imagines(stack.sim) == 1


@pytest.mark.fault(2)
async def test_without_a_lookup_the_job_is_refunded_then_delivered_free_when_it_shows_up(
    tmp_path: Path,
) -> None:
    """The stock gateway has no query by state: the job is refunded after the grace; its
    webhook arriving later (after a restart too: the hook's secret is stable) delivers it."""
    config = SimConfig(key=KEY, speed=300, first_poll_delay=0.2, task_query=False)
    async with Simulator(config) as sim:
        stack = await make_stack(tmp_path, sim, replace(FAST, reconcile_grace=0.3))
        try:
            sim.faults.inject(Fault(kind="drop", match="/mj/submit/imagine"))
            sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
            job = await stack.service.imagine(ALICE, "a late boat", mode="fast")
            lost = await stack.wait_job(job.id, is_(JobStatus.TIMED_OUT))
            assert lost.charge_state == ChargeState.REFUNDED
            assert lost.meta["notice_key"] == "job.lost"
            (task,) = sim.tasks.values()
            sim.finish(task.id)
            state = job_state(await stack.db.instance(), job.id)
            assert await stack.service.hint(task.id, state)
            late = await stack.wait_job(job.id, is_(DONE))
            assert late.task_id == task.id
            assert late.charge_state == ChargeState.REFUNDED  # free: it came after the refund
            entries = [e.kind.value for e in await stack.db.ledger.entries(job.id)]
            assert entries == ["charge", "refund"]
            assert len(stack.events_for(job.id, "finished")) == 1
            assert not await stack.service.hint(task.id, state)  # delivered once, then done
            assert imagines(sim) == 1
        finally:
            await close_stack(stack)


@pytest.mark.fault(12)
async def test_another_deployments_task_is_never_taken(stack: Stack) -> None:
    """Two bots sharing a key both have a job 1: a task whose state names the other bot's
    job 1 (or a bare number, or a forged hint) is never attached here."""
    stack.sim.faults.inject(Fault(kind="drop", match="/mj/submit/imagine"))
    stack.sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
    job = await stack.service.imagine(ALICE, "ours", mode="fast")
    client = stack.pool.client(KEY)
    theirs = await client.imagine("theirs", state=f"0000beef-{job.id}")
    bare = await client.imagine("legacy", state=str(job.id))
    for task_id, state in ((theirs.task_id, f"0000beef-{job.id}"), (bare.task_id, str(job.id))):
        assert not await stack.service.hint(task_id or "", state)
    found = await stack.wait_job(job.id, lambda j: j.task_id is not None)
    assert found.task_id not in (theirs.task_id, bare.task_id)


@pytest.mark.fault(14)
async def test_a_crash_between_the_answer_and_the_commit_is_reconciled_at_start(
    tmp_path: Path, sim: Simulator
) -> None:
    first = await make_stack(tmp_path, sim, start=False)
    job = await first.service.reserve(ALICE, kind="imagine", prompt="a boat", mode="fast")
    # Upstream accepted it; the process died before writing the task id down.
    await first.pool.client(KEY).imagine(
        "a boat", state=job_state(await first.db.instance(), job.id)
    )
    await close_stack(first)
    second = await make_stack(tmp_path, sim, start=False)
    try:
        assert await second.service.resume() == 1
        second.tracker.start()
        done = await second.wait_job(job.id, is_(DONE))
        assert done.charge_state == ChargeState.CHARGED
        assert imagines(sim) == 1  # the one before the crash: never resubmitted
    finally:
        await close_stack(second)


@pytest.mark.fault(10)
async def test_a_bad_task_id_costs_no_other_job_its_poll(stack: Stack) -> None:
    bad = await stack.service.imagine(ALICE, "bad", mode="fast")
    await stack.db.jobs.update(bad.id, task_id="id1,id2")  # what an old bot stored
    good = await stack.service.imagine(ALICE, "good", mode="fast")
    await stack.wait_job(good.id, is_(DONE))
    failed = await stack.wait_job(bad.id, is_(JobStatus.FAILED))
    assert failed.charge_state == ChargeState.REFUNDED


async def test_a_submit_answering_several_ids_tracks_the_first(stack: Stack) -> None:
    stack.sim.faults.inject(Fault(kind="result", match="/mj/submit/imagine", body="{id},{id}9"))
    job = await stack.service.imagine(ALICE, "a boat", mode="fast")
    assert job.task_id is not None and "," not in job.task_id
    assert job.meta["extra_task_ids"] == [f"{job.task_id}9"]
    await stack.wait_job(job.id, is_(DONE))


@pytest.mark.fault(6)
async def test_a_submit_answering_a_garbage_id_is_reconciled(stack: Stack) -> None:
    stack.sim.faults.inject(Fault(kind="result", match="/mj/submit/imagine", body="{id} x"))
    job = await stack.service.imagine(ALICE, "a boat", mode="fast")
    assert job.task_id is None
    await stack.wait_job(job.id, is_(DONE))  # found by its state instead
    assert imagines(stack.sim) == 1


async def test_the_tracker_reschedules_instead_of_polling_in_a_loop(
    tmp_path: Path, sim: Simulator
) -> None:
    stack = await make_stack(tmp_path, sim, replace(FAST, poll_young=0.3, poll_old=0.3))
    try:
        sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
        job = await stack.service.imagine(ALICE, "a stuck boat", mode="fast")
        first = await stack.wait_job(job.id, lambda j: j.progress > 0)
        polled = await stack.wait_job(job.id, lambda j: j.next_poll_at > first.next_poll_at)
        assert polled.next_poll_at > time.time()  # the next poll is in the future
        start = stack.tracker.requests
        began = time.monotonic()
        await stack.wait_job(job.id, lambda j: stack.tracker.requests >= start + 4)
        elapsed = time.monotonic() - began
        assert elapsed >= 3 * 0.3 * 0.8, f"4 polls in {elapsed:.2f} s: not rescheduled"
    finally:
        await close_stack(stack)


async def test_refused_submits_raise_and_stay_quiet(stack: Stack) -> None:
    stack.sim.faults.inject(
        Fault(kind="upstream_error", match="/mj/submit", body="quota_not_enough")
    )
    with pytest.raises(Refused):
        await stack.service.imagine(ALICE, "a boat", mode="fast")
    (job,) = await stack.db.jobs.list_for_user(1, ALICE.user_id)
    assert job.meta.get("delivered") == "failed"  # the caller told the user: no message


async def test_a_stream_of_webhooks_costs_at_most_one_write(stack: Stack) -> None:
    """Upstream calls its hook on every progress step: only a hint that brings a poll
    forward writes to the store, once, however many follow."""
    stack.sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
    job = await stack.service.imagine(ALICE, "a boat", mode="fast")
    running = await stack.wait_job(job.id, lambda j: j.task_id is not None and j.progress > 0)
    assert running.task_id is not None
    await stack.tracker.stop()  # no polls meanwhile: only hints may touch the row
    later = time.time() + 60
    await stack.db.jobs.update(job.id, next_poll_at=later)
    before = await stack.db.jobs.get(job.id)
    assert before is not None
    for _ in range(100):
        assert await stack.service.hint(running.task_id, "")
    after = await stack.db.jobs.get(job.id)
    assert after is not None and after.next_poll_at < later  # brought forward, once
    hinted_at = after.updated_at
    for _ in range(100):
        assert await stack.service.hint(running.task_id, "")
    again = await stack.db.jobs.get(job.id)
    assert again is not None and again.updated_at == hinted_at  # no more writes
