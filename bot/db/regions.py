"""Vary (Region) sessions: the selection and prompt of an open region editor.

A session lives 15 minutes and is used at most once; `prune` removes the old ones (and the
staged mask PNGs of every closed one), so the table does not grow with the bot's age.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, ColumnElement, RowMapping, delete, select, update

from bot.db import sql
from bot.db.records import RegionSession
from bot.db.schema import region_sessions

if TYPE_CHECKING:
    from bot.db.connection import Database

# Everything but the blobs (staged_mask, source): they are read on their own when needed.
_COLUMNS = tuple(c for c in region_sessions.c if c.name not in ("staged_mask", "source"))


def _decode(row: RowMapping) -> RegionSession:
    values = dict(row)
    values["is_moderator"] = bool(values["is_moderator"])
    values["private"] = bool(values["private"])
    return RegionSession(**values)


class RegionsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        job_id: int,
        button_index: int,
        user_id: int,
        guild_id: int | None,
        channel_id: int,
        prompt: str,
        lifetime: float,
        is_moderator: bool = False,
    ) -> RegionSession:
        """A Vary (Region) session on one button of one job."""
        return await self._insert(
            lifetime,
            job_id=job_id,
            button_index=button_index,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            prompt=prompt,
            is_moderator=int(is_moderator),
        )

    async def create_edit(
        self,
        *,
        source_png: bytes,
        user_id: int,
        guild_id: int | None,
        channel_id: int,
        prompt: str,
        mode: str,
        private: bool,
        lifetime: float,
        is_moderator: bool = False,
    ) -> RegionSession:
        """A /edit session: the uploaded image is kept in the row until the session closes."""
        return await self._insert(
            lifetime,
            source=source_png,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            prompt=prompt,
            mode=mode,
            private=int(private),
            is_moderator=int(is_moderator),
        )

    async def _insert(self, lifetime: float, **values: object) -> RegionSession:
        now = self._db.now()
        values |= {"created_at": now, "expires_at": now + lifetime}
        statement = region_sessions.insert().values(**values).returning(*_COLUMNS)
        async with self._db._write() as conn:
            found = await sql.row(conn, statement)
        assert found is not None  # an INSERT … RETURNING returns its row
        return _decode(found)

    async def source(self, session_id: int) -> bytes | None:
        """The image of a /edit session (None once the session closed, or for Vary Region)."""
        return await self._blob(region_sessions.c.source, session_id)

    async def get(self, session_id: int) -> RegionSession | None:
        async with self._db._read() as conn:
            found = await sql.row(conn, select(*_COLUMNS).where(region_sessions.c.id == session_id))
        return _decode(found) if found is not None else None

    async def set_selection(self, session_id: int, selection: str) -> RegionSession | None:
        return await self._set(session_id, selection=selection)

    async def set_prompt(self, session_id: int, prompt: str) -> RegionSession | None:
        return await self._set(session_id, prompt=prompt)

    async def set_nonce(self, session_id: int, nonce: str) -> RegionSession | None:
        return await self._set(session_id, web_nonce=nonce)

    async def stage_mask(self, session_id: int, mask_png: bytes | None, prompt: str) -> None:
        """Keep (or with None drop) an uploaded mask awaiting confirmation, and its prompt."""
        await self._set(session_id, staged_mask=mask_png, prompt=prompt)

    async def staged_mask(self, session_id: int) -> bytes | None:
        return await self._blob(region_sessions.c.staged_mask, session_id)

    async def use(self, session_id: int, *, nonce: str | None = None) -> RegionSession | None:
        """Mark the session submitted, once: None when it was used already (or the web
        link's nonce does not match)."""
        # One conditional UPDATE, so of two concurrent uses only one finds used_at NULL.
        conditions: list[ColumnElement[bool]] = [
            region_sessions.c.id == session_id,
            region_sessions.c.used_at.is_(None),
        ]
        if nonce is not None:
            conditions.append(region_sessions.c.web_nonce == nonce)
        statement = (
            update(region_sessions)
            .where(*conditions)
            .values(used_at=self._db.now())
            .returning(*_COLUMNS)
        )
        async with self._db._write() as conn:
            found = await sql.row(conn, statement)
        return _decode(found) if found is not None else None

    async def reopen(self, session_id: int) -> None:
        """Undo `use` when the submit was refused before anything was charged."""
        await self._set(session_id, used_at=None)

    async def set_child(self, session_id: int, child_job_id: int) -> None:
        await self._set(session_id, child_job_id=child_job_id)

    async def prune(self, before: float, *, now: float | None = None) -> int:
        """Delete the sessions that expired or were used before `before`, and drop the staged
        mask of every session used or expired by `now` (default: the database clock); the
        number of sessions deleted.

        Nothing needs a closed session: `RegionService.session` refuses used and expired
        ones, the child job was posted when it was submitted and is tracked by its own row,
        and `child_job_id` is informational only. So rows are kept only as recent history
        (`before` is the caller's choice), while the mask PNGs and /edit images, the bulk of a
        row, go at once.
        """
        now = self._db.now() if now is None else now
        c = region_sessions.c
        async with self._db._write() as conn:
            deleted = await sql.count(
                conn,
                delete(region_sessions).where(
                    (c.expires_at < before) | (c.used_at.is_not(None) & (c.used_at < before))
                ),
            )
            await conn.execute(
                update(region_sessions)
                .where(
                    c.staged_mask.is_not(None) | c.source.is_not(None),
                    c.used_at.is_not(None) | (c.expires_at < now),
                )
                .values(staged_mask=None, source=None)
            )
        return deleted

    async def _set(self, session_id: int, **values: object) -> RegionSession | None:
        statement = (
            update(region_sessions)
            .where(region_sessions.c.id == session_id)
            .values(**values)
            .returning(*_COLUMNS)
        )
        async with self._db._write() as conn:
            found = await sql.row(conn, statement)
        return _decode(found) if found is not None else None

    async def _blob(self, column: Column[Any], session_id: int) -> bytes | None:
        async with self._db._read() as conn:
            found = await conn.scalar(select(column).where(region_sessions.c.id == session_id))
        # PostgreSQL's driver returns bytea as memoryview.
        return bytes(found) if found is not None else None
