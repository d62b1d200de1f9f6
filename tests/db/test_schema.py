"""One schema on both engines: the Alembic migrations build the same tables on an empty SQLite
file and an empty PostgreSQL database, their head matches bot/db/schema.py exactly, and on
SQLite it equals what the older numbered SQL migrations built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, types
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.db.migrate import load_migrations, migrate
from bot.db.schema import metadata
from bot.db.schema_upgrade import BASELINE, head, sqlite_engine, upgrade

KINDS = {
    types.Integer: "int",
    types.Float: "float",
    types.Text: "text",
    types.String: "text",
    types.LargeBinary: "bytes",
}


def _kind(column_type: Any) -> str:
    return next((v for k, v in KINDS.items() if isinstance(column_type, k)), repr(column_type))


def snapshot(conn: Connection, *, checks: bool = True) -> dict[str, Any]:
    """What matters of a schema, in terms both engines share."""
    found = inspect(conn)
    tables: dict[str, Any] = {}
    for table in sorted(set(found.get_table_names()) - {"alembic_version"}):
        pk = found.get_pk_constraint(table)["constrained_columns"]
        tables[table] = {
            "columns": {  # a key column is never NULL, whether it says NOT NULL or not
                c["name"]: (_kind(c["type"]), c["nullable"] and c["name"] not in pk)
                for c in found.get_columns(table)
            },
            "pk": pk,
            "fks": _foreign_keys(conn, found, table),
            "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(table)),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(table)
                if not (i["name"] or "").startswith(("sqlite_autoindex", "uq_"))
            ),
        }
        if checks:  # by name: PostgreSQL rewrites the text (IN → = ANY (ARRAY[…]))
            tables[table]["checks"] = sorted(
                str(c["name"]) for c in found.get_check_constraints(table)
            )
    return tables


def _foreign_keys(conn: Connection, found: Any, table: str) -> list[Any]:
    if conn.dialect.name == "sqlite":  # the reflection misses ON DELETE written inline
        rows = conn.exec_driver_sql(f"PRAGMA foreign_key_list({table})").mappings()
        keys = [
            (
                (r["from"],),
                r["table"],
                (r["to"],),
                None if r["on_delete"] == "NO ACTION" else r["on_delete"],
            )
            for r in rows
        ]
    else:
        keys = [
            (
                tuple(fk["constrained_columns"]),
                fk["referred_table"],
                tuple(fk["referred_columns"]),
                (fk.get("options") or {}).get("ondelete"),
            )
            for fk in found.get_foreign_keys(table)
        ]
    return sorted(keys)


async def _snapshot(engine: AsyncEngine, **kw: Any) -> dict[str, Any]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: snapshot(c, **kw))


async def _diff(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), metadata)
        )


async def test_the_migrations_build_one_schema_on_both_engines(tmp_path: Path, pg_url: str) -> None:
    lite = sqlite_engine(tmp_path / "new.db")
    pg = create_async_engine(pg_url.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        assert await upgrade(lite) == head()
        assert await upgrade(pg) == head()
        assert await upgrade(pg) == head()  # again: nothing to do
        on_sqlite, on_postgres = await _snapshot(lite), await _snapshot(pg)
        assert on_sqlite == on_postgres
        assert {"jobs", "claims", "ledger", "region_sessions"} <= set(on_postgres)
        # The head is exactly bot/db/schema.py, which the repositories query.
        assert await _diff(lite) == []
        assert await _diff(pg) == []
    finally:
        await lite.dispose()
        await pg.dispose()


async def test_on_sqlite_the_schema_is_the_one_of_the_sql_migrations(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "old.db", isolation_level=None) as conn:
        await migrate(conn, load_migrations())
    old, new = sqlite_engine(tmp_path / "old.db"), sqlite_engine(tmp_path / "new.db")
    try:
        await upgrade(new, BASELINE)  # the revision that took over from the SQL files
        # Column-level CHECKs of the SQL files are not reflected by name; the rest must match.
        assert await _snapshot(old, checks=False) == await _snapshot(new, checks=False)
    finally:
        await old.dispose()
        await new.dispose()
