"""The usage ledger: at most one charge and one refund per job, enforced by UNIQUE(job_id, kind).

Each write also mirrors the outcome into jobs.charge_state/cost in the same transaction, so
the job row and the money never disagree. Usage counts a charge in the period it was made and
subtracts its refund whenever that came, so a refund never pushes a period below zero.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, select, update
from sqlalchemy.exc import IntegrityError

from bot.db import sql
from bot.db.errors import NotFound
from bot.db.records import ChargeState, LedgerEntry, LedgerKind, QuotaOutcome
from bot.db.schema import jobs, ledger

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from bot.db.connection import Database

log = logging.getLogger(__name__)

_c = ledger.alias("c")  # the charge
_r = ledger.alias("r")  # its refund, if any
_j = jobs.alias("j")


def _kind(column: ColumnElement[Any], kind: LedgerKind) -> ColumnElement[bool]:
    # Inlined, not bound: the ledger's partial indexes are WHERE kind = 'charge', and a plan
    # prepared for any value of a parameter could not use them.
    return column == literal(kind.value, literal_execute=True)


def _same(column: ColumnElement[Any], value: int | None) -> ColumnElement[bool]:
    """`column IS value` (NULL matches NULL) in a form both engines' indexes can serve."""
    return column.is_(None) if value is None else column == value


# A charge joined to its refund: UNIQUE(job_id, kind) means the join never multiplies.
_WITH_REFUND = _c.outerjoin(
    _r, and_(_r.c.job_id == _c.c.job_id, _kind(_r.c.kind, LedgerKind.REFUND))
)
_NET = func.coalesce(func.sum(_c.c.amount - func.coalesce(_r.c.amount, 0)), 0)


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError(f"amount must be a whole number ≥ 0, not {amount!r}")


async def _net(conn: AsyncConnection, statement: Select[Any]) -> int:
    # SUM is a BIGINT (or NUMERIC) on PostgreSQL: always hand back a plain int.
    return int(await conn.scalar(statement) or 0)


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
        (None: unlimited). Check and write run in one write transaction that holds the money
        lock, so parallel reservations, from any process, can never overspend. Anything but
        CHARGED charged nothing. The job's charge_state becomes RESERVED; see `confirm`."""
        _check_amount(amount)
        async with self._db._write() as conn:
            await self._db.serialize(conn, "money")
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

    async def _channel_usage(self, conn: AsyncConnection, channel_id: int, since: float) -> int:
        statement = (
            select(_NET)
            .select_from(_WITH_REFUND.join(_j, _j.c.id == _c.c.job_id))
            .where(
                _kind(_c.c.kind, LedgerKind.CHARGE),
                _j.c.channel_id == channel_id,
                _c.c.created_at >= since,
            )
        )
        return await _net(conn, statement)

    async def oldest_charge(
        self, guild_id: int | None, user_id: int | None, since: float
    ) -> float | None:
        """When the oldest charge still counted since `since` was made (refunded ones do not
        count): a rolling window frees its first credit that long after it."""
        statement = (
            select(func.min(_c.c.created_at))
            .select_from(_WITH_REFUND)
            .where(
                _kind(_c.c.kind, LedgerKind.CHARGE),
                _r.c.id.is_(None),
                _same(_c.c.guild_id, guild_id),
                _c.c.created_at >= since,
            )
        )
        if user_id is not None:
            statement = statement.where(_c.c.user_id == user_id)
        async with self._db._read() as conn:
            oldest = await conn.scalar(statement)
        return float(oldest) if oldest is not None else None

    async def confirm(self, job_id: int) -> bool:
        """Mark a reserved charge as final once upstream accepted the job (RESERVED → CHARGED)."""
        statement = (
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.charge_state == ChargeState.RESERVED.value)
            .values(charge_state=ChargeState.CHARGED.value, updated_at=self._db.now())
        )
        async with self._db._write() as conn:
            return await sql.count(conn, statement) == 1

    async def refund(self, job_id: int, reason: str) -> bool:
        """Refund the job's charge in full; True only the first time, False without a charge."""
        async with self._db._write() as conn:
            charge = await sql.row(
                conn,
                select(ledger.c.guild_id, ledger.c.user_id, ledger.c.amount).where(
                    ledger.c.job_id == job_id, ledger.c.kind == LedgerKind.CHARGE.value
                ),
            )
            if charge is None:
                return False
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
            rows = await sql.rows(
                conn, select(ledger).where(ledger.c.job_id == job_id).order_by(ledger.c.id)
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
        self, conn: AsyncConnection, guild_id: int | None, user_id: int | None, since: float
    ) -> int:
        statement = (
            select(_NET)
            .select_from(_WITH_REFUND)
            .where(
                _kind(_c.c.kind, LedgerKind.CHARGE),
                _same(_c.c.guild_id, guild_id),
                _c.c.created_at >= since,
            )
        )
        if user_id is not None:
            statement = statement.where(_c.c.user_id == user_id)
        return await _net(conn, statement)

    async def _charge(
        self,
        conn: AsyncConnection,
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
        conn: AsyncConnection,
        job_id: int,
        guild_id: int | None,
        user_id: int,
        kind: LedgerKind,
        amount: int,
        reason: str | None,
    ) -> bool:
        statement = (
            sql.insert(conn, ledger)
            .values(
                job_id=job_id,
                guild_id=guild_id,
                user_id=user_id,
                kind=kind.value,
                amount=amount,
                reason=reason,
                created_at=self._db.now(),
            )
            .on_conflict_do_nothing()
        )
        try:
            return await sql.count(conn, statement) == 1
        except IntegrityError as exc:  # the foreign key: DO NOTHING does not cover it
            raise NotFound(f"job {job_id} does not exist") from exc

    async def _mirror(
        self, conn: AsyncConnection, job_id: int, state: ChargeState, cost: int | None
    ) -> None:
        values: dict[str, object] = {"charge_state": state.value, "updated_at": self._db.now()}
        if cost is not None:
            values["cost"] = cost
        await conn.execute(update(jobs).where(jobs.c.id == job_id).values(values))
