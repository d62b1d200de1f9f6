"""The usage report behind `/admin usage`: per-day spend by mode, top members, the monthly
budget, and the CSV export of the same period. No Discord here; the cog renders and sends it.

A report of `days` days covers whole UTC days: today (so far) and the days-1 before it, every
day present even without jobs. The budget line counts the current UTC calendar month.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.db.records import MODES, JobStatus
from bot.db.usage import DayModeUsage, UsageRepository, UsageRow, UsageTotals, UserUsage

TOP_USERS = 5
MAX_DAYS = 366
CSV_HEADER = (
    "job_id",
    "created_at",
    "user_id",
    "kind",
    "action",
    "mode",
    "status",
    "charged",
    "refunded",
    "net",
)
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # ISO 8601 in UTC, as spreadsheets and scripts read it


@dataclass(frozen=True, slots=True)
class DayUsage:
    day: date  # UTC
    modes: tuple[DayModeUsage, ...]  # one per mode of the report, in the report's order

    @property
    def jobs(self) -> int:
        return sum(m.jobs for m in self.modes)

    @property
    def net(self) -> int:
        return sum(m.net for m in self.modes)

    def net_for(self, mode: str) -> int:
        return sum(m.net for m in self.modes if m.mode == mode)


@dataclass(frozen=True, slots=True)
class BudgetUse:
    limit: int  # credits per calendar month
    used: int  # net credits of this calendar month (UTC) so far
    month_start: float

    @property
    def percent(self) -> float:
        if self.limit <= 0:
            return 100.0  # a zero budget allows nothing: it is all used
        return self.used * 100 / self.limit


@dataclass(frozen=True, slots=True)
class UsageReport:
    guild_id: int
    days: int
    since: float  # midnight UTC of the first day
    until: float  # midnight UTC after the last day (the period is [since, until))
    modes: tuple[str, ...]  # fast, turbo, relax, then any other mode seen, sorted
    per_day: tuple[DayUsage, ...]  # oldest first, exactly `days` of them
    top_users: tuple[UserUsage, ...]  # at most TOP_USERS, highest net spend first
    totals: UsageTotals
    budget: BudgetUse | None

    @property
    def jobs(self) -> int:
        return self.totals.jobs

    @property
    def net(self) -> int:
        return self.totals.net

    @property
    def refunded(self) -> int:
        return self.totals.refunded


def _midnight(day: date) -> float:
    return datetime.combine(day, time(), UTC).timestamp()


async def build_report(
    repo: UsageRepository, guild_id: int, *, days: int, now: float, budget: int | None
) -> UsageReport:
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be in 1..{MAX_DAYS}, not {days}")
    today = datetime.fromtimestamp(now, UTC).date()
    first = today - timedelta(days=days - 1)
    since, until = _midnight(first), _midnight(today + timedelta(days=1))

    found = await repo.daily(guild_id, since, until)
    extra = sorted({u.mode for u in found} - set(MODES))
    modes = (*MODES, *extra)
    by_key = {(u.day, u.mode): u for u in found}
    per_day = tuple(
        DayUsage(
            day=day,
            modes=tuple(by_key.get((day, m)) or DayModeUsage(day, m, 0, 0, 0) for m in modes),
        )
        for day in (first + timedelta(days=n) for n in range(days))
    )
    # Totals from the same rows as the chart, so the two can never disagree.
    totals = UsageTotals(
        jobs=sum(u.jobs for u in found),
        charged=sum(u.charged for u in found),
        refunded=sum(u.refunded for u in found),
    )
    top = await repo.top_users(guild_id, since, until, limit=TOP_USERS)

    use = None
    if budget is not None:
        month_start = _midnight(today.replace(day=1))
        month = await repo.totals(guild_id, month_start, until)
        use = BudgetUse(limit=budget, used=month.net, month_start=month_start)
    return UsageReport(
        guild_id=guild_id,
        days=days,
        since=since,
        until=until,
        modes=modes,
        per_day=per_day,
        top_users=tuple(top),
        totals=totals,
        budget=use,
    )


def to_csv(rows: Iterable[UsageRow]) -> bytes:
    """UTF-8 CSV with a header row; RFC 4180: CRLF line ends, fields quoted when needed."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(
            [
                row.job_id,
                row.created_at.astimezone(UTC).strftime(_TIME_FORMAT),
                row.user_id,
                row.kind,
                row.action,
                row.mode,
                row.status.value,
                row.charged,
                row.refunded,
                row.net,
            ]
        )
    return buf.getvalue().encode("utf-8")


def _int(text: str, line: int) -> int:
    # Only the canonical spelling, so that every accepted file writes back byte for byte.
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or str(value) != text:
        raise ValueError(f"line {line}: {text!r} is not a whole number")
    return value


def from_csv(data: bytes) -> list[UsageRow]:
    """The rows of a `to_csv` file; ValueError for anything else."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or tuple(header) != CSV_HEADER:
            raise ValueError("not a usage export: the header row differs")
        return [_parse(record, reader.line_num) for record in reader]
    except csv.Error as exc:  # not a ValueError: callers should need to catch only one
        raise ValueError(f"line {reader.line_num}: {exc}") from exc


def _parse(record: list[str], line: int) -> UsageRow:
    if len(record) != len(CSV_HEADER):
        raise ValueError(f"line {line}: {len(record)} fields, expected {len(CSV_HEADER)}")
    try:
        created = datetime.strptime(record[1], _TIME_FORMAT).replace(tzinfo=UTC)
        status = JobStatus(record[6])
    except ValueError as exc:
        raise ValueError(f"line {line}: {exc}") from exc
    if created.strftime(_TIME_FORMAT) != record[1]:  # strptime also takes "2024-1-5…"
        raise ValueError(f"line {line}: {record[1]!r} is not written as {_TIME_FORMAT}")
    row = UsageRow(
        job_id=_int(record[0], line),
        created_at=created,
        user_id=_int(record[2], line),
        kind=record[3],
        action=record[4],
        mode=record[5],
        status=status,
        charged=_int(record[7], line),
        refunded=_int(record[8], line),
    )
    if _int(record[9], line) != row.net:
        raise ValueError(f"line {line}: net is not charged minus refunded")
    return row
