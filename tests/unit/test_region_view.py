"""The Vary (Region) editor fits Discord's limits for every aspect ratio, and its ids parse."""

from __future__ import annotations

import re

import pytest

from bot.db.records import RegionSession
from bot.imaging import Selection
from bot.ui.ids import EXPIRED_TEMPLATE, REGION_BUTTON_TEMPLATE, REGION_SELECT_TEMPLATE
from bot.ui.region import editor_selection
from bot.ui.region_view import chooser_view, confirm_view, editor_view

BIG_ID = 123456789012345678


def session(selection: str = "") -> RegionSession:
    return RegionSession(
        id=BIG_ID, job_id=1, button_index=7, user_id=2, guild_id=3, channel_id=4,
        selection=selection, prompt="p", web_nonce=None, created_at=0.0, expires_at=1.0,
        used_at=None, child_job_id=None,
    )  # fmt: skip


@pytest.mark.parametrize("size", [(1024, 1024), (1456, 816), (816, 1456), (2048, 512), (64, 2048)])
def test_the_editor_fits_five_rows_of_five(size: tuple[int, int]) -> None:
    selection = editor_selection(session(), size)
    assert selection.grid.rows <= 3 and selection.grid.cols <= 5
    view = editor_view(BIG_ID, Selection.full(selection.grid))
    rows = view.to_components()
    assert len(rows) <= 5
    assert all(len(row["components"]) <= 5 for row in rows)
    ids = [c["custom_id"] for row in rows for c in row["components"]]
    assert len(set(ids)) == len(ids)
    for custom_id in ids:
        assert len(custom_id) <= 100
        assert not re.fullmatch(EXPIRED_TEMPLATE, custom_id)
        assert re.fullmatch(REGION_BUTTON_TEMPLATE, custom_id) or re.fullmatch(
            REGION_SELECT_TEMPLATE, custom_id
        )


def test_a_stored_selection_is_kept_only_on_its_grid() -> None:
    grid = editor_selection(session(), (1024, 1024)).grid
    kept = Selection.preset(grid, "centre")
    assert editor_selection(session(kept.to_str()), (1024, 1024)) == kept
    assert editor_selection(session("9x9:1"), (1024, 1024)).is_empty
    assert editor_selection(session("garbage"), (1024, 1024)).is_empty


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
