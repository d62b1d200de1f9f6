"""The older numbered SQL migrations (`migrations/NNNN_name.sql`, 0001–0009), the version kept in
`PRAGMA user_version`. They only bring a SQLite file of an older bot to 0009; from there the
Alembic revisions (bot/db/alembic, from 0010) build and migrate every database.

Each file runs in its own transaction together with the version bump, so a failing file leaves
the database exactly at the previous version. Files must not contain BEGIN/COMMIT.
"""

from __future__ import annotations

import functools
import logging
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import aiosqlite

from bot.db.errors import MigrationError

log = logging.getLogger(__name__)

_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(source: Traversable | Path | None = None) -> tuple[Migration, ...]:
    """Read the migration files, in order; by default the ones shipped as package data."""
    root = source if source is not None else resources.files("bot.db").joinpath("migrations")
    found: list[Migration] = []
    for entry in root.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE_NAME.match(entry.name)
        if match is None:
            raise MigrationError(f"migration file {entry.name!r} is not named NNNN_name.sql")
        found.append(
            Migration(int(match["version"]), match["name"], entry.read_text(encoding="utf-8"))
        )
    found.sort(key=lambda m: m.version)
    # A gap or a duplicate would make user_version ambiguous.
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migration versions must be 1, 2, 3 … without gaps: {versions}")
    return tuple(found)


@functools.cache
def _packaged() -> tuple[Migration, ...]:
    return load_migrations()


def latest_version() -> int:
    """The schema version this code expects."""
    return len(_packaged())


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def migrate(conn: aiosqlite.Connection, migrations: Sequence[Migration] | None = None) -> int:
    """Apply the pending migrations in order and return the resulting schema version.

    `conn` must be in autocommit mode (isolation_level=None) and not inside a transaction.
    Safe to run from two processes at once: the loser of the race sees the version moved on.
    """
    steps = tuple(migrations) if migrations is not None else _packaged()
    latest = len(steps)
    current = await schema_version(conn)
    if current > latest:
        raise MigrationError(
            f"the database is at schema version {current}, newer than this bot's {latest}; "
            "upgrade the bot instead"
        )
    for step in steps[current:]:
        # executescript() would COMMIT an open transaction first, so the transaction is part
        # of the script itself; the version bump commits together with the schema change.
        script = f"BEGIN IMMEDIATE;\n{step.sql}\n;\nPRAGMA user_version = {step.version};\nCOMMIT;"
        try:
            await conn.executescript(script)
        except sqlite3.Error as exc:
            if conn.in_transaction:
                await conn.rollback()
            now = await schema_version(conn)
            if now >= step.version:
                log.info("migration %04d was applied by another process", step.version)
                continue
            raise MigrationError(f"migration {step.version:04d}_{step.name} failed: {exc}") from exc
        log.info("applied migration %04d_%s", step.version, step.name)
    return await schema_version(conn)
