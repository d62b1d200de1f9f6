"""Fixtures for the storage tests: a real SQLite file in tmp_path and a clock tests control."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.db import Database, JobRecord


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


@pytest.fixture
async def db(db_path: Path, clock: FakeClock) -> AsyncIterator[Database]:
    async with await Database.open(db_path, clock=clock) as database:
        yield database


async def new_job(db: Database, **fields: Any) -> JobRecord:
    """A job with plausible defaults; keyword arguments override them."""
    values: dict[str, Any] = {
        "guild_id": 10,
        "channel_id": 20,
        "user_id": 30,
        "kind": "imagine",
        "prompt": "a cat",
    }
    values.update(fields)
    return await db.jobs.create(**values)
