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
from typing import TYPE_CHECKING

from bot.db.records import JobStatus

if TYPE_CHECKING:
    from bot.db.connection import Database

# At most one charge and one refund per job (UNIQUE(job_id, kind)): the joins never multiply.
_FROM = (
    "FROM jobs AS j "
    "LEFT JOIN ledger AS c ON c.job_id = j.id AND c.kind = 'charge' "
    "LEFT JOIN ledger AS r ON r.job_id = j.id AND r.kind = 'refund' "
    "WHERE j.guild_id = ? AND j.created_at >= ? AND j.created_at < ?"
)
_SUMS = (
    "COUNT(*) AS jobs, COALESCE(SUM(c.amount), 0) AS charged, "
    "COALESCE(SUM(r.amount), 0) AS refunded"
)


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
            rows = list(
                await conn.execute_fetchall(f"SELECT {_SUMS} {_FROM}", [guild_id, since, until])
            )
        row = rows[0]
        return UsageTotals(jobs=row["jobs"], charged=row["charged"], refunded=row["refunded"])

    async def daily(self, guild_id: int, since: float, until: float) -> list[DayModeUsage]:
        """Per UTC day and mode, only the (day, mode) pairs that had jobs; by day, then mode."""
        _check_period(since, until)
        sql = (
            f"SELECT date(j.created_at, 'unixepoch') AS day, j.mode AS mode, {_SUMS} {_FROM} "
            "GROUP BY day, mode ORDER BY day, mode"
        )
        async with self._db._read() as conn:
            rows = await conn.execute_fetchall(sql, [guild_id, since, until])
        return [
            DayModeUsage(
                day=date.fromisoformat(row["day"]),
                mode=row["mode"],
                jobs=row["jobs"],
                charged=row["charged"],
                refunded=row["refunded"],
            )
            for row in rows
        ]

    async def top_users(
        self, guild_id: int, since: float, until: float, limit: int = 5
    ) -> list[UserUsage]:
        """The members with the highest net spend; ties: more jobs first, then the lower id."""
        _check_period(since, until)
        sql = (
            f"SELECT j.user_id AS user_id, {_SUMS} {_FROM} GROUP BY j.user_id "
            "ORDER BY charged - refunded DESC, jobs DESC, user_id LIMIT ?"
        )
        async with self._db._read() as conn:
            rows = await conn.execute_fetchall(sql, [guild_id, since, until, limit])
        return [
            UserUsage(
                user_id=row["user_id"],
                jobs=row["jobs"],
                charged=row["charged"],
                refunded=row["refunded"],
            )
            for row in rows
        ]

    async def rows(
        self, guild_id: int, since: float, until: float, *, limit: int | None = None
    ) -> list[UsageRow]:
        """Every job of the period, oldest first (at most `limit`: the oldest ones)."""
        _check_period(since, until)
        sql = (
            "SELECT j.id, j.created_at, j.user_id, j.kind, j.action, j.mode, j.status, "
            f"COALESCE(c.amount, 0) AS charged, COALESCE(r.amount, 0) AS refunded {_FROM} "
            "ORDER BY j.created_at, j.id LIMIT ?"
        )
        async with self._db._read() as conn:
            rows = await conn.execute_fetchall(
                sql, [guild_id, since, until, -1 if limit is None else limit]
            )
        return [
            UsageRow(
                job_id=row["id"],
                created_at=utc_seconds(row["created_at"]),
                user_id=row["user_id"],
                kind=row["kind"],
                action=row["action"],
                mode=row["mode"],
                status=JobStatus(row["status"]),
                charged=row["charged"],
                refunded=row["refunded"],
            )
            for row in rows
        ]
