"""Button claims: the first press of a job's button wins, whoever and however often others press.

The primary key (job_id, button_index) decides, not a read-then-write, so two interactions
30 ms apart, in this process or another, produce one claim and so one paid upstream action.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING

from bot.db.errors import NotFound
from bot.db.records import ClaimRecord

if TYPE_CHECKING:
    from bot.db.connection import Database

log = logging.getLogger(__name__)

_SELECT = "SELECT job_id, button_index, user_id, child_job_id, claimed_at FROM claims"


def _decode(row: sqlite3.Row) -> ClaimRecord:
    return ClaimRecord(
        job_id=row["job_id"],
        button_index=row["button_index"],
        user_id=row["user_id"],
        child_job_id=row["child_job_id"],
        claimed_at=row["claimed_at"],
    )


class ClaimsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, job_id: int, button_index: int, user_id: int) -> bool:
        """True for the one caller that claimed the button; False if it was already claimed.
        Raises NotFound if the job does not exist."""
        sql = (
            "INSERT OR IGNORE INTO claims (job_id, button_index, user_id, claimed_at) "
            "VALUES (?, ?, ?, ?)"
        )
        try:
            async with self._db._write() as conn:
                cursor = await conn.execute(sql, [job_id, button_index, user_id, self._db.now()])
                won = cursor.rowcount == 1
                await cursor.close()
        except sqlite3.IntegrityError as exc:  # the foreign key: OR IGNORE does not cover it
            raise NotFound(f"job {job_id} does not exist") from exc
        log.debug("claim job %d button %d by %d: %s", job_id, button_index, user_id, won)
        return won

    async def release(self, job_id: int, button_index: int) -> bool:
        """Free a claim whose action was refused or failed, so the button works again."""
        async with self._db._write() as conn:
            cursor = await conn.execute(
                "DELETE FROM claims WHERE job_id = ? AND button_index = ?", [job_id, button_index]
            )
            released = cursor.rowcount == 1
            await cursor.close()
        return released

    async def get(self, job_id: int, button_index: int) -> ClaimRecord | None:
        async with self._db._read() as conn:
            rows = list(
                await conn.execute_fetchall(
                    f"{_SELECT} WHERE job_id = ? AND button_index = ?", [job_id, button_index]
                )
            )
        return _decode(rows[0]) if rows else None

    async def for_job(self, job_id: int) -> list[ClaimRecord]:
        async with self._db._read() as conn:
            rows = await conn.execute_fetchall(
                f"{_SELECT} WHERE job_id = ? ORDER BY button_index", [job_id]
            )
        return [_decode(row) for row in rows]

    async def set_child(self, job_id: int, button_index: int, child_job_id: int) -> bool:
        """Attach the job the claimed press created; False if there is no such claim."""
        async with self._db._write() as conn:
            cursor = await conn.execute(
                "UPDATE claims SET child_job_id = ? WHERE job_id = ? AND button_index = ?",
                [child_job_id, job_id, button_index],
            )
            updated = cursor.rowcount == 1
            await cursor.close()
        return updated
