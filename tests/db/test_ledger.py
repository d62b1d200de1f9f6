from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.db import ChargeState, Database, LedgerKind, NotFound
from bot.db.records import QuotaOutcome as Q
from tests.db.conftest import FakeClock, new_job

DAY = 86_400.0


@pytest.mark.fault(9)
async def test_charge_and_refund_happen_exactly_once(db: Database) -> None:
    job = await new_job(db)
    assert await db.ledger.refund(job.id, "no charge yet") is False
    assert await db.ledger.charge(job.id, 10, 30, 3) is True
    assert await db.ledger.charge(job.id, 10, 30, 3) is False
    charged = await db.jobs.get(job.id)
    assert charged is not None
    assert (charged.charge_state, charged.cost) == (ChargeState.CHARGED, 3)
    assert await db.ledger.usage(10, 30, since=0) == 3

    assert await db.ledger.refund(job.id, "upstream failure") is True
    assert await db.ledger.refund(job.id, "second report of the failure") is False
    refunded = await db.jobs.get(job.id)
    assert refunded is not None
    assert refunded.charge_state is ChargeState.REFUNDED
    entries = await db.ledger.entries(job.id)
    assert [(e.kind, e.amount, e.reason) for e in entries] == [
        (LedgerKind.CHARGE, 3, None),
        (LedgerKind.REFUND, 3, "upstream failure"),
    ]
    assert await db.ledger.usage(10, 30, since=0) == 0
    # A refunded job is not charged again either.
    assert await db.ledger.charge(job.id, 10, 30, 3) is False


async def test_invalid_charges_are_refused(db: Database) -> None:
    job = await new_job(db)
    with pytest.raises(ValueError):
        await db.ledger.charge(job.id, 10, 30, -1)
    with pytest.raises(NotFound):
        await db.ledger.charge(job.id + 99, 10, 30, 1)
    assert await db.ledger.entries(job.id) == []


async def test_usage_by_user_guild_period_and_dms(db: Database, clock: FakeClock) -> None:
    old = await new_job(db)
    await db.ledger.charge(old.id, 10, 30, 5)
    clock.advance(DAY)
    since = clock.now
    for user, amount in ((30, 1), (30, 2), (31, 4)):
        job = await new_job(db, user_id=user)
        await db.ledger.charge(job.id, 10, user, amount)
    dm = await new_job(db, guild_id=None)
    await db.ledger.charge(dm.id, None, 30, 7)

    assert await db.ledger.usage(10, 30, since) == 3
    assert await db.ledger.usage(10, None, since) == 7
    assert await db.ledger.usage(10, None, 0) == 12
    assert await db.ledger.usage(None, 30, since) == 7
    assert await db.ledger.usage(11, None, 0) == 0
    # Refunding yesterday's charge today lowers yesterday's usage, never today's below zero.
    await db.ledger.refund(old.id, "late failure")
    assert await db.ledger.usage(10, 30, since) == 3
    assert await db.ledger.usage(10, 30, 0) == 3


async def test_reserve_checks_user_and_guild_limits(db: Database) -> None:
    jobs = [await new_job(db, user_id=30 + n % 2) for n in range(4)]
    limits: dict[str, Any] = {
        "user_limit": 2,
        "guild_limit": 3,
        "since_user": 0.0,
        "since_guild": 0.0,
    }
    assert await db.ledger.reserve_within_quota(jobs[0].id, 10, 30, 1, **limits) == Q.CHARGED
    again = await db.ledger.reserve_within_quota(jobs[0].id, 10, 30, 1, **limits)
    assert again == Q.ALREADY_CHARGED
    assert await db.ledger.reserve_within_quota(jobs[1].id, 10, 31, 2, **limits) == Q.CHARGED
    assert await db.ledger.reserve_within_quota(jobs[2].id, 10, 30, 1, **limits) == Q.GUILD_LIMIT
    unlimited = {**limits, "guild_limit": None}
    assert await db.ledger.reserve_within_quota(jobs[2].id, 10, 30, 1, **unlimited) == Q.CHARGED
    assert await db.ledger.reserve_within_quota(jobs[3].id, 10, 31, 1, **unlimited) == Q.USER_LIMIT
    assert await db.ledger.usage(10, None, 0) == 4

    reserved = await db.jobs.get(jobs[0].id)
    assert reserved is not None
    assert reserved.charge_state is ChargeState.RESERVED
    assert await db.ledger.confirm(jobs[0].id) is True
    assert await db.ledger.confirm(jobs[0].id) is False
    confirmed = await db.jobs.get(jobs[0].id)
    assert confirmed is not None
    assert confirmed.charge_state is ChargeState.CHARGED
    # A refund gives the quota back.
    assert await db.ledger.refund(jobs[1].id, "banned prompt") is True
    assert await db.ledger.reserve_within_quota(jobs[3].id, 10, 31, 1, **limits) == Q.CHARGED


