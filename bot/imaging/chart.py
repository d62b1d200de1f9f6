"""The `/admin usage` chart: stacked credits per day and mode, top members, the month's budget.

Pure and synchronous like the rest of bot.imaging (call it via asyncio.to_thread). Bars are
plain rectangles, never antialiased, and `bar_geometry` is the one place their pixels are
computed, so tests can check the drawn image against the ledger to the pixel.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from bot.imaging.text import clean, fit, typeface

if TYPE_CHECKING:
    from bot.jobs.usage import UsageReport

log = logging.getLogger(__name__)

RGB = tuple[int, int, int]

SIZE = (1000, 560)
BACKGROUND: RGB = (0x31, 0x33, 0x38)  # Discord's dark message background
TEXT: RGB = (0xDB, 0xDE, 0xE1)
MUTED: RGB = (0x94, 0x9B, 0xA4)
GRID: RGB = (0x41, 0x43, 0x4A)
AXIS: RGB = (0x6D, 0x6F, 0x78)
WARN: RGB = (0xF0, 0xB2, 0x32)
OVER: RGB = (0xF2, 0x3F, 0x43)
MODE_COLOURS: Mapping[str, RGB] = {
    "fast": (0x58, 0x65, 0xF2),  # blurple
    "turbo": (0xEB, 0x45, 0x9E),  # fuchsia
    "relax": (0x23, 0xA5, 0x5A),  # green
}
OTHER_COLOUR: RGB = (0x80, 0x84, 0x8E)  # any mode the bot does not know (old rows)
EMPTY_MESSAGE = "No jobs in this period"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MARGIN = 24
_PANEL_WIDTH = 250
_MAX_BAR_WIDTH = 56


@dataclass(frozen=True, slots=True)
class Box:
    left: int
    top: int
    right: int  # exclusive
    bottom: int  # exclusive


@dataclass(frozen=True, slots=True)
class Segment:
    """One mode's part of one day's bar: pixels [left, right) × [top, bottom)."""

    day: date
    mode: str
    value: int  # net credits
    left: int
    top: int
    right: int
    bottom: int


def mode_colour(mode: str) -> RGB:
    return MODE_COLOURS.get(mode, OTHER_COLOUR)


def plot_box(size: tuple[int, int] = SIZE) -> Box:
    """Where the bars go; the row `bottom` is the baseline."""
    width, height = size
    # At 760 px the plot keeps a column of its own for each of a year's 366 days; below 420
    # the totals in the panel would run off the image.
    if width < 760 or height < 420:
        raise ValueError(f"a usage chart needs at least 760×420 pixels, not {width}×{height}")
    return Box(76, 96, width - _MARGIN - _PANEL_WIDTH - 32, height - 78)


def y_axis(peak: int, ticks: int = 6) -> tuple[int, int]:
    """(top value, tick step) of a whole-credit axis: the smallest step of 1, 2, 2.5 or 5 × 10ⁿ
    that reaches `peak` in at most `ticks` steps, the top the first tick at or above it."""
    if peak <= 0:
        return 5, 1  # an empty chart still gets a readable axis
    base = 1
    while True:
        steps = (
            (base, 2 * base, 5 * base) if base < 10 else (base, 2 * base, base * 5 // 2, 5 * base)
        )
        for step in sorted(steps):
            if math.ceil(peak / step) <= ticks:
                return step * math.ceil(peak / step), step
        base *= 10


def _to_y(value: int, plot: Box, top_value: int) -> int:
    return plot.bottom - round(value * (plot.bottom - plot.top) / top_value)


def _peak(report: UsageReport) -> int:
    return max((day.net for day in report.per_day), default=0)


def bar_geometry(report: UsageReport, size: tuple[int, int] = SIZE) -> list[Segment]:
    """Every drawn bar segment, oldest day first, stacked in the report's mode order."""
    plot = plot_box(size)
    top_value, _ = y_axis(_peak(report))
    slot = (plot.right - plot.left) / max(1, len(report.per_day))
    width = max(1, min(_MAX_BAR_WIDTH, int(slot * 0.7)))  # a week's bars stay bars

    def y(value: int) -> int:
        # Segment ends are rounded cumulative sums: each height is within 1 px of exact.
        return _to_y(value, plot, top_value)

    segments = []
    for index, day in enumerate(report.per_day):
        left = plot.left + int(index * slot + (slot - width) / 2)
        running = 0
        for usage in day.modes:
            if usage.net <= 0:
                continue
            low, running = y(running), running + usage.net
            segments.append(
                Segment(day.day, usage.mode, usage.net, left, y(running), left + width, low)
            )
    return segments


def _day_label(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}"  # not strftime: %b follows the locale


def _title(report: UsageReport) -> str:
    return "Credits per day · " + ("today" if report.days == 1 else f"last {report.days} days")


