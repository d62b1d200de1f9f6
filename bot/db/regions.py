"""Vary (Region) sessions: the selection and prompt of an open region editor.

A session lives 15 minutes and is used at most once; `prune` removes the old ones (and the
staged mask PNGs of every closed one), so the table does not grow with the bot's age.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from bot.db.records import RegionSession

if TYPE_CHECKING:
    from bot.db.connection import Database

_COLUMNS = (
    "id, job_id, button_index, user_id, guild_id, channel_id, selection, prompt, web_nonce, "
    "created_at, expires_at, used_at, child_job_id, is_moderator, mode, private"
)


def _decode(row: sqlite3.Row) -> RegionSession:
    values = {key: row[key] for key in row.keys()}  # noqa: SIM118
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
        columns = ", ".join(values)  # names from the two callers above, never from input
        marks = ", ".join("?" * len(values))
        async with self._db._write() as conn:
            rows = list(
                await conn.execute_fetchall(
                    f"INSERT INTO region_sessions ({columns}) VALUES ({marks}) "
                    f"RETURNING {_COLUMNS}",
                    list(values.values()),
                )
            )
        return _decode(rows[0])

    async def source(self, session_id: int) -> bytes | None:
        """The image of a /edit session (None once the session closed, or for Vary Region)."""
        async with self._db._read() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT source FROM region_sessions WHERE id = ?", [session_id]
                )
            )
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else None

    async def get(self, session_id: int) -> RegionSession | None:
        async with self._db._read() as conn:
            rows = list(
                await conn.execute_fetchall(
                    f"SELECT {_COLUMNS} FROM region_sessions WHERE id = ?", [session_id]
                )
            )
        return _decode(rows[0]) if rows else None

    async def set_selection(self, session_id: int, selection: str) -> RegionSession | None:
        return await self._set(session_id, "selection = ?", [selection])

    async def set_prompt(self, session_id: int, prompt: str) -> RegionSession | None:
        return await self._set(session_id, "prompt = ?", [prompt])

    async def set_nonce(self, session_id: int, nonce: str) -> RegionSession | None:
        return await self._set(session_id, "web_nonce = ?", [nonce])

    async def stage_mask(self, session_id: int, mask_png: bytes | None, prompt: str) -> None:
        """Keep (or with None drop) an uploaded mask awaiting confirmation, and its prompt."""
        await self._set(session_id, "staged_mask = ?, prompt = ?", [mask_png, prompt])

    async def staged_mask(self, session_id: int) -> bytes | None:
        async with self._db._read() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT staged_mask FROM region_sessions WHERE id = ?", [session_id]
                )
            )
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else None

    async def use(self, session_id: int, *, nonce: str | None = None) -> RegionSession | None:
        """Mark the session submitted, once: None when it was used already (or the web
        link's nonce does not match)."""
        clause, params = "used_at = ?", [self._db.now()]
        sql = (
            f"UPDATE region_sessions SET {clause} WHERE id = ? AND used_at IS NULL"
            + (" AND web_nonce = ?" if nonce is not None else "")
            + f" RETURNING {_COLUMNS}"
        )
        args = [*params, session_id] + ([nonce] if nonce is not None else [])
        async with self._db._write() as conn:
            rows = list(await conn.execute_fetchall(sql, args))
        return _decode(rows[0]) if rows else None

    async def reopen(self, session_id: int) -> None:
        """Undo `use` when the submit was refused before anything was charged."""
        await self._set(session_id, "used_at = NULL", [])

    async def set_child(self, session_id: int, child_job_id: int) -> None:
        await self._set(session_id, "child_job_id = ?", [child_job_id])

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
        async with self._db._write() as conn:
            deleted = list(
                await conn.execute_fetchall(
                    "DELETE FROM region_sessions WHERE expires_at < ? "
                    "OR (used_at IS NOT NULL AND used_at < ?) RETURNING id",
                    [before, before],
                )
            )
            await conn.execute(
                "UPDATE region_sessions SET staged_mask = NULL, source = NULL "
                "WHERE (staged_mask IS NOT NULL OR source IS NOT NULL) "
                "AND (used_at IS NOT NULL OR expires_at < ?)",
                [now],
            )
        return len(deleted)

    async def _set(
        self, session_id: int, clause: str, params: list[object]
    ) -> RegionSession | None:
        async with self._db._write() as conn:
            rows = list(
                await conn.execute_fetchall(
                    f"UPDATE region_sessions SET {clause} WHERE id = ? RETURNING {_COLUMNS}",
                    [*params, session_id],
                )
            )
        return _decode(rows[0]) if rows else None
