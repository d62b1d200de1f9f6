"""Job leases (bot/db/leases.py) on both engines: what the tracker polls, resumes and sweeps
when several processes share one database, each a Database of its own with its own name."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db import Database, JobStatus
from tests.db.conftest import FakeClock, new_job

LEASE = 30.0


@pytest.fixture
async def other(db_path: Path | str, clock: FakeClock, db: Database) -> AsyncIterator[Database]:
    """A second process on the same database (opened after `db`, which created it)."""
    async with await Database.open(db_path, clock=clock, owner="other") as second:
        yield second


async def test_due_pending_and_next_due_for_one_process(db: Database, clock: FakeClock) -> None:
    now = clock.now
    reserved = await new_job(db, next_poll_at=now + 100)  # no task id yet: kept for reconcile
    late = await new_job(db, status=JobStatus.RUNNING, task_id="a", next_poll_at=now - 50)
    soon = await new_job(db, status=JobStatus.SUBMITTED, task_id="b", next_poll_at=now - 10)
    modal = await new_job(db, status=JobStatus.MODAL, task_id="c", next_poll_at=now)
    await new_job(db, status=JobStatus.SUCCEEDED, task_id="d", next_poll_at=now - 100)
    lost = await new_job(db, status=JobStatus.SUBMITTED, next_poll_at=now - 100)  # reconciling

    # pending: everything unfinished, for resume at start.
    expected = [reserved.id, late.id, soon.id, modal.id, lost.id]
    assert [j.id for j in await db.leases.claim_pending()] == expected
    assert [j.id for j in await db.leases.claim_pending(limit=2)] == [reserved.id, late.id]
    # due: only what can be polled (it has a task id), most overdue first.
    assert [j.id for j in await db.leases.claim_due(now)] == [late.id, soon.id, modal.id]
    assert [j.id for j in await db.leases.claim_due(now, limit=1)] == [late.id]
    assert reserved.id not in [j.id for j in await db.leases.claim_due(now + 100)]
    assert [j.id for j in await db.leases.claim_orphans(now, now - 3600)] == [lost.id]
    # overdue: the submit whose reconcile time has passed.
    assert [j.id for j in await db.jobs.overdue(now)] == [lost.id]
    assert await db.leases.next_due(now) == now - 50
    await db.jobs.transition(late.id, from_statuses={JobStatus.RUNNING}, to=JobStatus.FAILED)
    assert await db.leases.next_due(now) == now - 10
    await db.jobs.reschedule([soon.id, modal.id], now + 5)
    assert await db.leases.next_due(now) == now + 5


async def test_next_due_is_none_without_tracked_jobs(db: Database) -> None:
    assert await db.leases.next_due(0) is None
    await new_job(db, status=JobStatus.SUCCEEDED, task_id="z")
    assert await db.leases.next_due(0) is None


async def test_a_live_process_keeps_its_jobs_and_a_dead_ones_are_taken_over(
    db: Database, other: Database, clock: FakeClock
) -> None:
    now = clock.now
    mine = [await new_job(db, status=JobStatus.RUNNING, task_id=f"t{n}") for n in range(3)]
    ids = [j.id for j in mine]
    assert [j.id for j in await db.leases.claim_due(now)] == ids
    assert await other.leases.claim_due(now) == []  # db's leases are live
    assert await other.leases.claim_pending() == []  # nor does a new process resume them
    # Nothing for the other process to wait for (no busy loop on db's due jobs).
    assert await other.leases.next_due(now) is None
    assert await db.leases.renew(clock.now) == 0  # fresh leases are not rewritten
    clock.advance(LEASE - 1)
    assert await db.leases.renew(clock.now) == 3  # db is alive: its round renews them
    clock.advance(LEASE - 1)
    assert await other.leases.claim_due(clock.now) == []
    clock.advance(2)  # db stopped renewing (killed): its leases lapse
    taken = await other.leases.claim_due(clock.now)
    assert [j.id for j in taken] == ids
    assert await db.leases.claim_due(clock.now) == []  # and now they are the other's
    # A restarted db (same name) gets back what is still its own at once: nothing here.
    assert await db.leases.claim_pending() == []


async def test_two_processes_claiming_at_once_split_the_jobs(
    db: Database, other: Database, clock: FakeClock
) -> None:
    jobs = [await new_job(db, status=JobStatus.RUNNING, task_id=f"t{n}") for n in range(40)]
    clock.advance(LEASE + 1)  # db's leases lapsed: every job is free to claim
    by_db: set[int] = set()
    by_other: set[int] = set()
    for _ in range(2):  # a job the other took meanwhile is skipped: the next round finds more
        first, second = await asyncio.gather(
            db.leases.claim_due(clock.now, limit=25), other.leases.claim_due(clock.now, limit=25)
        )
        by_db |= {j.id for j in first}
        by_other |= {j.id for j in second}
        assert not by_db & by_other  # never one job to two processes
    assert by_db and by_other and by_db | by_other == {j.id for j in jobs}
    # Each keeps what it claimed: the next round of each finds only its own.
    assert {j.id for j in await db.leases.claim_due(clock.now, limit=100)} == by_db
    assert {j.id for j in await other.leases.claim_due(clock.now, limit=100)} == by_other


async def test_the_sweep_of_undelivered_jobs_leaves_a_live_process_its_own(
    db: Database, other: Database, clock: FakeClock
) -> None:
    job = await new_job(db, status=JobStatus.RUNNING, task_id="x", message_id=5)
    await db.jobs.transition(job.id, from_statuses={JobStatus.RUNNING}, to=JobStatus.SUCCEEDED)
    assert [j.id for j in await db.jobs.undelivered(0)] == [job.id]
    assert await other.jobs.undelivered(0) == []  # db renders it
    clock.advance(LEASE + 1)  # db died before it did
    assert [j.id for j in await other.jobs.undelivered(0)] == [job.id]


async def test_a_notify_wakes_the_other_process(pg_url: str) -> None:
    """PostgreSQL only: LISTEN/NOTIFY (on SQLite one process has every job)."""
    heard = asyncio.Event()
    async with (
        await Database.open(pg_url, owner="a") as first,
        await Database.open(pg_url, owner="b") as second,
    ):
        await second.listen(heard.set)
        await first.notify()
        await asyncio.wait_for(heard.wait(), timeout=5)
