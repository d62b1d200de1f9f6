"""Job leases: which bot process polls which job, so several processes share the tracking.

A job is leased to the process that created it; the tracker claims only jobs whose lease is
its own or has lapsed, in one UPDATE over a `FOR UPDATE SKIP LOCKED` subquery on PostgreSQL
(on SQLite the single writer makes the same statement exclusive), and renews its leases every
round. So no job is polled by two processes in one interval, and a dead process's jobs are
taken over by the others within `Database.lease_seconds` of its last round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from bot.db import sql
from bot.db.jobs import _ALL, PENDING, TRACKED, _decode, claimable
from bot.db.records import JobRecord
from bot.db.schema import jobs

if TYPE_CHECKING:
    from bot.db.connection import Database

c = jobs.c


class LeasesRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def claimable(self, now: float) -> ColumnElement[bool]:
        return claimable(self._db.owner, now)

    async def claim_due(
        self,
        now: float,
        limit: int = 100,
        *,
        late_since: float | None = None,
        early: float = 0.0,
    ) -> list[JobRecord]:
        """`JobsRepository.due`, leased to this process: the due jobs it may poll now, and
        those due within `early` seconds (the tracker fills a request with some of them)."""
        wanted: ColumnElement[bool] = TRACKED
        if late_since is not None:
            late = and_(
                c.status == "timed_out", c.task_id.is_not(None), c.finished_at >= late_since
            )
            wanted = or_(TRACKED, late)
        return await self._claim(and_(wanted, c.next_poll_at <= now + early), now, limit)

    async def claim_orphans(
        self, now: float, late_since: float, limit: int = 100
    ) -> list[JobRecord]:
        """`JobsRepository.orphans_due`, leased to this process."""
        lost = or_(
            c.status == "submitted", and_(c.status == "timed_out", c.finished_at >= late_since)
        )
        return await self._claim(and_(c.task_id.is_(None), c.next_poll_at <= now, lost), now, limit)

    async def claim_pending(self, limit: int = 10_000) -> list[JobRecord]:
        """At start: the unfinished jobs this process resumes (its own, and lapsed ones)."""
        return await self._claim(PENDING, self._db.now(), limit, by_id=True)

    async def renew(self, now: float) -> int:
        """Keep this process's leases on its unfinished jobs; the number renewed. Only those
        past half their time are written, so a busy tracker (woken by every submit) does not
        rewrite every pending row each round."""
        statement = (
            update(jobs)
            .where(
                c.lease_owner == self._db.owner,
                PENDING,
                c.lease_until < now + self._db.lease_seconds / 2,
            )
            .values(lease_until=now + self._db.lease_seconds)
        )
        async with self._db._write() as conn:
            return await sql.count(conn, statement)

    async def next_due(self, now: float) -> float | None:
        """When the earliest job this process may poll is due (None: none). Another live
        process's jobs do not count; when one stops, the tracker's idle nap (a few seconds)
        bounds how late its lapsed leases are noticed."""
        async with self._db._read() as conn:
            found = await conn.scalar(
                select(func.min(c.next_poll_at)).where(TRACKED, self.claimable(now))
            )
        return float(found) if found is not None else None

    async def _claim(
        self,
        where: ColumnElement[bool],
        now: float,
        limit: int,
        *,
        by_id: bool = False,
    ) -> list[JobRecord]:
        """The first `limit` jobs matching `where` (the most overdue first, or the oldest)
        that this process holds or may take, leased to it. Its own fresh leases are only
        read: no other process can take them this round, so the tracker's steady state costs
        no write. The rest are taken in one UPDATE over a `FOR UPDATE SKIP LOCKED` subquery
        that re-checks them (rows another process is taking right now are left to it)."""
        order = (c.id,) if by_id else (c.next_poll_at, c.id)
        fresh = now + self._db.lease_seconds / 2
        candidates = (
            select(*_ALL, c.lease_owner, c.lease_until)
            .where(where, self.claimable(now))
            .order_by(*order)
            .limit(limit)
        )
        async with self._db._read() as conn:
            rows = await sql.rows(conn, candidates)
        held = [
            _decode(r)
            for r in rows
            if r["lease_owner"] == self._db.owner and (r["lease_until"] or 0) >= fresh
        ]
        wanted = [r["id"] for r in rows if r["id"] not in {j.id for j in held}]
        if wanted:
            free = (
                select(c.id)
                .where(c.id.in_(wanted), self.claimable(now))
                .with_for_update(skip_locked=True)
            )
            statement = (
                update(jobs)
                .where(c.id.in_(free.scalar_subquery()))
                .values(lease_owner=self._db.owner, lease_until=now + self._db.lease_seconds)
                .returning(*_ALL)
            )
            async with self._db._write() as conn:
                held += [_decode(r) for r in await sql.rows(conn, statement)]
        return sorted(held, key=lambda j: (j.id,) if by_id else (j.next_poll_at, j.id))
