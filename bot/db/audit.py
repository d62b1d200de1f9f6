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