async def test_channel_budgets_and_the_oldest_counted_charge(
    db: Database, clock: FakeClock
) -> None:
    start = clock.now
    first = await new_job(db, channel_id=20)
    await db.ledger.charge(first.id, 10, 30, 2)
    clock.advance(60.25)
    other = await new_job(db, channel_id=21)
    await db.ledger.charge(other.id, 10, 30, 3)
    clock.advance(60)
    third = await new_job(db, channel_id=20, user_id=31)
    await db.ledger.charge(third.id, 10, 31, 1)
    dm = await new_job(db, guild_id=None, channel_id=22)
    await db.ledger.charge(dm.id, None, 30, 5)

    assert await db.ledger.spent(10, 0) == 6
    assert await db.ledger.spent(10, 0, channel_id=20) == 3
    assert await db.ledger.spent(10, 0, channel_id=21) == 3
    assert await db.ledger.oldest_charge(10, None, 0) == start
    assert await db.ledger.oldest_charge(10, 31, 0) == start + 120.25
    assert await db.ledger.oldest_charge(None, 30, 0) == start + 120.25
    assert await db.ledger.oldest_charge(11, None, 0) is None
    # A refunded charge no longer counts, in the channel nor as the oldest one.
    await db.ledger.refund(first.id, "upstream failure")
    assert await db.ledger.spent(10, 0, channel_id=20) == 1
    assert await db.ledger.oldest_charge(10, None, 0) == start + 60.25
    assert await db.ledger.oldest_charge(10, None, start + 61) == start + 120.25

    job = await new_job(db, channel_id=20)
    limits: dict[str, Any] = {
        "user_limit": None,
        "guild_limit": None,
        "since_user": 0.0,
        "since_guild": 0.0,
        "channel_id": 20,
    }
    over = await db.ledger.reserve_within_quota(job.id, 10, 30, 2, **limits, channel_limit=2)
    assert over == Q.CHANNEL_LIMIT
    assert await db.ledger.entries(job.id) == []
    assert await db.ledger.reserve_within_quota(job.id, 10, 30, 2, **limits, channel_limit=3) == (
        Q.CHARGED
    )
    assert await db.ledger.spent(10, 0, channel_id=20) == 3


@pytest.mark.fault(24)
async def test_ten_parallel_reservations_with_one_credit_left(db_path: Path) -> None:
    """faults.md #24, across two connections (two processes would behave the same)."""
    async with await Database.open(db_path) as first, await Database.open(db_path) as second:
        spent = await new_job(first)
        await first.ledger.charge(spent.id, 10, 30, 4)
        jobs = [await new_job(first) for _ in range(10)]

        async def reserve(n: int) -> Q:
            db = first if n % 2 else second
            return await db.ledger.reserve_within_quota(
                jobs[n].id, 10, 30, 1, user_limit=5, guild_limit=100, since_user=0, since_guild=0
            )

        results = await asyncio.gather(*(reserve(n) for n in range(10)))
        assert results.count(Q.CHARGED) == 1
        assert await second.ledger.usage(10, 30, 0) == 5
