"""Read-only usage queries for a guild's report: spend per UTC day and mode, top members, and
the per-job rows of the CSV export.

Every figure is keyed on the job: a job belongs to the UTC day it was created, and its refund
(whenever it came) is taken off that same job, so a refunded job shows as refunded, never as
spend, and the chart, the totals and the CSV always add up to the same numbers. Periods are
half-open, [since, until), in Unix seconds. Reads go through `Database._read`, so outside a
transaction they use a read-only connection and never queue behind the writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Date, Select, and_, func, literal, select

from bot.db import sql
from bot.db.records import JobStatus, LedgerKind
from bot.db.schema import jobs, ledger

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from bot.db.connection import Database

_j = jobs.alias("j")
_c = ledger.alias("c")
_r = ledger.alias("r")


def _entry(alias: Any, kind: LedgerKind) -> ColumnElement[bool]:
    # The kind inlined, as the ledger's partial indexes are written (WHERE kind = 'charge').
    return and_(
        alias.c.job_id == _j.c.id, alias.c.kind == literal(kind.value, literal_execute=True)
    )


# At most one charge and one refund per job (UNIQUE(job_id, kind)): the joins never multiply.
_FROM = _j.outerjoin(_c, _entry(_c, LedgerKind.CHARGE)).outerjoin(_r, _entry(_r, LedgerKind.REFUND))
_CHARGED = func.coalesce(func.sum(_c.c.amount), 0)
_REFUNDED = func.coalesce(func.sum(_r.c.amount), 0)
_SUMS = (
    func.count().label("jobs"),
    _CHARGED.label("charged"),
    _REFUNDED.label("refunded"),
)


def _period(statement: Select[Any], guild_id: int, since: float, until: float) -> Select[Any]:
    return statement.select_from(_FROM).where(
        _j.c.guild_id == guild_id, _j.c.created_at >= since, _j.c.created_at < until
    )


def _utc_day(conn: AsyncConnection, timestamp: ColumnElement[float]) -> ColumnElement[date]:
    """The UTC date of a Unix time. Constants inlined: PostgreSQL groups by the expression
    only if it is the very same text as the selected one."""
    if conn.dialect.name == "postgresql":
        utc = func.timezone(literal("UTC", literal_execute=True), func.to_timestamp(timestamp))
        return func.date(utc, type_=Date)
    return func.date(timestamp, literal("unixepoch", literal_execute=True), type_=Date)


@dataclass(frozen=True, slots=True)
class UsageTotals:
    jobs: int
    charged: int  # credits charged
    refunded: int  # credits given back

    @property
    def net(self) -> int:
        return self.charged - self.refunded


@dataclass(frozen=True, slots=True)
class DayModeUsage:
    day: date  # UTC
    mode: str
    jobs: int
    charged: int
    refunded: int

    @property
    def net(self) -> int:
        return self.charged - self.refunded


@dataclass(frozen=True, slots=True)
class UserUsage:
    user_id: int
    jobs: int
    charged: int
    refunded: int

    @property
    def net(self) -> int:
        return self.charged - self.refunded


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One job of the CSV export."""

    job_id: int
    created_at: datetime  # UTC, whole seconds (exactly what the CSV can carry)
    user_id: int
    kind: str
    action: str
    mode: str
    status: JobStatus
    charged: int
    refunded: int

    @property
    def net(self) -> int:
        return self.charged - self.refunded


def _check_period(since: float, until: float) -> None:
    if until < since:
        raise ValueError(f"the period ends ({until}) before it starts ({since})")


def utc_seconds(timestamp: float) -> datetime:
    """The UTC time of a Unix timestamp, floored to the second (floor keeps the UTC day)."""
    return datetime.fromtimestamp(int(timestamp // 1), UTC)


class UsageRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def totals(self, guild_id: int, since: float, until: float) -> UsageTotals:
        _check_period(since, until)
        async with self._db._read() as conn:
            row = await sql.row(conn, _period(select(*_SUMS), guild_id, since, until))
        assert row is not None  # an aggregate without GROUP BY is always one row
        return UsageTotals(
            jobs=int(row["jobs"]), charged=int(row["charged"]), refunded=int(row["refunded"])
        )

    async def daily(self, guild_id: int, since: float, until: float) -> list[DayModeUsage]:
        """Per UTC day and mode, only the (day, mode) pairs that had jobs; by day, then mode."""
        _check_period(since, until)
        async with self._db._read() as conn:
            day = _utc_day(conn, _j.c.created_at)
            statement = (
                _period(select(day.label("day"), _j.c.mode, *_SUMS), guild_id, since, until)
                .group_by(day, _j.c.mode)
                .order_by(day, _j.c.mode)
            )
            rows = await sql.rows(conn, statement)
        return [
            DayModeUsage(
                day=row["day"],
                mode=row["mode"],
                jobs=int(row["jobs"]),
                charged=int(row["charged"]),
                refunded=int(row["refunded"]),
            )
            for row in rows
        ]

    async def top_users(
        self, guild_id: int, since: float, until: float, limit: int = 5
    ) -> list[UserUsage]:
        """The members with the highest net spend; ties: more jobs first, then the lower id."""
        _check_period(since, until)
        statement = (
            _period(select(_j.c.user_id, *_SUMS), guild_id, since, until)
            .group_by(_j.c.user_id)
            .order_by((_CHARGED - _REFUNDED).desc(), func.count().desc(), _j.c.user_id)
            .limit(limit)
        )
        async with self._db._read() as conn:
            rows = await sql.rows(conn, statement)
        return [
            UserUsage(
                user_id=row["user_id"],
                jobs=int(row["jobs"]),
                charged=int(row["charged"]),
                refunded=int(row["refunded"]),
            )
            for row in rows
        ]

    async def rows(
        self, guild_id: int, since: float, until: float, *, limit: int | None = None
    ) -> list[UsageRow]:
        """Every job of the period, oldest first (at most `limit`: the oldest ones)."""
        _check_period(since, until)
        columns = (
            _j.c.id,
            _j.c.created_at,
            _j.c.user_id,
            _j.c.kind,
            _j.c.action,
            _j.c.mode,
            _j.c.status,
            func.coalesce(_c.c.amount, 0).label("charged"),
            func.coalesce(_r.c.amount, 0).label("refunded"),
        )
        statement = (
            _period(select(*columns), guild_id, since, until)
            .order_by(_j.c.created_at, _j.c.id)
            .limit(limit)
        )
        async with self._db._read() as conn:
            rows = await sql.rows(conn, statement)
        return [
            UsageRow(
                job_id=row["id"],
                created_at=utc_seconds(row["created_at"]),
                user_id=row["user_id"],
                kind=row["kind"],
                action=row["action"],
                mode=row["mode"],
                status=JobStatus(row["status"]),
                charged=int(row["charged"]),
                refunded=int(row["refunded"]),
            )
            for row in rows
        ]
