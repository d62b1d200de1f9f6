"""Button claims: the row of (job_id, button_index) is the lock of a button's current press.

`claim` is first-press-wins (the primary key decides, not a read-then-write, so two
interactions 30 ms apart produce one claim and so one paid upstream action). `press` also lets
a button be pressed again, as Midjourney's V1–V4, 🔄, Vary, Zoom and Pan can: the row is taken
over in one write transaction unless a press is still being submitted (no child yet) or it is
the same member's double click within the window — those make no second job.
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

    async def press(
        self, job_id: int, button_index: int, user_id: int, *, again: bool, window: float
    ) -> tuple[bool, ClaimRecord | None]:
        """(won, the earlier claim). `again`: the button may be pressed again once its last
        press has its job and the same member's `window` (a double click) has passed."""
        now = self._db.now()
        try:
            async with self._db._write() as conn:
                rows = list(
                    await conn.execute_fetchall(
                        f"{_SELECT} WHERE job_id = ? AND button_index = ?", [job_id, button_index]
                    )
                )
                earlier = _decode(rows[0]) if rows else None
                if earlier is None:
                    await conn.execute(
                        "INSERT INTO claims (job_id, button_index, user_id, claimed_at) "
                        "VALUES (?, ?, ?, ?)",
                        [job_id, button_index, user_id, now],
                    )
                    return True, None
                double = earlier.user_id == user_id and now - earlier.claimed_at < window
                if not again or earlier.child_job_id is None or double:
                    return False, earlier
                await conn.execute(
                    "UPDATE claims SET user_id = ?, child_job_id = NULL, claimed_at = ? "
                    "WHERE job_id = ? AND button_index = ?",
                    [user_id, now, job_id, button_index],
                )
                return True, earlier
        except sqlite3.IntegrityError as exc:  # the foreign key
            raise NotFound(f"job {job_id} does not exist") from exc

    async def restore(self, job_id: int, button_index: int, earlier: ClaimRecord | None) -> None:
        """Undo a press that was refused: the earlier claim again, or none."""
        if earlier is None:
            await self.release(job_id, button_index)
            return
        async with self._db._write() as conn:
            await conn.execute(
                "UPDATE claims SET user_id = ?, child_job_id = ?, claimed_at = ? "
                "WHERE job_id = ? AND button_index = ?",
                [earlier.user_id, earlier.child_job_id, earlier.claimed_at, job_id, button_index],
            )

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
