"""Moderation hits (migration 0007): each blocked prompt of a member in a guild.

`record` stores a hit and counts the member's hits within the window in the same write
transaction, so two hits recorded at once get different counts (1 and 2, never 2 and 2) and
escalation acts on each threshold exactly once (on PostgreSQL the member's advisory lock
keeps two processes' records apart, as SQLite's single writer does).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import RowMapping, delete, func, select

from bot.db import sql
from bot.db.schema import moderation_hits

if TYPE_CHECKING:
    from bot.db.connection import Database

log = logging.getLogger(__name__)

# failReason is free upstream text: keep what a moderator needs to read, not whole pages.
MAX_DETAIL = 300


class HitKind(StrEnum):
    BANNED_WORD = "banned_word"  # caught by the guild's or the default banned list
    UPSTREAM_MODERATION = "upstream_moderation"  # refused by Midjourney (code 24, failReason)


@dataclass(frozen=True, slots=True)
class Hit:
    id: int
    guild_id: int
    user_id: int
    kind: HitKind
    detail: str
    created_at: float


class HitsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        guild_id: int,
        user_id: int,
        kind: HitKind | str,
        detail: str,
        now: float,
        *,
        window: float,
    ) -> int:
        """Store a hit at `now`; the member's hits in this guild within the `window` seconds
        ending now, this one included (later-stamped hits of another process count too)."""
        hit_kind = HitKind(kind)  # ValueError for an unknown kind
        if not math.isfinite(window) or window <= 0:
            raise ValueError("window must be a number of seconds > 0")
        c = moderation_hits.c
        async with self._db._write() as conn:
            # Without it, two transactions on PostgreSQL would each count only their own row.
            await self._db.serialize(conn, "hits", guild_id, user_id)
            await conn.execute(
                moderation_hits.insert().values(
                    guild_id=guild_id,
                    user_id=user_id,
                    kind=hit_kind.value,
                    detail=detail[:MAX_DETAIL],
                    created_at=now,
                )
            )
            found = await conn.scalar(
                select(func.count())
                .select_from(moderation_hits)
                .where(c.guild_id == guild_id, c.user_id == user_id, c.created_at > now - window)
            )
        count = int(found or 0)
        log.info("hit %s: user %d in guild %d, %d in window", hit_kind, user_id, guild_id, count)
        return count

    async def recent(
        self, guild_id: int, user_id: int, since: float, *, limit: int = 100
    ) -> list[Hit]:
        """The member's hits in this guild after `since` (exclusive, as `record` counts),
        newest first."""
        c = moderation_hits.c
        statement = (
            select(moderation_hits)
            .where(c.guild_id == guild_id, c.user_id == user_id, c.created_at > since)
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(limit)
        )
        async with self._db._read() as conn:
            rows = await sql.rows(conn, statement)
        return [_decode(row) for row in rows]

    async def clear(self, guild_id: int, user_id: int) -> int:
        """Forget a member's hits in this guild (a moderator's pardon); how many were removed."""
        c = moderation_hits.c
        statement = delete(moderation_hits).where(c.guild_id == guild_id, c.user_id == user_id)
        async with self._db._write() as conn:
            removed = await sql.count(conn, statement)
        return removed

    async def prune(self, before: float) -> int:
        """Delete hits older than `before` (beyond any window in use); how many were removed."""
        statement = delete(moderation_hits).where(moderation_hits.c.created_at < before)
        async with self._db._write() as conn:
            removed = await sql.count(conn, statement)
        return removed


def _decode(row: RowMapping) -> Hit:
    return Hit(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        kind=HitKind(row["kind"]),
        detail=row["detail"],
        created_at=row["created_at"],
    )
