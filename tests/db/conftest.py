"""Fixtures for the storage tests: each runs on a real SQLite file in tmp_path and on a real
PostgreSQL database (tests/pg.py), with a clock the tests control. `sqlite_path` is for the
few tests about SQLite itself (its file lock, the old SQL migrations)."""

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
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


@pytest.fixture(params=["sqlite", "postgres"])
def db_path(request: pytest.FixtureRequest, sqlite_path: Path) -> Path | str:
    """Where the database is: the SQLite file, or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return sqlite_path
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def db(db_path: Path | str, clock: FakeClock) -> AsyncIterator[Database]:
    async with await Database.open(db_path, clock=clock) as database:
        yield database


@pytest.fixture
async def sqlite_db(sqlite_path: Path, clock: FakeClock) -> AsyncIterator[Database]:
    """For tests about SQLite itself (its file lock, its query plans)."""
    async with await Database.open(sqlite_path, clock=clock) as database:
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
