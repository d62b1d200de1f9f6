"""Lay CometAPI's buttons out in Discord rows the way Midjourney groups them.

Buttons keep the task's order; each `row_group` (U row, V row, upscale, vary, zoom, pan …)
starts a row and wraps at 5. When that makes more than 5 rows, the smallest neighbours are
merged; anything beyond 25 buttons cannot be shown and is dropped (and logged by the caller).
"""

from __future__ import annotations

from collections.abc import Sequence

ROW_WIDTH = 5
MAX_ROWS = 5


def layout_rows(groups: Sequence[str]) -> list[list[int]]:
    """Button indexes per row, given each button's row group in task order."""
    order: list[str] = []
    members: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        if group not in members:
            order.append(group)
            members[group] = []
        members[group].append(index)
    rows: list[list[int]] = []
    for group in order:
        items = members[group]
        rows.extend(items[i : i + ROW_WIDTH] for i in range(0, len(items), ROW_WIDTH))
    while len(rows) > MAX_ROWS:
        pairs = [
            (len(rows[i]) + len(rows[i + 1]), i)
            for i in range(len(rows) - 1)
            if len(rows[i]) + len(rows[i + 1]) <= ROW_WIDTH
        ]
        if not pairs:
            break
        _, i = min(pairs)
        rows[i : i + 2] = [rows[i] + rows[i + 1]]
    return rows[:MAX_ROWS]
