"""Moderation hits on SQLite and PostgreSQL: counting within the window, concurrency, pruning."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.db.hits import MAX_DETAIL, Hit, HitKind, HitsRepository
from bot.jobs.escalation import EscalationPolicy, Step, decide

from .conftest import FakeClock

DAY = 86400.0
GUILD, OTHER_GUILD, USER, OTHER_USER = 10, 11, 30, 31


@pytest.fixture
def hits(db: Database) -> HitsRepository:
    return HitsRepository(db)


async def test_record_counts_hits_within_the_window(hits: HitsRepository) -> None:
    t = 1_700_000_000.0
    assert await hits.record(GUILD, USER, HitKind.BANNED_WORD, "gore", t, window=DAY) == 1
    assert (
        await hits.record(GUILD, USER, "upstream_moderation", "可能包含敏感词", t + 10, window=DAY)
        == 2
    )
    # Exactly one window after the first hit, the first one has left it.
    assert await hits.record(GUILD, USER, HitKind.BANNED_WORD, "gore", t + DAY, window=DAY) == 2
    assert await hits.record(GUILD, USER, HitKind.BANNED_WORD, "gore", t + DAY, window=5) == 2
    assert await hits.record(GUILD, USER, HitKind.BANNED_WORD, "x", t + 3 * DAY, window=DAY) == 1


async def test_counts_are_per_guild_and_user(hits: HitsRepository) -> None:
    t = 1_700_000_000.0
    await hits.record(GUILD, USER, HitKind.BANNED_WORD, "a", t, window=DAY)
    await hits.record(GUILD, USER, HitKind.BANNED_WORD, "b", t, window=DAY)
    assert await hits.record(OTHER_GUILD, USER, HitKind.BANNED_WORD, "c", t, window=DAY) == 1
    assert await hits.record(GUILD, OTHER_USER, HitKind.BANNED_WORD, "d", t, window=DAY) == 1
    assert [h.detail for h in await hits.recent(GUILD, USER, t - DAY)] == ["b", "a"]


async def test_recent_is_newest_first_and_exclusive_of_since(hits: HitsRepository) -> None:
    t = 1_700_000_000.0
    for offset, word in ((0, "first"), (60, "second"), (120, "third")):
        await hits.record(GUILD, USER, HitKind.BANNED_WORD, word, t + offset, window=DAY)
    found = await hits.recent(GUILD, USER, since=t)
    assert [h.detail for h in found] == ["third", "second"]
    assert found[0] == Hit(
        id=found[0].id,
        guild_id=GUILD,
        user_id=USER,
        kind=HitKind.BANNED_WORD,
        detail="third",
        created_at=t + 120,
    )
    assert [h.detail for h in await hits.recent(GUILD, USER, since=0, limit=1)] == ["third"]
    assert await hits.recent(GUILD, OTHER_USER, since=0) == []


async def test_recent_matches_what_record_counted(hits: HitsRepository) -> None:
    t = 1_700_000_000.0
    for offset in (0, 100, 200):
        count = await hits.record(GUILD, USER, HitKind.BANNED_WORD, "w", t + offset, window=150)
    assert count == len(await hits.recent(GUILD, USER, since=t + 200 - 150)) == 2


async def test_concurrent_hits_get_distinct_counts(hits: HitsRepository) -> None:
    # The insert and the count share one transaction: each threshold is crossed once.
    t = 1_700_000_000.0
    counts = await asyncio.gather(
        *(hits.record(GUILD, USER, HitKind.BANNED_WORD, f"w{i}", t, window=DAY) for i in range(6))
    )
    assert sorted(counts) == [1, 2, 3, 4, 5, 6]
    policy = EscalationPolicy(timeout_at=3)
    assert sum(decide(policy, c) is Step.TIMEOUT for c in counts) == 2


async def test_unknown_kind_and_bad_window_are_refused(hits: HitsRepository) -> None:
    with pytest.raises(ValueError, match="spam"):
        await hits.record(GUILD, USER, "spam", "", 0.0, window=DAY)
    with pytest.raises(ValueError, match="window"):
        await hits.record(GUILD, USER, HitKind.BANNED_WORD, "", 0.0, window=0)
    assert await hits.recent(GUILD, USER, since=-1) == []


async def test_the_table_refuses_unknown_kinds_too(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db._write() as conn:
            await conn.execute(
                text(
                    "INSERT INTO moderation_hits (guild_id, user_id, kind, created_at) "
                    "VALUES (1, 2, 'spam', 0)"
                )
            )


async def test_long_details_are_cut(hits: HitsRepository) -> None:
    await hits.record(GUILD, USER, HitKind.UPSTREAM_MODERATION, "x" * 5000, 1.0, window=DAY)
    (hit,) = await hits.recent(GUILD, USER, since=0)
    assert hit.detail == "x" * MAX_DETAIL
    assert hit.kind is HitKind.UPSTREAM_MODERATION


async def test_clear_and_prune(hits: HitsRepository) -> None:
    t = 1_700_000_000.0
    for offset in (0, DAY, 2 * DAY):
        await hits.record(GUILD, USER, HitKind.BANNED_WORD, "w", t + offset, window=DAY)
    await hits.record(GUILD, OTHER_USER, HitKind.BANNED_WORD, "w", t, window=DAY)
    assert await hits.prune(before=t + DAY) == 2  # strictly older only
    assert [h.created_at for h in await hits.recent(GUILD, USER, since=0)] == [t + 2 * DAY, t + DAY]
    assert await hits.clear(GUILD, USER) == 2
    assert await hits.clear(GUILD, USER) == 0
    assert await hits.recent(GUILD, USER, since=0) == []


async def test_hits_survive_reopening(db_path: Path, clock: FakeClock) -> None:
    async with await Database.open(db_path, clock=clock) as first:
        await HitsRepository(first).record(GUILD, USER, HitKind.BANNED_WORD, "w", 5.0, window=DAY)
    async with await Database.open(db_path, clock=clock) as second:
        again = HitsRepository(second)
        assert await again.record(GUILD, USER, HitKind.BANNED_WORD, "w", 6.0, window=DAY) == 2
