"""Button claims: the row of (job_id, button_index) is the lock of a button's current press.

`claim` is first-press-wins (the primary key decides, not a read-then-write, so two
interactions 30 ms apart produce one claim and so one paid upstream action). `press` also lets
a button be pressed again, as Midjourney's V1–V4, 🔄, Vary, Zoom and Pan can: the row is taken
over in one write transaction unless a press is still being submitted (no child yet) or it is
the same member's double click within the window — those make no second job. On PostgreSQL
the press holds the button's advisory lock, so two processes' presses are one after the other.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, RowMapping, delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.db import sql
from bot.db.errors import NotFound
from bot.db.records import ClaimRecord
from bot.db.schema import claims

if TYPE_CHECKING:
    from bot.db.connection import Database

log = logging.getLogger(__name__)


def _decode(row: RowMapping) -> ClaimRecord:
    return ClaimRecord(
        job_id=row["job_id"],
        button_index=row["button_index"],
        user_id=row["user_id"],
        child_job_id=row["child_job_id"],
        claimed_at=row["claimed_at"],
    )


def _where(job_id: int, button_index: int) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (claims.c.job_id == job_id, claims.c.button_index == button_index)


class ClaimsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, job_id: int, button_index: int, user_id: int) -> bool:
        """True for the one caller that claimed the button; False if it was already claimed.
        Raises NotFound if the job does not exist."""
        try:
            async with self._db._write() as conn:
                statement = (
                    sql.insert(conn, claims)
                    .values(
                        job_id=job_id,
                        button_index=button_index,
                        user_id=user_id,
                        claimed_at=self._db.now(),
                    )
                    .on_conflict_do_nothing()
                )
                won = await sql.count(conn, statement) == 1
        except IntegrityError as exc:  # the foreign key: DO NOTHING does not cover it
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
                await self._db.serialize(conn, "claim", job_id, button_index)
                found = await sql.row(conn, select(claims).where(*_where(job_id, button_index)))
                earlier = _decode(found) if found is not None else None
                if earlier is None:
                    await conn.execute(
                        claims.insert().values(
                            job_id=job_id,
                            button_index=button_index,
                            user_id=user_id,
                            claimed_at=now,
                        )
                    )
                    return True, None
                double = earlier.user_id == user_id and now - earlier.claimed_at < window
                if not again or earlier.child_job_id is None or double:
                    return False, earlier
                await conn.execute(
                    update(claims)
                    .where(*_where(job_id, button_index))
                    .values(user_id=user_id, child_job_id=None, claimed_at=now)
                )
                return True, earlier
        except IntegrityError as exc:
            if sql.foreign_key_failed(exc):
                raise NotFound(f"job {job_id} does not exist") from exc
            raise

    async def restore(self, job_id: int, button_index: int, earlier: ClaimRecord | None) -> None:
        """Undo a press that was refused: the earlier claim again, or none."""
        if earlier is None:
            await self.release(job_id, button_index)
            return
        async with self._db._write() as conn:
            await conn.execute(
                update(claims)
                .where(*_where(job_id, button_index))
                .values(
                    user_id=earlier.user_id,
                    child_job_id=earlier.child_job_id,
                    claimed_at=earlier.claimed_at,
                )
            )

    async def release(self, job_id: int, button_index: int) -> bool:
        """Free a claim whose action was refused or failed, so the button works again."""
        async with self._db._write() as conn:
            return await sql.count(conn, delete(claims).where(*_where(job_id, button_index))) == 1

    async def get(self, job_id: int, button_index: int) -> ClaimRecord | None:
        async with self._db._read() as conn:
            found = await sql.row(conn, select(claims).where(*_where(job_id, button_index)))
        return _decode(found) if found is not None else None

    async def for_job(self, job_id: int) -> list[ClaimRecord]:
        async with self._db._read() as conn:
            found = await sql.rows(
                conn,
                select(claims).where(claims.c.job_id == job_id).order_by(claims.c.button_index),
            )
        return [_decode(r) for r in found]

    async def set_child(self, job_id: int, button_index: int, child_job_id: int) -> bool:
        """Attach the job the claimed press created; False if there is no such claim."""
        async with self._db._write() as conn:
            statement = (
                update(claims)
                .where(*_where(job_id, button_index))
                .values(child_job_id=child_job_id)
            )
            return await sql.count(conn, statement) == 1
