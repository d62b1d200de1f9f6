"""The per-channel edit budget, shared by every bot process (Discord allows about 5 message
edits per 5 s per channel, for the bot as a whole). The same sliding window as
bot/jobs/coalesce.py's ChannelBudget, kept in the database: the check and the write hold the
channel's advisory lock, so two processes cannot both take the last edit. It costs a write
per edit, which Discord's own limit keeps to about one a second per busy channel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from bot.db import sql
from bot.db.schema import channel_edits

if TYPE_CHECKING:
    from bot.db.connection import Database

c = channel_edits.c


class EditsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def allow(self, channel_id: int, now: float, *, limit: int, per: float) -> bool:
        """Take one edit of the channel's window if it has one left."""
        return await self._take(channel_id, now, limit=limit, per=per)

    async def record(self, channel_id: int, now: float, *, per: float) -> None:
        """Count an edit that is never dropped (a final render)."""
        await self._take(channel_id, now, limit=None, per=per)

    async def _take(self, channel_id: int, now: float, *, limit: int | None, per: float) -> bool:
        async with self._db._write() as conn:
            await self._db.serialize(conn, "channel_edits", channel_id)
            await conn.execute(
                delete(channel_edits).where(c.channel_id == channel_id, c.at <= now - per)
            )
            if limit is not None:
                used = await conn.scalar(
                    select(func.count())
                    .select_from(channel_edits)
                    .where(c.channel_id == channel_id)
                )
                if (used or 0) >= limit:
                    return False
            await conn.execute(channel_edits.insert().values(channel_id=channel_id, at=now))
        return True

    async def prune(self, before: float) -> int:
        """Forget edits older than `before` of every channel (quiet ones keep a few rows)."""
        async with self._db._write() as conn:
            return await sql.count(conn, delete(channel_edits).where(c.at < before))
