from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import Database, MigrationError, latest_version, load_migrations, migrate
from bot.db.schema_upgrade import LEGACY_HEAD, head, sqlite_engine, upgrade
from tests.db.conftest import new_job

TABLES = {"jobs", "claims", "guild_settings", "guild_bans", "user_settings", "ledger", "audit_log"}
INDEXES = {
    "jobs_due",
    "jobs_user",
    "jobs_parent",
    "ledger_guild_user",
    "ledger_guild",
    "audit_guild",
}


async def _scalar(conn: aiosqlite.Connection | AsyncConnection, sql: str) -> object:
    if isinstance(conn, AsyncConnection):
        return await conn.scalar(text(sql))
    async with conn.execute(sql) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


async def _names(conn: aiosqlite.Connection | AsyncConnection, kind: str) -> set[str]:
    sql = f"SELECT name FROM sqlite_master WHERE type = '{kind}' AND name NOT LIKE 'sqlite_%'"
    if isinstance(conn, AsyncConnection):
        return {row[0] for row in await conn.execute(text(sql))}
    return {row[0] for row in await conn.execute_fetchall(sql)}


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


def test_packaged_migrations_are_found_as_package_data() -> None:
    steps = load_migrations()
    assert steps[0].version == 1
    assert steps[0].name == "init"
    assert latest_version() == len(steps) >= 1


async def test_empty_database_is_migrated_to_the_latest_schema(sqlite_db: Database) -> None:
    async with sqlite_db._write() as conn:
        await _check_new(conn)


async def _check_new(conn: AsyncConnection) -> None:
    assert await _scalar(conn, "SELECT version_num FROM alembic_version") == head()
    assert await _names(conn, "table") >= TABLES
    assert await _names(conn, "index") >= INDEXES
    # The connection's pragmas, which are per connection and so checked on db's own.
    assert await _scalar(conn, "PRAGMA journal_mode") == "wal"
    assert await _scalar(conn, "PRAGMA foreign_keys") == 1
    assert await _scalar(conn, "PRAGMA busy_timeout") == 5000
    assert await _scalar(conn, "PRAGMA synchronous") == 1  # NORMAL


async def test_open_creates_the_parent_directory(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "bot.db"
    async with await Database.open(path):
        pass
    assert path.is_file()


async def _schema(db: Database) -> set[str]:
    async with db._read() as conn:
        return await _names(conn, "table") | await _names(conn, "index")


async def test_reopening_is_a_no_op(sqlite_path: Path) -> None:
    async with await Database.open(sqlite_path) as db:
        job = await new_job(db)
        before = await _schema(db)
    async with await Database.open(sqlite_path) as db:
        assert await db.jobs.get(job.id) == job
        engine = sqlite_engine(sqlite_path)
        try:
            assert await upgrade(engine) == head()
        finally:
            await engine.dispose()
        assert await _schema(db) == before


async def test_a_failing_migration_rolls_back_completely(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "migrations",
        {
            "0001_first.sql": "CREATE TABLE a (x INTEGER);",
            # Its first statement succeeds, its second fails: neither may remain.
            "0002_broken.sql": "CREATE TABLE b (y INTEGER);\nINSERT INTO missing VALUES (1);",
        },
    )
    path = tmp_path / "bot.db"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        with pytest.raises(MigrationError, match="0002_broken"):
            await migrate(conn, load_migrations(folder))
        assert await _scalar(conn, "PRAGMA user_version") == 1
        assert await _names(conn, "table") == {"a"}
        assert not conn.in_transaction

    _write(folder, {"0002_broken.sql": "CREATE TABLE b (y INTEGER); -- fixed, no final newline"})
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        assert await migrate(conn, load_migrations(folder)) == 2
        assert await _names(conn, "table") == {"a", "b"}


async def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    async with aiosqlite.connect(path) as conn:
        await conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
        await conn.commit()
    with pytest.raises(MigrationError, match="newer"):
        await Database.open(path)
    later = tmp_path / "later.db"
    async with await Database.open(later) as db, db._write() as conn:  # a later bot's revision
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(MigrationError, match="newer"):
        await Database.open(later)


@pytest.mark.parametrize("version", [LEGACY_HEAD, 5])
async def test_a_database_of_the_sql_migrations_is_carried_over(
    tmp_path: Path, version: int
) -> None:
    """A file made by the numbered SQL migrations keeps its rows: brought to their last
    version, then stamped at the Alembic revision with the same schema."""
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await migrate(conn, load_migrations()[:version])
        await conn.execute(
            "INSERT INTO jobs (channel_id, user_id, kind, status, created_at, updated_at) "
            "VALUES (1, 2, 'imagine', 'succeeded', 0, 0)"
        )
    async with await Database.open(path) as db:
        async with db._read() as conn:
            assert await _scalar(conn, "SELECT version_num FROM alembic_version") == head()
            assert await _scalar(conn, "PRAGMA user_version") == LEGACY_HEAD
        job = await db.jobs.get(1)
        assert job is not None and job.kind == "imagine"
        assert (await new_job(db)).id == 2


@pytest.mark.parametrize(
    "files",
    [
        {"0001_a.sql": "", "0003_c.sql": ""},  # gap
        {"0002_b.sql": ""},  # does not start at 1
        {"1_a.sql": ""},  # badly named
        {"0001_a.sql": "", "0001_b.sql": ""},  # duplicate
    ],
)
def test_badly_numbered_migrations_are_refused(tmp_path: Path, files: dict[str, str]) -> None:
    with pytest.raises(MigrationError):
        load_migrations(_write(tmp_path / "m", files))


def test_other_files_beside_the_migrations_are_ignored(tmp_path: Path) -> None:
    folder = _write(tmp_path / "m", {"0001_a.sql": "SELECT 1;", "README.md": "", "__init__.py": ""})
    assert [m.name for m in load_migrations(folder)] == ["a"]


async def test_two_processes_migrating_at_once_both_succeed(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    first, second = await asyncio.gather(Database.open(path), Database.open(path))
    try:
        for db in (first, second):
            async with db._read() as conn:
                assert await _scalar(conn, "SELECT version_num FROM alembic_version") == head()
        job = await new_job(first)
        assert await second.jobs.get(job.id) == job
    finally:
        await first.close()
        await second.close()
