"""Transactions within the process, and the busy timeout against writers in other processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite
import pytest

from bot.db import Database, DatabaseBusy, DatabaseClosed, JobStatus
from bot.db.records import QuotaOutcome
from tests.db.conftest import new_job

HOLD_SECONDS = 1.5  # well under the default busy timeout of 5 s


@asynccontextmanager
async def write_lock_held_elsewhere(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    """Another connection (as another process would) holding the write lock until committed."""
    async with aiosqlite.connect(path, isolation_level=None) as other:
        await other.execute("BEGIN IMMEDIATE")
        await other.execute("INSERT INTO audit_log (actor_id, action, allowed, created_at) "
                            "VALUES (1, 'other process', 1, 0)")  # fmt: skip
        try:
            yield other
        finally:
            if other.in_transaction:
                await other.execute("COMMIT")


@pytest.mark.fault(24)
async def test_a_write_waits_out_another_writers_lock(
    sqlite_db: Database, sqlite_path: Path
) -> None:
    """SQLite's file lock held by another process (PostgreSQL has row locks instead)."""
    db, db_path = sqlite_db, sqlite_path
    job = await new_job(db)
    async with write_lock_held_elsewhere(db_path) as other:
        started = time.monotonic()
        write = asyncio.create_task(db.jobs.update(job.id, progress=50))
        await asyncio.sleep(HOLD_SECONDS)
        assert not write.done()  # blocked in the busy handler, not failed
        await other.execute("COMMIT")
        updated = await write
    assert updated.progress == 50
    assert time.monotonic() - started >= HOLD_SECONDS
    assert len(await db.audit.recent(None)) == 1  # the other writer's row is there too


@pytest.mark.fault(24)
async def test_reservations_succeed_once_while_another_writer_holds_the_lock(
    sqlite_db: Database, sqlite_path: Path
) -> None:
    """faults.md #24: 10 parallel reservations, 1 credit left, the SQLite lock held elsewhere."""
    db, db_path = sqlite_db, sqlite_path
    jobs = [await new_job(db) for _ in range(10)]
    async with write_lock_held_elsewhere(db_path) as other:
        reservations = asyncio.gather(
            *(
                db.ledger.reserve_within_quota(
                    job.id, 10, 30, 1, user_limit=1, guild_limit=None, since_user=0, since_guild=0
                )
                for job in jobs
            )
        )
        await asyncio.sleep(HOLD_SECONDS)
        await other.execute("COMMIT")
        results = await reservations
    assert results.count(QuotaOutcome.CHARGED) == 1
    assert await db.ledger.usage(10, 30, since=0) == 1


async def test_past_the_busy_timeout_the_error_is_typed_and_the_db_recovers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.db"
    async with await Database.open(path, busy_timeout_ms=50) as db:
        job = await new_job(db)
        async with write_lock_held_elsewhere(path):
            with pytest.raises(DatabaseBusy):
                await db.jobs.update(job.id, progress=10)
            assert (await db.jobs.get(job.id)) == job  # reads are not blocked (WAL)
        assert (await db.jobs.update(job.id, progress=10)).progress == 10


async def test_a_transaction_is_all_or_nothing(db: Database) -> None:
    parent = await new_job(db)

    async def claim_then_fail() -> None:
        async with db.transaction():
            await db.claims.claim(parent.id, 0, user_id=30)
            await new_job(db, parent_id=parent.id, button_index=0)
            raise RuntimeError("upstream refused")

    with pytest.raises(RuntimeError):
        await claim_then_fail()
    assert await db.claims.get(parent.id, 0) is None
    assert await db.jobs.children(parent.id) == []

    async with db.transaction():
        assert await db.claims.claim(parent.id, 0, user_id=30)
        child = await new_job(db, parent_id=parent.id, button_index=0)
        await db.claims.set_child(parent.id, 0, child.id)
    claim = await db.claims.get(parent.id, 0)
    assert claim is not None
    assert claim.child_job_id == child.id


async def test_a_failing_inner_transaction_is_undone_alone(db: Database) -> None:
    job = await new_job(db)

    async def invalid_second_write() -> None:
        async with db.transaction():
            await db.jobs.update(job.id, progress=20)
            await db.jobs.update(job.id, progress=200)

    async def failing_block() -> None:
        async with db.transaction():
            await db.jobs.update(job.id, fail_reason="inner")
            raise ValueError("undo the inner block")

    async with db.transaction():
        await db.jobs.update(job.id, progress=10)
        with pytest.raises(ValueError):
            await invalid_second_write()
        with pytest.raises(ValueError):
            await failing_block()
    stored = await db.jobs.get(job.id)
    assert stored is not None
    assert (stored.progress, stored.fail_reason) == (10, None)


