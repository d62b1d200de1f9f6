"""The usage ledger: at most one charge and one refund per job, enforced by UNIQUE(job_id, kind).

Each write also mirrors the outcome into jobs.charge_state/cost in the same transaction, so
the job row and the money never disagree. Usage counts a charge in the period it was made and
subtracts its refund whenever that came, so a refund never pushes a period below zero.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING

from bot.db.errors import NotFound
from bot.db.records import ChargeState, LedgerEntry, LedgerKind, QuotaOutcome

if TYPE_CHECKING:
    import aiosqlite

    from bot.db.connection import Database

log = logging.getLogger(__name__)

_USAGE = (
    "SELECT COALESCE(SUM(c.amount - COALESCE(r.amount, 0)), 0) FROM ledger AS c "
    "LEFT JOIN ledger AS r ON r.job_id = c.job_id AND r.kind = 'refund' "
    "WHERE c.kind = 'charge' AND c.guild_id IS ? AND c.created_at >= ?"
)


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError(f"amount must be a whole number ≥ 0, not {amount!r}")


class LedgerRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def charge(self, job_id: int, guild_id: int | None, user_id: int, amount: int) -> bool:
        """Record the job's charge; True only the first time (later calls change nothing)."""
        _check_amount(amount)
        async with self._db._write() as conn:
            return await self._charge(conn, job_id, guild_id, user_id, amount, ChargeState.CHARGED)

    async def reserve_within_quota(
        self,
        job_id: int,
        guild_id: int | None,
        user_id: int,
        amount: int,
        *,
        user_limit: int | None,
        guild_limit: int | None,
        since_user: float,
        since_guild: float,
        channel_id: int | None = None,
        channel_limit: int | None = None,
    ) -> QuotaOutcome:
        """Charge the job only if the user's and the guild's usage stay within their limits
        (None: unlimited). Check and write run in one BEGIN IMMEDIATE transaction, so parallel
        reservations, from any process, can never overspend. Anything but CHARGED charged
        nothing. The job's charge_state becomes RESERVED; see `confirm`."""
        _check_amount(amount)
        async with self._db._write() as conn:
            if user_limit is not None:
                used = await self._usage(conn, guild_id, user_id, since_user)
                if used + amount > user_limit:
                    log.info(
                        "job %d: user %d over quota (%d/%d)", job_id, user_id, used, user_limit
                    )
                    return QuotaOutcome.USER_LIMIT
            if guild_limit is not None:
                used = await self._usage(conn, guild_id, None, since_guild)
                if used + amount > guild_limit:
                    log.info(
                        "job %d: guild %s over budget (%d/%d)", job_id, guild_id, used, guild_limit
                    )
                    return QuotaOutcome.GUILD_LIMIT
            if channel_limit is not None and channel_id is not None:
                used = await self._channel_usage(conn, channel_id, since_guild)
                if used + amount > channel_limit:
                    log.info("job %d: channel %d over budget", job_id, channel_id)
                    return QuotaOutcome.CHANNEL_LIMIT
            won = await self._charge(conn, job_id, guild_id, user_id, amount, ChargeState.RESERVED)
            return QuotaOutcome.CHARGED if won else QuotaOutcome.ALREADY_CHARGED

    async def spent(self, guild_id: int, since: float, channel_id: int | None = None) -> int:
        """Net credits charged in the guild (or one of its channels) since `since`."""
        async with self._db._read() as conn:
            if channel_id is not None:
                return await self._channel_usage(conn, channel_id, since)
            return await self._usage(conn, guild_id, None, since)

    async def _channel_usage(
        self, conn: aiosqlite.Connection, channel_id: int, since: float
    ) -> int:
        sql = (
            "SELECT COALESCE(SUM(c.amount - COALESCE(r.amount, 0)), 0) FROM ledger AS c "
            "JOIN jobs AS j ON j.id = c.job_id "
            "LEFT JOIN ledger AS r ON r.job_id = c.job_id AND r.kind = 'refund' "
            "WHERE c.kind = 'charge' AND j.channel_id = ? AND c.created_at >= ?"
        )
        async with conn.execute(sql, [channel_id, since]) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    async def oldest_charge(
        self, guild_id: int | None, user_id: int | None, since: float
    ) -> float | None:
        """When the oldest charge still counted since `since` was made (refunded ones do not
        count): a rolling window frees its first credit that long after it."""
        sql = (
            "SELECT MIN(c.created_at) FROM ledger AS c LEFT JOIN ledger AS r "
            "ON r.job_id = c.job_id AND r.kind = 'refund' "
            "WHERE c.kind = 'charge' AND r.id IS NULL AND c.guild_id IS ? AND c.created_at >= ?"
        )
        params: list[object] = [guild_id, since]
        if user_id is not None:
            sql += " AND c.user_id = ?"
            params.append(user_id)
        async with self._db._read() as conn:
            rows = list(await conn.execute_fetchall(sql, params))
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    async def confirm(self, job_id: int) -> bool:
        """Mark a reserved charge as final once upstream accepted the job (RESERVED → CHARGED)."""
        async with self._db._write() as conn:
            cursor = await conn.execute(
                "UPDATE jobs SET charge_state = ?, updated_at = ? "
                "WHERE id = ? AND charge_state = ?",
                [ChargeState.CHARGED.value, self._db.now(), job_id, ChargeState.RESERVED.value],
            )
            done = cursor.rowcount == 1
            await cursor.close()
        return done

    async def refund(self, job_id: int, reason: str) -> bool:
        """Refund the job's charge in full; True only the first time, False without a charge."""
        async with self._db._write() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT guild_id, user_id, amount FROM ledger WHERE job_id = ? AND kind = ?",
                    [job_id, LedgerKind.CHARGE.value],
                )
            )
            if not rows:
                return False
            charge = rows[0]
            won = await self._insert(
                conn,
                job_id,
                charge["guild_id"],
                charge["user_id"],
                LedgerKind.REFUND,
                charge["amount"],
                reason,
            )
            if won:
                await self._mirror(conn, job_id, ChargeState.REFUNDED, None)
                log.info("job %d refunded %d: %s", job_id, charge["amount"], reason)
            return won

    async def usage(self, guild_id: int | None, user_id: int | None, since: float) -> int:
        """Net usage (charges minus their refunds) since `since`; user None: the whole guild."""
        async with self._db._read() as conn:
            return await self._usage(conn, guild_id, user_id, since)

    async def entries(self, job_id: int) -> list[LedgerEntry]:
        async with self._db._read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT id, job_id, guild_id, user_id, kind, amount, reason, created_at "
                "FROM ledger WHERE job_id = ? ORDER BY id",
                [job_id],
            )
        return [
            LedgerEntry(
                id=row["id"],
                job_id=row["job_id"],
                guild_id=row["guild_id"],
                user_id=row["user_id"],
                kind=LedgerKind(row["kind"]),
                amount=row["amount"],
                reason=row["reason"],
                created_at=row["created_at"],
            )
            for row in rows
        ]

    async def _usage(
        self, conn: aiosqlite.Connection, guild_id: int | None, user_id: int | None, since: float
    ) -> int:
        sql, params = _USAGE, [guild_id, since]
        if user_id is not None:
            sql += " AND c.user_id = ?"
            params.append(user_id)
        async with conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    async def _charge(
        self,
        conn: aiosqlite.Connection,
        job_id: int,
        guild_id: int | None,
        user_id: int,
        amount: int,
        state: ChargeState,
    ) -> bool:
        won = await self._insert(conn, job_id, guild_id, user_id, LedgerKind.CHARGE, amount, None)
        if won:
            await self._mirror(conn, job_id, state, amount)
            log.debug("job %d charged %d (%s)", job_id, amount, state)
        return won

    async def _insert(
        self,
        conn: aiosqlite.Connection,
        job_id: int,
        guild_id: int | None,
        user_id: int,
        kind: LedgerKind,
        amount: int,
        reason: str | None,
    ) -> bool:
        try:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO ledger (job_id, guild_id, user_id, kind, amount, reason, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [job_id, guild_id, user_id, kind.value, amount, reason, self._db.now()],
            )
        except sqlite3.IntegrityError as exc:  # the foreign key: OR IGNORE does not cover it
            raise NotFound(f"job {job_id} does not exist") from exc
        inserted = cursor.rowcount == 1
        await cursor.close()
        return inserted

    async def _mirror(
        self, conn: aiosqlite.Connection, job_id: int, state: ChargeState, cost: int | None
    ) -> None:
        sets, params = "charge_state = ?, updated_at = ?", [state.value, self._db.now()]
        if cost is not None:
            sets += ", cost = ?"
            params.append(cost)
        await conn.execute(f"UPDATE jobs SET {sets} WHERE id = ?", [*params, job_id])
