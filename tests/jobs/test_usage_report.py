"""The usage report: whole UTC days with zeros, totals, the monthly budget, the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.db import Database, JobStatus
from bot.db.usage import UsageRepository, UsageRow, UsageTotals
from bot.jobs.usage import CSV_HEADER, BudgetUse, build_report, from_csv, to_csv
from tests.db.conftest import FakeClock, new_job

GUILD = 10
NOW = datetime(2023, 11, 3, 15, 0, tzinfo=UTC).timestamp()


def at(month: int, day: int, hour: int = 12) -> float:
    return datetime(2023, month, day, hour, tzinfo=UTC).timestamp()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def db(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "usage.db", clock=clock) as database:
        yield database


@pytest.fixture
def repo(db: Database) -> UsageRepository:
    return UsageRepository(db)


async def spend(
    db: Database, clock: FakeClock, when: float, amount: int, *, refund: bool = False, **job: object
) -> int:
    clock.now = when
    created = await new_job(db, guild_id=GUILD, **job)
    assert await db.ledger.charge(created.id, GUILD, created.user_id, amount)
    if refund:
        assert await db.ledger.refund(created.id, "failed")
    return created.id


async def test_every_day_is_present_and_refunds_net_out(
    db: Database, clock: FakeClock, repo: UsageRepository
) -> None:
    await spend(db, clock, at(10, 27, 23), 5)  # the day before the period
    await spend(db, clock, at(10, 30), 3, mode="turbo")
    await spend(db, clock, at(10, 30), 3, mode="turbo", refund=True)
    await spend(db, clock, at(11, 1), 1, mode="relax")
    await spend(db, clock, at(11, 3, 1), 1)
    await spend(db, clock, at(11, 3, 2), 2, mode="legacy")

    report = await build_report(repo, GUILD, days=7, now=NOW, budget=None)

    assert report.since == datetime(2023, 10, 28, tzinfo=UTC).timestamp()
    assert report.until == datetime(2023, 11, 4, tzinfo=UTC).timestamp()
    assert report.modes == ("fast", "turbo", "relax", "legacy")
    assert [d.day for d in report.per_day] == [date(2023, 10, 28 + n) for n in range(4)] + [
        date(2023, 11, n) for n in range(1, 4)
    ]
    assert [d.net for d in report.per_day] == [0, 0, 3, 0, 1, 0, 3]
    assert [d.jobs for d in report.per_day] == [0, 0, 2, 0, 1, 0, 2]
    for day in report.per_day:  # zeros included, same modes in the same order every day
        assert tuple(m.mode for m in day.modes) == report.modes
    turbo = report.per_day[2].modes[1]
    assert (turbo.jobs, turbo.charged, turbo.refunded, turbo.net) == (2, 6, 3, 3)
    assert report.per_day[6].net_for("fast") == 1
    assert report.per_day[6].net_for("legacy") == 2
    assert report.totals == UsageTotals(jobs=5, charged=10, refunded=3)
    assert (report.jobs, report.net, report.refunded) == (5, 7, 3)
    assert [(u.user_id, u.net) for u in report.top_users] == [(30, 7)]
    assert report.budget is None


async def test_today_only_and_an_empty_period(repo: UsageRepository) -> None:
    report = await build_report(repo, GUILD, days=1, now=NOW, budget=500)
    assert [d.day for d in report.per_day] == [date(2023, 11, 3)]
    assert report.per_day[0].net == 0
    assert (report.jobs, report.net, report.refunded) == (0, 0, 0)
    assert report.top_users == ()
    assert report.budget == BudgetUse(
        limit=500, used=0, month_start=datetime(2023, 11, 1, tzinfo=UTC).timestamp()
    )
    for days in (0, -1, 367):
        with pytest.raises(ValueError):
            await build_report(repo, GUILD, days=days, now=NOW, budget=None)


async def test_top_five_members(db: Database, clock: FakeClock, repo: UsageRepository) -> None:
    for user in range(1, 8):
        for _ in range(user):
            await spend(db, clock, at(11, 2), 1, user_id=user)
    report = await build_report(repo, GUILD, days=30, now=NOW, budget=None)
    assert [(u.user_id, u.net) for u in report.top_users] == [
        (7, 7),
        (6, 6),
        (5, 5),
        (4, 4),
        (3, 3),
    ]


async def test_the_budget_counts_this_calendar_month_only(
    db: Database, clock: FakeClock, repo: UsageRepository
) -> None:
    await spend(db, clock, at(10, 31, 23), 100)  # in the 30-day chart, not in November
    await spend(db, clock, at(11, 1, 0), 120, mode="turbo")
    await spend(db, clock, at(11, 2), 40, refund=True)
    await spend(db, clock, at(11, 3), 3)

    report = await build_report(repo, GUILD, days=30, now=NOW, budget=500)
    assert report.net == 223
    assert report.budget is not None
    assert (report.budget.used, report.budget.limit) == (123, 500)
    assert report.budget.percent == pytest.approx(24.6)
    assert BudgetUse(limit=0, used=0, month_start=0).percent == 100.0


def sample_rows() -> list[UsageRow]:
    def row(job_id: int, kind: str, action: str, charged: int, refunded: int) -> UsageRow:
        when = datetime(2023, 11, 3, 9, 5, job_id, tzinfo=UTC)
        return UsageRow(
            job_id,
            when,
            2**62 + job_id,
            kind,
            action,
            "turbo",
            JobStatus.SUCCEEDED,
            charged,
            refunded,
        )

    return [
        row(1, "imagine", "", 3, 0),
        row(2, "action", 'upsample, "U1"', 1, 1),
        row(3, "describe", "line one\r\nline two\nthree\r", 0, 0),
        row(4, "vary ✨ région", "日本語, 🎨", 2, 0),
        row(5, " padded ", '"', 1, 0),
    ]


def test_csv_round_trips_byte_and_value_exactly() -> None:
    rows = sample_rows()
    data = to_csv(rows)
    assert from_csv(data) == rows
    assert to_csv(from_csv(data)) == data
    assert data.startswith(
        b"job_id,created_at,user_id,kind,action,mode,status,charged,refunded,net\r\n"
    )
    assert b'2,2023-11-03T09:05:02Z,4611686018427387906,action,"upsample, ""U1""",turbo,' in data
    assert data.endswith(
        b'5,2023-11-03T09:05:05Z,4611686018427387909, padded ,"""",turbo,succeeded,1,0,1\r\n'
    )
    # Any RFC 4180 reader gets the same fields.
    records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert tuple(records[0]) == CSV_HEADER
    assert [r[4] for r in records[1:]] == [row.action for row in rows]
    assert [r[9] for r in records[1:]] == ["3", "0", "0", "2", "1"]
    assert to_csv([]) == b",".join(h.encode() for h in CSV_HEADER) + b"\r\n"
    assert from_csv(to_csv([])) == []