async def test_other_tasks_never_see_an_open_transaction(db: Database) -> None:
    job = await new_job(db)
    inside = asyncio.Event()

    async def rolled_back() -> None:
        async with db.transaction():
            await db.jobs.update(job.id, fail_reason="uncommitted")
            inside.set()
            await asyncio.sleep(0.05)
            raise RuntimeError

    writer = asyncio.create_task(rolled_back())
    await inside.wait()
    seen = await db.jobs.get(job.id)  # waits for the transaction to end
    assert seen is not None
    assert seen.fail_reason is None
    with pytest.raises(RuntimeError):
        await writer


async def test_a_cancelled_transaction_rolls_back(db: Database) -> None:
    job = await new_job(db)
    inside = asyncio.Event()

    async def slow() -> None:
        async with db.transaction():
            await db.jobs.transition(
                job.id, from_statuses={JobStatus.RESERVED}, to=JobStatus.SUBMITTED
            )
            inside.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(slow())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stored = await db.jobs.get(job.id)
    assert stored is not None
    assert stored.status is JobStatus.RESERVED
    assert (await db.jobs.update(job.id, progress=1)).progress == 1


async def test_close_is_idempotent_and_waits_for_work_in_flight(db_path: Path) -> None:
    db = await Database.open(db_path)
    job = await new_job(db)
    update = asyncio.create_task(db.jobs.update(job.id, progress=99))
    await asyncio.sleep(0)
    await db.close()
    await db.close()
    assert (await update).progress == 99
    async with await Database.open(db_path) as again:
        stored = await again.jobs.get(job.id)
        assert stored is not None
        assert stored.progress == 99


async def test_work_after_close_fails_plainly(db_path: Path | str) -> None:
    """A task of a stopping bot that outlives close() gets a clear error (on PostgreSQL the
    disposed engine would otherwise open a new pool behind the closed bot's back)."""
    db = await Database.open(db_path)
    job = await new_job(db)
    await db.close()
    with pytest.raises(DatabaseClosed):
        await db.jobs.get(job.id)
    with pytest.raises(DatabaseClosed):
        await db.jobs.update(job.id, progress=5)


async def test_a_write_cancelled_midway_leaves_the_database_usable(db: Database) -> None:
    """A task cancelled inside its transaction (a tracker stopping) loses its writes, and the
    next writer and close() find a clean connection."""
    job = await new_job(db)
    inside = asyncio.Event()

    async def stopped_midway() -> None:
        async with db.transaction():
            await db.jobs.update(job.id, progress=5)
            inside.set()
            await asyncio.Event().wait()  # until cancelled

    task = asyncio.create_task(stopped_midway())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await db.jobs.update(job.id, progress=7)).progress == 7
    stored = await db.jobs.get(job.id)
    assert stored is not None and stored.progress == 7


async def test_a_write_cancelled_during_a_statement_strands_no_lock(
    sqlite_db: Database, sqlite_path: Path
) -> None:
    """A task cancelled while its statement runs on the driver's thread (the bot closing)
    keeps its connection, and its transaction is rolled back before it ends: a connection
    dropped as broken would hold SQLite's write lock until closed, later (the next process
    then fails to start). SQLite only: PostgreSQL rightly drops such a connection."""
    db = sqlite_db
    job = await new_job(db)
    writer, _ = db._kept[id(db._writer)]
    async with aiosqlite.connect(sqlite_path, isolation_level=None) as other:
        await other.execute("PRAGMA busy_timeout = 0")  # another process that does not wait
        for n in range(60):

            async def writing(progress: int) -> None:
                while True:
                    await db.jobs.update(job.id, progress=progress)

            task = asyncio.create_task(writing(n))
            for _ in range(n % 7 + 1):  # cancelled at a different step each time
                await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not writer.invalidated, f"the connection was dropped at cancel {n}"
            await other.execute("BEGIN IMMEDIATE")  # the write lock is free at once
            await other.execute("ROLLBACK")
    assert (await db.jobs.update(job.id, progress=99)).progress == 99