def _draw_axes(draw: ImageDraw.ImageDraw, report: UsageReport, plot: Box) -> None:
    top_value, step = y_axis(_peak(report))
    small = typeface(13)
    for tick in range(0, top_value + 1, step):
        y = _to_y(tick, plot, top_value)  # as the bars: a bar of 10 ends on the tick 10
        if tick:
            draw.line((plot.left, y, plot.right - 1, y), fill=GRID)
        draw.text((plot.left - 8, y), f"{tick:,}", font=small, fill=MUTED, anchor="rm")
    draw.line((plot.left, plot.bottom, plot.right - 1, plot.bottom), fill=AXIS)

    days = report.per_day
    slot = (plot.right - plot.left) / max(1, len(days))
    widest = max((small.getlength(_day_label(d.day)) for d in days), default=0.0)
    every = max(1, math.ceil(len(days) / max(1, int((plot.right - plot.left) // (widest + 10)))))
    for index, day in enumerate(days):
        if (len(days) - 1 - index) % every:  # thinned from today backwards: today is labelled
            continue
        x = plot.left + (index + 0.5) * slot
        draw.text((x, plot.bottom + 8), _day_label(day.day), font=small, fill=MUTED, anchor="mt")


def _draw_legend(draw: ImageDraw.ImageDraw, report: UsageReport, plot: Box) -> None:
    font, x = typeface(14), plot.left
    for mode in report.modes:
        total = sum(day.net_for(mode) for day in report.per_day)
        if mode not in MODE_COLOURS and not total:
            continue
        draw.rectangle((x, 58, x + 11, 69), fill=mode_colour(mode))
        label = f"{mode} {total:,}"
        draw.text((x + 18, 64), label, font=font, fill=TEXT, anchor="lm")
        x += 18 + int(font.getlength(label)) + 24


def _row(draw: ImageDraw.ImageDraw, y: int, left: int, right: int, name: str, value: str) -> None:
    font = typeface(15)
    draw.text((right, y), value, font=font, fill=MUTED, anchor="rs")
    room = right - left - font.getlength(value) - 12
    draw.text((left, y), fit(name, font, room), font=font, fill=TEXT, anchor="ls")


def _draw_panel(
    draw: ImageDraw.ImageDraw, report: UsageReport, names: Mapping[int, str], size: tuple[int, int]
) -> None:
    left, right = size[0] - _MARGIN - _PANEL_WIDTH, size[0] - _MARGIN
    draw.text((left, 96), "Top members", font=typeface(18), fill=TEXT, anchor="lt")
    y = 140
    for rank, user in enumerate(report.top_users, start=1):
        name = clean(names.get(user.user_id, "")) or str(user.user_id)
        _row(draw, y, left, right, f"{rank}. {name}", f"{user.net:,} cr")
        y += 28
    if not report.top_users:
        draw.text((left, y), "Nobody yet", font=typeface(15), fill=MUTED, anchor="ls")
    y = 140 + 5 * 28 + 20
    draw.text((left, y), "Totals", font=typeface(18), fill=TEXT, anchor="lt")
    y += 44
    for label, value in (
        ("Jobs", report.jobs),
        ("Credits spent", report.net),
        ("Credits refunded", report.refunded),
    ):
        _row(draw, y, left, right, label, f"{value:,}")
        y += 28


def _draw_budget(draw: ImageDraw.ImageDraw, report: UsageReport, size: tuple[int, int]) -> None:
    budget = report.budget
    if budget is None:
        return
    percent = round(budget.percent)
    colour = OVER if budget.percent >= 100 else WARN if budget.percent >= 80 else TEXT
    text = f"Spent {budget.used:,} of {budget.limit:,} credits this month ({percent} %)"
    draw.text((_MARGIN, size[1] - 22), text, font=typeface(16), fill=colour, anchor="ls")


def usage_chart(
    report: UsageReport, names: Mapping[int, str] | None = None, *, size: tuple[int, int] = SIZE
) -> bytes:
    """The report as a PNG; `names` maps user ids to display names (ids are shown otherwise)."""
    plot = plot_box(size)
    image = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((_MARGIN, 18), _title(report), font=typeface(24), fill=TEXT, anchor="lt")
    _draw_legend(draw, report, plot)
    _draw_axes(draw, report, plot)
    for seg in bar_geometry(report, size):
        if seg.bottom > seg.top:
            box = (seg.left, seg.top, seg.right - 1, seg.bottom - 1)  # Pillow's are inclusive
            draw.rectangle(box, fill=mode_colour(seg.mode))
    if not report.net:  # no bar to draw: say why instead of showing an empty frame
        message = EMPTY_MESSAGE if not report.jobs else "No credits spent in this period"
        centre = ((plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2)
        draw.text(centre, message, font=typeface(20), fill=MUTED, anchor="mm")
    _draw_panel(draw, report, names or {}, size)
    _draw_budget(draw, report, size)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()