async def test_csv_of_the_stored_rows(
    db: Database, clock: FakeClock, repo: UsageRepository
) -> None:
    await spend(
        db, clock, at(11, 2), 3, kind="action", action='pan, "left" → ünïcode', mode="turbo"
    )
    await spend(db, clock, at(11, 3), 1, refund=True, kind="imagine")
    rows = await repo.rows(GUILD, at(11, 1, 0), at(11, 4, 0))
    data = to_csv(rows)
    assert from_csv(data) == rows
    assert to_csv(from_csv(data)) == data
    assert data.decode("utf-8").splitlines()[1:] == [
        f'{rows[0].job_id},2023-11-02T12:00:00Z,30,action,"pan, ""left"" → ünïcode",turbo,'
        "reserved,3,0,3",
        f"{rows[1].job_id},2023-11-03T12:00:00Z,30,imagine,,fast,reserved,1,1,0",
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"job_id,created_at\r\n",
        to_csv(sample_rows()[:1]).replace(b",3\r\n", b",2\r\n"),  # net is not charged - refunded
        to_csv(sample_rows()[:1]).replace(b"1,2023", b"01,2023"),  # not written by to_csv
        to_csv(sample_rows()[:1]).replace(b"09:05:01Z", b"9:05:01Z"),
        to_csv(sample_rows()[:1]).replace(b"succeeded", b"won"),
        to_csv(sample_rows()[:1]).replace(b",turbo", b""),
        to_csv(sample_rows()[:1]) + b'9,"unterminated\r\n',
        b"\xff" + to_csv([]),
    ],
)
def test_from_csv_refuses_what_to_csv_would_not_write(data: bytes) -> None:
    with pytest.raises(ValueError):
        from_csv(data)
