"""The usage chart: a real PNG whose bars are exactly the ledger's numbers, to the pixel."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from bot.db import Database
from bot.db.usage import UsageRepository
from bot.imaging.chart import (
    BACKGROUND,
    EMPTY_MESSAGE,
    MODE_COLOURS,
    MUTED,
    OVER,
    SIZE,
    bar_geometry,
    mode_colour,
    plot_box,
    usage_chart,
    y_axis,
)
from bot.jobs.usage import UsageReport, build_report
from tests.db.conftest import FakeClock, new_job
from tests.imaging.helpers import reload

GUILD = 10
NOW = datetime(2023, 11, 7, 18, 0, tzinfo=UTC).timestamp()
RGB = tuple[int, int, int]
# (day of November, mode, credits, refunded) for a 7-day report ending on the 7th.
SPENDING = [
    (1, "fast", 3, False),
    (1, "turbo", 6, False),
    (1, "relax", 2, False),
    (3, "fast", 1, False),
    (4, "turbo", 9, False),
    (4, "turbo", 3, True),
    (7, "relax", 5, False),
    (7, "fast", 4, False),
    (7, "fast", 3, False),
]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "chart.db", clock=FakeClock(NOW)) as database:
        yield database


async def report_of(
    db: Database, spending: list[tuple[int, str, int, bool]], *, budget: int | None = None
) -> UsageReport:
    clock = db.clock
    assert isinstance(clock, FakeClock)
    for day, mode, amount, refund in spending:
        clock.now = datetime(2023, 11, day, 12, tzinfo=UTC).timestamp()
        job = await new_job(db, guild_id=GUILD, user_id=30 + day, mode=mode)
        await db.ledger.charge(job.id, GUILD, job.user_id, amount)
        if refund:
            await db.ledger.refund(job.id, "failed")
    return await build_report(UsageRepository(db), GUILD, days=7, now=NOW, budget=budget)


def pixel(img: Image.Image, x: int, y: int) -> RGB:
    value = img.getpixel((x, y))
    assert isinstance(value, tuple)
    return (value[0], value[1], value[2])


def column_runs(img: Image.Image, x: int, bottom: int) -> list[tuple[RGB, int]]:
    """(colour, height) of each run of mode colours from `bottom` upwards."""
    runs: list[tuple[RGB, int]] = []
    y = bottom
    while (colour := pixel(img, x, y)) in MODE_COLOURS.values():
        if runs and runs[-1][0] == colour:
            runs[-1] = (colour, runs[-1][1] + 1)
        else:
            runs.append((colour, 1))
        y -= 1
    return runs


def test_y_axis_uses_round_steps() -> None:
    assert y_axis(0) == (5, 1)
    assert y_axis(3) == (3, 1)
    assert y_axis(11) == (12, 2)
    assert y_axis(40) == (40, 10)
    assert y_axis(101) == (120, 20)
    assert y_axis(123) == (125, 25)
    assert y_axis(9_999) == (10_000, 2_000)


async def test_the_chart_is_a_png_of_the_right_size(db: Database) -> None:
    report = await report_of(db, SPENDING, budget=500)
    img = reload(usage_chart(report, {31: "Alice", 37: "Bob, the builder\nof things"}))
    assert img.format == "PNG"
    assert img.size == SIZE
    assert pixel(img.convert("RGB"), 2, 2) == BACKGROUND


async def test_bars_are_the_ledger_to_the_pixel(db: Database) -> None:
    report = await report_of(db, SPENDING)
    img = reload(usage_chart(report)).convert("RGB")
    plot = plot_box()
    top_value, _ = y_axis(11)
    px_per_credit = (plot.bottom - plot.top) / top_value  # 32.17…: rounding matters

    segments = bar_geometry(report)
    # One segment per (day, mode) with net credits; the refunded turbo job adds nothing.
    assert [(s.day.day, s.mode, s.value) for s in segments] == [
        (1, "fast", 3),
        (1, "turbo", 6),
        (1, "relax", 2),
        (3, "fast", 1),
        (4, "turbo", 9),
        (7, "fast", 7),
        (7, "relax", 5),
    ]
    for seg in segments:
        centre = ((seg.left + seg.right) // 2, (seg.top + seg.bottom) // 2)
        assert pixel(img, *centre) == MODE_COLOURS[seg.mode], seg
        assert abs((seg.bottom - seg.top) - seg.value * px_per_credit) <= 1, seg
        assert plot.left <= seg.left < seg.right <= plot.right
        assert plot.top <= seg.top < seg.bottom <= plot.bottom

    # Read the bars back from the image alone: walk up each bar's centre column.
    for day in report.per_day:
        own = [s for s in segments if s.day == day.day]
        if own:
            runs = column_runs(img, (own[0].left + own[0].right) // 2, plot.bottom - 1)
            assert runs == [(mode_colour(s.mode), s.bottom - s.top) for s in own]
            for (_, height), seg in zip(runs, own, strict=True):
                assert abs(height - seg.value * px_per_credit) <= 1
            assert abs(sum(h for _, h in runs) - day.net * px_per_credit) <= 1


@pytest.mark.parametrize("spending", [[], [(3, "turbo", 3, True)]], ids=["empty", "refunded"])
async def test_a_report_without_spend_draws_a_message(
    db: Database, spending: list[tuple[int, str, int, bool]]
) -> None:
    report = await report_of(db, spending)
    assert report.net == 0
    assert bar_geometry(report) == []
    img = reload(usage_chart(report)).convert("RGB")
    assert img.size == SIZE
    plot = plot_box()
    cx, cy = (plot.left + plot.right) // 2, (plot.top + plot.bottom) // 2
    around = img.crop((cx - 150, cy - 12, cx + 150, cy + 12))
    assert MUTED in {colour for _, colour in around.getcolors(maxcolors=100_000) or []}
    assert EMPTY_MESSAGE == "No jobs in this period"
    # No bar anywhere: no mode colour inside the plot.
    inside = img.crop((plot.left, plot.top, plot.right, plot.bottom))
    colours = {colour for _, colour in inside.getcolors(maxcolors=100_000) or []}
    assert not colours & set(MODE_COLOURS.values())


async def test_names_budget_and_many_days(db: Database) -> None:
    report = await report_of(db, SPENDING, budget=20)  # 25 of 20: over budget, in red
    names = {31: "Zoë " * 40, 33: "\u202e\u0000", 34: "日本語"}
    plain, named = usage_chart(report), usage_chart(report, names)
    assert plain != named
    img = reload(named).convert("RGB")
    bottom_line = img.crop((0, SIZE[1] - 44, plot_box().right, SIZE[1]))
    assert OVER in {colour for _, colour in bottom_line.getcolors(maxcolors=100_000) or []}

    year = await build_report(UsageRepository(db), GUILD, days=366, now=NOW, budget=None)
    segments = bar_geometry(year)
    assert len(segments) == 7
    assert all(s.right - s.left >= 1 for s in segments)
    columns = sorted({(s.left, s.right) for s in segments})
    assert len(columns) == 4  # one per day with spend
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(columns))  # no overlap
    assert reload(usage_chart(year)).size == SIZE
    small = (760, 420)  # the smallest size: still a column per day
    assert reload(usage_chart(year, size=small)).size == small
    assert len({s.left for s in bar_geometry(year, small)}) == 4
    with pytest.raises(ValueError):
        usage_chart(year, size=(700, 420))
