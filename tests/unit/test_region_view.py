"""The Vary (Region) editor fits Discord's limits for every aspect ratio and view, and its ids
parse."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.db.records import RegionSession
from bot.errors import Refused
from bot.imaging import PaintState, Selection, fine_grid
from bot.ui.ids import EXPIRED_TEMPLATE, REGION_BUTTON_TEMPLATE, REGION_SELECT_TEMPLATE
from bot.ui.region import _press, editor_state
from bot.ui.region_view import chooser_view, confirm_view, editor_view

BIG_ID = 123456789012345678


def session(selection: str = "") -> RegionSession:
    return RegionSession(
        id=BIG_ID, job_id=1, button_index=7, user_id=2, guild_id=3, channel_id=4,
        selection=selection, prompt="p", web_nonce=None, created_at=0.0, expires_at=1.0,
        used_at=None, child_job_id=None,
    )  # fmt: skip


def _check_limits(view_rows: list[dict[str, Any]]) -> None:
    assert len(view_rows) <= 5
    components = [c for row in view_rows for c in row["components"]]
    assert all(len(row["components"]) <= 5 for row in view_rows)
    ids = [c["custom_id"] for c in components]
    assert len(set(ids)) == len(ids)
    for custom_id in ids:
        assert len(custom_id) <= 100
        assert not re.fullmatch(EXPIRED_TEMPLATE, custom_id)
        assert re.fullmatch(REGION_BUTTON_TEMPLATE, custom_id) or re.fullmatch(
            REGION_SELECT_TEMPLATE, custom_id
        )


@pytest.mark.parametrize(
    "size",
    [(1024, 1024), (1344, 896), (896, 1344), (1456, 816), (816, 1456), (2048, 512), (64, 2048)],
)
def test_the_editor_fits_five_rows_of_five_in_every_view(size: tuple[int, int]) -> None:
    state = editor_state(session(), size)
    assert state.coarse.rows <= 3 and state.coarse.cols <= 5
    views = [state.invert()] + [state.zoom_to(cell) for cell in state.coarse.cells()]
    for view in views:
        rows = editor_view(BIG_ID, view).to_components()
        _check_limits(rows)
        cells = [c["label"] for row in rows[:-2] for c in row["components"]]
        assert cells == [b.label for b in view.buttons()]
        tools = [c["label"] for c in rows[-2]["components"]]
        assert tools == ["Invert", "Clear", "Grow", "Shrink", "Continue"]
        (menu,) = rows[-1]["components"]
        assert menu["type"] == 3
        values = [o["value"] for o in menu["options"]]
        assert len(values) == len(set(values)) <= 25
        assert all(len(o["label"]) <= 100 for o in menu["options"])
        assert ("whole" in values) == (view.zoom is not None)


def test_cell_styles_show_selected_and_partly_selected_cells() -> None:
    state = editor_state(session(), (1024, 1024)).press(0).zoom_to((1, 0)).press(0)
    rows = editor_view(BIG_ID, state.zoom_to(None)).to_components()
    styles = {c["label"]: c["style"] for c in rows[0]["components"]}
    assert styles == {"A1": 1, "B1": 3, "C1": 2}  # blue: all, green: some, grey: none
    zoomed = editor_view(BIG_ID, state).to_components()
    assert [c["label"] for c in zoomed[0]["components"]] == ["B1·1", "B1·2", "B1·3"]
    assert [c["style"] for c in zoomed[0]["components"]] == [1, 2, 2]


def test_a_stored_state_is_kept_only_on_its_grid() -> None:
    fresh = editor_state(session(), (1024, 1024))
    kept = fresh.preset("centre").zoom_to((2, 2)).grow()
    assert editor_state(session(kept.to_str()), (1024, 1024)) == kept
    # Stored before the two levels, on the 3 x 3 grid: the same cells, now 3 x 3 sub-cells each.
    old = editor_state(session("3x3:10"), (1024, 1024))
    assert old.labels() == ["B2"] and old.selection.grid == fine_grid(fresh.coarse)
    assert editor_state(session("4x4:1"), (1024, 1024)) == fresh
    assert editor_state(session("garbage"), (1024, 1024)) == fresh
    full = Selection.full(fine_grid(fresh.coarse)).to_str()
    assert editor_state(session(full), (10, 10)).selection.is_full  # any square image


@pytest.mark.fault(23)
@pytest.mark.parametrize(
    "custom_id", ["mj:v1:r:1:c25", "mj:v1:r:0:go", "mj:v1:r:1:drop", "mj:v1:r:1:go "]
)
def test_forged_region_ids_get_the_expired_answer(custom_id: str) -> None:
    assert not re.fullmatch(REGION_BUTTON_TEMPLATE, custom_id)
    assert re.fullmatch(EXPIRED_TEMPLATE, custom_id)


def test_the_chooser_links_the_web_editor_only_when_there_is_a_link() -> None:
    assert len(chooser_view(1, None).children) == 2
    (*_, web) = chooser_view(1, "https://mj.example.org/region/x").children
    assert getattr(web, "url", None) == "https://mj.example.org/region/x"
    assert len(confirm_view(1).children) == 2


def test_every_view_of_a_state_has_its_own_labels() -> None:
    state = PaintState.new(editor_state(session(), (1344, 896)).coarse)
    labels = {b.label for cell in state.coarse.cells() for b in state.zoom_to(cell).buttons()}
    assert len(labels) == 15 * 9  # an outdated message's label names one sub-cell only
    assert not labels & {b.label for b in state.buttons()}


def test_a_tap_on_an_outdated_view_only_shows_the_current_one() -> None:
    whole = PaintState.new(editor_state(session(), (1024, 1024)).coarse)
    refining = whole.zoom_to((1, 1))
    assert _press(refining, 0, "A1") == refining  # pressed in an older whole-image message
    assert _press(refining, 0, "B2·1").labels() == ["B2·1"]
    assert _press(whole, 4, None).labels() == ["B2"]
    with pytest.raises(Refused):
        _press(refining, 9, None)  # c9 exists in no view of a 3 x 3 sub-grid: forged
