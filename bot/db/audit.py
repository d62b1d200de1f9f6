"""The audit log: who tried which privileged action, and whether it was allowed.

Callers pass `detail` already free of secrets: it is stored and shown back verbatim.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.db.codec import dumps, loads_object
from bot.db.records import AuditEntry

if TYPE_CHECKING:
    from bot.db.connection import Database

log = logging.getLogger(__name__)

_COLUMNS = "id, guild_id, actor_id, action, detail, allowed, created_at"


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
        async with self._db._write() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "INSERT INTO audit_log (guild_id, actor_id, action, detail, allowed, "
                    f"created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
                    [guild_id, actor_id, action, dumps(dict(detail)), int(allowed), self._db.now()],
                )
            )
        if not allowed:
            log.info("denied %s by %d in guild %s", action, actor_id, guild_id)
        return _decode(rows[0])

    async def recent(self, guild_id: int | None, limit: int = 50) -> list[AuditEntry]:
        """The guild's latest entries (None: DMs), newest first."""
        async with self._db._read() as conn:
            rows = await conn.execute_fetchall(
                f"SELECT {_COLUMNS} FROM audit_log WHERE guild_id IS ? ORDER BY id DESC LIMIT ?",
                [guild_id, limit],
            )
        return [_decode(row) for row in rows]

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
        sql = f"SELECT {_COLUMNS} FROM audit_log WHERE guild_id = ?"
        params: list[Any] = [guild_id]
        if actor_id is not None:
            sql += " AND actor_id = ?"
            params.append(actor_id)
        if action_prefix:
            sql += " AND action LIKE ? ESCAPE '\\'"
            escaped = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(escaped + "%")
        if before_id is not None:
            sql += " AND id < ?"
            params.append(before_id)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        async with self._db._read() as conn:
            rows = await conn.execute_fetchall(sql, params)
        return [_decode(row) for row in rows]


def _decode(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        actor_id=row["actor_id"],
        action=row["action"],
        detail=loads_object(row["detail"]),
        allowed=bool(row["allowed"]),
        created_at=row["created_at"],
    )
