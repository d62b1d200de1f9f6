"""The per-channel edit budget in the database (bot/db/edits.py), shared by two processes,
on both engines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db import Database
from bot.jobs.coalesce import SharedChannelBudget
from tests.db.conftest import FakeClock


@pytest.fixture
async def other(db_path: Path | str, clock: FakeClock, db: Database) -> AsyncIterator[Database]:
    async with await Database.open(db_path, clock=clock, owner="other") as second:
        yield second


async def test_two_processes_share_one_channels_budget(
    db: Database, other: Database, clock: FakeClock
) -> None:
    budgets = [SharedChannelBudget(p.edits, limit=4, per=5.0, clock=clock) for p in (db, other)]
    taken = await asyncio.gather(*(budgets[n % 2].allow(7) for n in range(10)))
    assert taken.count(True) == 4  # four edits for the bot, whichever process asks
    assert await budgets[0].allow(8)  # another channel has its own window
    await budgets[1].record(8)  # a final render always goes, and counts
    clock.advance(5.1)
    assert await budgets[1].allow(7)  # the window moved on
    assert await db.edits.prune(clock.now) >= 2  # the quiet ones' rows go
