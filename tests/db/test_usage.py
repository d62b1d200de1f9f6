"""The usage queries: net spend per UTC day and mode, top members, export rows, reader path."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from bot.db import Database, JobStatus
from bot.db.usage import DayModeUsage, UsageRepository, UsageTotals, UserUsage
from tests.db.conftest import FakeClock, new_job

GUILD = 10


def at(day: int, hour: int = 12, minute: int = 0, second: float = 0.0) -> float:
    """A time in November 2023, UTC."""
    return datetime(2023, 11, day, hour, minute, tzinfo=UTC).timestamp() + second


async def spend(
    db: Database,
    clock: FakeClock,
    when: float,
    amount: int,
    *,
    mode: str = "fast",
    user: int = 30,
    guild: int | None = GUILD,
    refund: bool = False,
) -> int:
    """A job created and charged at `when` (and refunded at once if asked), as the bot does."""
    clock.now = when
    job = await new_job(db, guild_id=guild, user_id=user, mode=mode)
    assert await db.ledger.charge(job.id, guild, user, amount)
    if refund:
        assert await db.ledger.refund(job.id, "upstream failure")
    return job.id


@pytest.fixture
def repo(db: Database) -> UsageRepository:
    return UsageRepository(db)


async def test_refunds_net_out_per_day_and_mode(
    db: Database, clock: FakeClock, repo: UsageRepository
) -> None:
    await spend(db, clock, at(3, 9), 1)
    await spend(db, clock, at(3, 10), 1, refund=True)
    await spend(db, clock, at(3, 23, 59, 59.9), 3, mode="turbo")  # still the 3rd in UTC
    await spend(db, clock, at(5, 0), 1, mode="relax")
    # Outside the guild or the period: other guild, DM, just before and exactly at the ends.
    await spend(db, clock, at(4), 7, guild=11)
    await spend(db, clock, at(4), 7, guild=None)
    await spend(db, clock, at(1, 0) - 0.001, 7)
    await spend(db, clock, at(6, 0), 7)

    daily = await repo.daily(GUILD, at(1, 0), at(6, 0))
    assert daily == [
        DayModeUsage(date(2023, 11, 3), "fast", jobs=2, charged=2, refunded=1),
        DayModeUsage(date(2023, 11, 3), "turbo", jobs=1, charged=3, refunded=0),
        DayModeUsage(date(2023, 11, 5), "relax", jobs=1, charged=1, refunded=0),
    ]
    assert [u.net for u in daily] == [1, 3, 1]
    totals = await repo.totals(GUILD, at(1, 0), at(6, 0))
    assert totals == UsageTotals(jobs=4, charged=6, refunded=1)
    assert totals.net == 5
    assert await repo.totals(GUILD, at(2, 0), at(3, 0)) == UsageTotals(0, 0, 0)


async def test_a_late_refund_is_taken_off_the_day_of_its_job(
    db: Database, clock: FakeClock, repo: UsageRepository
) -> None:
    job_id = await spend(db, clock, at(3), 3, mode="turbo")
    clock.now = at(8)
    assert await db.ledger.refund(job_id, "found failed later")

    assert await repo.daily(GUILD, at(1, 0), at(10, 0)) == [
        DayModeUsage(date(2023, 11, 3), "turbo", jobs=1, charged=3, refunded=3)
    ]
    assert (await repo.totals(GUILD, at(8, 0), at(9, 0))).jobs == 0


async def test_jobs_without_a_charge_count_as_jobs_with_no_credits(
    db: Database, clock: FakeClock, repo: UsageRepository
) -> None:
    clock.now = at(3)
    await new_job(db, guild_id=GUILD, mode="relax")
    assert await repo.daily(GUILD, at(1, 0), at(4, 0)) == [
        DayModeUsage(date(2023, 11, 3), "relax", jobs=1, charged=0, refunded=0)
    ]


async def test_top_users_by_net_spend(
    db: Database, clock: FakeClock, repo: UsageRepository
) -> None:
    await spend(db, clock, at(2), 3, user=31, mode="turbo")
    await spend(db, clock, at(2), 3, user=31, mode="turbo", refund=True)
    for _ in range(3):
        await spend(db, clock, at(3), 1, user=32)
    await spend(db, clock, at(3), 3, user=36, mode="turbo")
    await spend(db, clock, at(3), 3, user=33, mode="turbo")
    await spend(db, clock, at(4), 9, user=34, refund=True)
    await spend(db, clock, at(4), 50, user=35, guild=11)

    top = await repo.top_users(GUILD, at(1, 0), at(6, 0))
    # Four members net 3 credits: more jobs first; 33 and 36 tie on jobs too: lower id first.
    assert top == [
        UserUsage(32, jobs=3, charged=3, refunded=0),
        UserUsage(31, jobs=2, charged=6, refunded=3),
        UserUsage(33, jobs=1, charged=3, refunded=0),
        UserUsage(36, jobs=1, charged=3, refunded=0),
        UserUsage(34, jobs=1, charged=9, refunded=9),  # a refunded job is no spend
    ]
    assert [u.user_id for u in await repo.top_users(GUILD, at(1, 0), at(6, 0), limit=2)] == [
        32,
        31,
    ]


async def test_rows_for_the_export(db: Database, clock: FakeClock, repo: UsageRepository) -> None:
    first = await spend(db, clock, at(3, 9, 30, 0.75), 3, mode="turbo", user=31)
    second = await spend(db, clock, at(3, 8), 1, refund=True)
    clock.now = at(4)
    third = await new_job(db, guild_id=GUILD, kind="describe", action="describe")
    await db.jobs.transition(third.id, from_statuses={JobStatus.RESERVED}, to=JobStatus.FAILED)
    await spend(db, clock, at(4), 1, guild=11)

    rows = await repo.rows(GUILD, at(1, 0), at(6, 0))
    assert [r.job_id for r in rows] == [second, first, third.id]  # by creation time
    row = rows[1]
    assert row.created_at == datetime(2023, 11, 3, 9, 30, 0, tzinfo=UTC)  # whole seconds
    assert row.created_at.isoformat() == "2023-11-03T09:30:00+00:00"
    assert (row.user_id, row.kind, row.action, row.mode, row.status) == (
        31,
        "imagine",
        "",
        "turbo",
        JobStatus.RESERVED,
    )
    assert [(r.charged, r.refunded, r.net) for r in rows] == [(1, 1, 0), (3, 0, 3), (0, 0, 0)]
    assert rows[2].status is JobStatus.FAILED
    assert [r.job_id for r in await repo.rows(GUILD, at(1, 0), at(6, 0), limit=2)] == [
        second,
        first,
    ]


async def test_reads_use_the_reader_and_never_wait_for_the_writer(
    db: Database, clock: FakeClock, repo: UsageRepository
) -> None:
    await spend(db, clock, at(3), 1)
    inside, release = asyncio.Event(), asyncio.Event()

    async def open_transaction() -> None:
        async with db.transaction():
            clock.now = at(3)
            job = await new_job(db, guild_id=GUILD)
            await db.ledger.charge(job.id, GUILD, 30, 5)
            inside.set()
            await release.wait()

    writer = asyncio.create_task(open_transaction())
    await inside.wait()
    # On the writer's connection these would wait for `release` and time out.
    seen = await asyncio.wait_for(repo.totals(GUILD, at(1, 0), at(6, 0)), timeout=10)
    rows = await asyncio.wait_for(repo.rows(GUILD, at(1, 0), at(6, 0)), timeout=10)
    assert seen == UsageTotals(jobs=1, charged=1, refunded=0)  # not the uncommitted job
    assert len(rows) == 1
    release.set()
    await writer
    assert (await repo.totals(GUILD, at(1, 0), at(6, 0))).charged == 6


async def test_a_period_that_ends_before_it_starts_is_refused(repo: UsageRepository) -> None:
    with pytest.raises(ValueError):
        await repo.daily(GUILD, at(5), at(4))
    assert await repo.daily(GUILD, at(5), at(5)) == []
