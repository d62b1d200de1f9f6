"""The audit log: who tried which privileged action, and whether it was allowed.

Callers pass `detail` already free of secrets: it is stored and shown back verbatim.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import RowMapping, select

from bot.db import sql
from bot.db.codec import dumps, loads_object
from bot.db.records import AuditEntry
from bot.db.schema import audit_log

if TYPE_CHECKING:
    from bot.db.connection import Database

log = logging.getLogger(__name__)


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def log(
        self,
        guild_id: int | None,
        actor_id: int,
        action: str,
        detail: Mapping[str, Any],
        allowed: bool,
    ) -> AuditEntry:
        statement = (
            audit_log.insert()
            .values(
                guild_id=guild_id,
                actor_id=actor_id,
                action=action,
                detail=dumps(dict(detail)),
                allowed=int(allowed),
                created_at=self._db.now(),
            )
            .returning(*audit_log.c)
        )
        async with self._db._write() as conn:
            found = await sql.row(conn, statement)
        assert found is not None  # an INSERT … RETURNING returns its row
        if not allowed:
            log.info("denied %s by %d in guild %s", action, actor_id, guild_id)
        return _decode(found)

    async def recent(self, guild_id: int | None, limit: int = 50) -> list[AuditEntry]:
        """The guild's latest entries (None: DMs), newest first."""
        # `= NULL` matches nothing, and IS NOT DISTINCT FROM would not use the index.
        where = (
            audit_log.c.guild_id.is_(None) if guild_id is None else audit_log.c.guild_id == guild_id
        )
        statement = select(audit_log).where(where).order_by(audit_log.c.id.desc()).limit(limit)
        async with self._db._read() as conn:
            found = await sql.rows(conn, statement)
        return [_decode(row) for row in found]

    async def page(
        self,
        guild_id: int,
        *,
        actor_id: int | None = None,
        action_prefix: str | None = None,
        before_id: int | None = None,
        limit: int = 10,
    ) -> list[AuditEntry]:
        """Entries newest first, filtered by who acted and what kind (an action prefix such
        as "admin.key"), older than `before_id` (the next page)."""
        statement = select(audit_log).where(audit_log.c.guild_id == guild_id)
        if actor_id is not None:
            statement = statement.where(audit_log.c.actor_id == actor_id)
        if action_prefix:
            # Case-insensitive as SQLite's LIKE always was; autoescape keeps % and _ literal.
            statement = statement.where(
                audit_log.c.action.istartswith(action_prefix, autoescape=True)
            )
        if before_id is not None:
            statement = statement.where(audit_log.c.id < before_id)
        statement = statement.order_by(audit_log.c.id.desc()).limit(limit)
        async with self._db._read() as conn:
            found = await sql.rows(conn, statement)
        return [_decode(row) for row in found]


def _decode(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        actor_id=row["actor_id"],
        action=row["action"],
        detail=loads_object(row["detail"]),
        allowed=bool(row["allowed"]),
        created_at=row["created_at"],
    )
