"""Vary (Region) sessions: the opener's moderator flag (migration 0004, on an old SQLite file)
and pruning, so that months of sessions and their staged mask PNGs do not pile up."""

from __future__ import annotations

import os
from pathlib import Path

import aiosqlite
from sqlalchemy import func, select

from bot.db import Database, load_migrations, migrate
from bot.db.records import RegionSession
from bot.db.schema import region_sessions
from tests.db.conftest import FakeClock, new_job

LIFETIME = 900.0
DAY = 86400.0
MASK = 20_000  # bytes of one staged mask PNG


async def totals(db: Database) -> tuple[int, int]:
    """(rows, bytes of staged masks) in region_sessions."""
    stored = func.coalesce(func.sum(func.length(region_sessions.c.staged_mask)), 0)
    async with db._read() as conn:
        row = (await conn.execute(select(func.count(), stored).select_from(region_sessions))).one()
    return int(row[0]), int(row[1])


async def session(db: Database, job_id: int, *, moderator: bool = False) -> RegionSession:
    return await db.regions.create(
        job_id=job_id,
        button_index=3,
        user_id=30,
        guild_id=10,
        channel_id=20,
        prompt="a cat",
        lifetime=LIFETIME,
        is_moderator=moderator,
    )


async def test_the_moderator_flag_is_stored_and_old_rows_default_to_no(
    sqlite_path: Path,
) -> None:
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(sqlite_path, isolation_level=None) as old:
        await migrate(old, load_migrations()[:3])  # the schema before 0004
        await old.execute(
            "INSERT INTO jobs (guild_id, channel_id, user_id, kind, status, created_at, "
            "updated_at) VALUES (10, 20, 30, 'imagine', 'succeeded', 0, 0)"
        )
        await old.execute(
            "INSERT INTO region_sessions (job_id, button_index, user_id, channel_id, "
            "created_at, expires_at) VALUES (1, 3, 30, 20, 0, 900)"
        )
    async with await Database.open(sqlite_path) as db:
        job = await db.jobs.get(1)
        assert job is not None
        legacy = await db.regions.get(1)
        assert legacy is not None and legacy.is_moderator is False
        mod = await session(db, job.id, moderator=True)
        assert mod.is_moderator is True
        assert await db.regions.get(mod.id) == mod
        plain = await session(db, job.id)
        assert (await db.regions.get(plain.id)) == plain and plain.is_moderator is False


async def test_prune_deletes_old_sessions_and_drops_closed_masks(
    db: Database, clock: FakeClock
) -> None:
    job = await new_job(db)
    start = clock.now
    made: list[RegionSession] = []
    for hour in range(40):  # a session an hour, each with a mask; every third one submitted
        clock.now = start + hour * 3600
        s = await session(db, job.id)
        await db.regions.stage_mask(s.id, os.urandom(MASK), "a dog")
        if hour % 3 == 0:
            clock.advance(60)
            used = await db.regions.use(s.id)
            assert used is not None
            s = used
        made.append(s)
    clock.now = start + 39 * 3600 + 300  # hour 39 is used but not yet expired
    waiting = await session(db, job.id)  # open, its uploaded mask awaiting Confirm
    await db.regions.stage_mask(waiting.id, os.urandom(MASK), "a dog")
    assert await totals(db) == (41, 41 * MASK)

    before = clock.now - DAY
    old = {
        s.id
        for s in made
        if s.expires_at < before or (s.used_at is not None and s.used_at < before)
    }
    # Hours 0-14 expired before the cut; hour 15 expired after it but was used before it.
    assert old == {s.id for s in made[:16]}
    assert await db.regions.prune(before) == len(old)
    assert await totals(db) == (41 - 16, MASK)  # one mask left: the open session's
    assert await db.regions.staged_mask(waiting.id) is not None
    assert await db.regions.staged_mask(made[39].id) is None  # used: its mask is done with
    for s in made:
        assert (await db.regions.get(s.id) is None) == (s.id in old), s
    assert await db.regions.prune(before) == 0  # nothing more the second time
    assert await totals(db) == (41 - 16, MASK)
    clock.advance(LIFETIME + 1)  # the open one expires unconfirmed: its mask goes, its row stays
    assert await db.regions.prune(before) == 0
    assert await totals(db) == (41 - 16, 0)


async def test_a_bot_that_runs_for_weeks_keeps_a_bounded_table(
    db: Database, clock: FakeClock
) -> None:
    job = await new_job(db)
    peak = (0, 0)
    for hour in range(24 * 21):  # three weeks, a session an hour, pruned every six hours
        clock.advance(3600)
        s = await session(db, job.id)
        await db.regions.stage_mask(s.id, os.urandom(MASK), "a dog")
        if hour % 2:
            await db.regions.use(s.id)
        if hour % 6 == 5:
            await db.regions.prune(clock.now - DAY)
            peak = max(peak, await totals(db))
    rows, stored = peak
    assert rows <= 24 + 6 + 1  # a day of history and the hours since the last prune
    assert stored <= MASK  # at most the one session still open
