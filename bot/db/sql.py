"""Small helpers the repositories share: running Core statements, the engine's INSERT (both
dialects' have ON CONFLICT), and telling integrity errors apart on either engine."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, RowMapping, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

Insert = sqlite.Insert | postgresql.Insert


def insert(conn: AsyncConnection, table: Table) -> Any:
    """INSERT for this connection's engine, with `.on_conflict_do_nothing/_do_update`."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def rows(
    conn: AsyncConnection, statement: Executable, params: dict[str, Any] | None = None
) -> list[RowMapping]:
    return list((await conn.execute(statement, params)).mappings())


async def row(
    conn: AsyncConnection, statement: Executable, params: dict[str, Any] | None = None
) -> RowMapping | None:
    return (await conn.execute(statement, params)).mappings().first()


async def count(conn: AsyncConnection, statement: Executable) -> int:
    """How many rows an UPDATE or DELETE changed."""
    return int((await conn.execute(statement)).rowcount)


def foreign_key_failed(exc: IntegrityError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code == "23503" or "FOREIGN KEY" in str(exc.orig)
