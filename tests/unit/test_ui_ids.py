from __future__ import annotations

import re

import pytest

from bot.ui.ids import BUTTON_TEMPLATE, EXPIRED_TEMPLATE, ButtonRef, parse_button
from bot.ui.layout import layout_rows


@pytest.mark.parametrize(("job_id", "index"), [(1, 0), (123456789012345678, 24)])
def test_button_ids_round_trip(job_id: int, index: int) -> None:
    ref = ButtonRef(job_id, index)
    assert len(ref.custom_id) <= 100
    assert parse_button(ref.custom_id) == ref
    assert re.fullmatch(BUTTON_TEMPLATE, ref.custom_id)
    assert not re.fullmatch(EXPIRED_TEMPLATE, ref.custom_id)


@pytest.mark.fault(23)
@pytest.mark.parametrize(
    "custom_id",
    [
        "mj:v1:b:1:25",
        "mj:v1:b:0:1",
        "mj:v1:b:01:1",
        "mj:v1:b:1:1 ",
        "mj:v1:b:1:1\n",
        "mj:v2:b:1:1",
        "MJ::JOB::upsample::1::x",
        "mj:v1:b:1234567890123456789:1",
        "",
    ],
)
def test_bad_button_ids_are_refused_and_get_the_expired_answer(custom_id: str) -> None:
    assert parse_button(custom_id) is None
    assert not re.fullmatch(BUTTON_TEMPLATE, custom_id)
    if custom_id:
        assert re.fullmatch(EXPIRED_TEMPLATE, custom_id)


def test_in_memory_components_are_left_alone() -> None:
    assert not re.fullmatch(EXPIRED_TEMPLATE, "mjx:m:zoom:1:2:abc")


def test_grid_layout_matches_midjourney() -> None:
    groups = ["U", "U", "U", "U", "U", "V", "V", "V", "V"]
    assert layout_rows(groups) == [[0, 1, 2, 3, 4], [5, 6, 7, 8]]


def test_layout_wraps_and_merges_to_five_rows() -> None:
    groups = (
        ["upscale"] * 2
        + ["vary"] * 3
        + ["zoom"] * 3
        + ["pan"] * 4
        + ["animate"] * 2
        + ["misc"] * 2
        + ["extra"]
    )
    rows = layout_rows(groups)
    assert len(rows) <= 5
    assert all(len(r) <= 5 for r in rows)
    assert sorted(i for r in rows for i in r) == list(range(len(groups)))


def test_layout_never_exceeds_discord_limits() -> None:
    rows = layout_rows([f"g{i}" for i in range(30)])
    assert len(rows) <= 5
    assert all(len(r) <= 5 for r in rows)
