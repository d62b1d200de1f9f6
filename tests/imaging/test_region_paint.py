"""The two-level "Paint here" grid: shapes per aspect ratio, taps in both views, the Grow/Shrink
ladder, the stored form (old selections included) and masks exact to the pixel."""

from __future__ import annotations

import random

import pytest

from bot.imaging import (
    PRESETS,
    Grid,
    PaintState,
    Selection,
    coverage,
    fine_grid,
    mask_from_selection,
    paint_grid,
)
from bot.imaging.paint import stored_selection, sub_cells

SIZES = {
    "1:1": (1024, 1024),
    "4:3": (1232, 928),
    "3:2": (1344, 896),
    "16:9": (1456, 816),
    "21:9": (2048, 878),
    "2:3": (896, 1344),
    "3:4": (928, 1232),
    "9:16": (816, 1456),
}


@pytest.mark.parametrize(
    ("ratio", "coarse", "fine"),
    [
        ("1:1", (3, 3), (9, 9)),
        ("4:3", (4, 3), (12, 9)),
        ("3:2", (5, 3), (15, 9)),
        ("16:9", (5, 3), (15, 9)),
        ("21:9", (5, 2), (15, 6)),
        ("2:3", (2, 3), (6, 9)),
        ("3:4", (2, 3), (6, 9)),
        ("9:16", (2, 3), (6, 9)),
    ],
)
def test_grids_per_aspect_ratio(ratio: str, coarse: tuple[int, int], fine: tuple[int, int]) -> None:
    grid = paint_grid(*SIZES[ratio])
    assert (grid.cols, grid.rows) == coarse
    assert (fine_grid(grid).cols, fine_grid(grid).rows) == fine
    width, height = SIZES[ratio]
    cell_w, cell_h = width / fine[0], height / fine[1]
    assert 0.66 <= cell_w / cell_h <= 1.5  # sub-cells are roughly square


@pytest.mark.parametrize("size", [(2048, 512), (64, 2048), (1, 1), (5000, 3000)])
def test_every_image_gets_a_grid_that_fits_the_buttons(size: tuple[int, int]) -> None:
    grid = paint_grid(*size)
    assert grid.cols <= 5 and grid.rows <= 3
    state = PaintState.new(grid)
    assert len(state.buttons()) == grid.size <= 15
    assert len(state.zoom_to((0, 0)).buttons()) == 9


def test_sub_cells_are_numbered_like_a_keypad() -> None:
    state = PaintState.new(Grid(3, 3)).zoom_to((1, 1))
    labels = [b.label for b in state.buttons()]
    assert labels == [f"B2·{n}" for n in range(1, 10)]
    assert sub_cells((1, 1))[0] == (3, 3) and sub_cells((1, 1))[8] == (5, 5)
    assert state.sub_label((5, 3)) == "B2·3" and state.sub_label((3, 5)) == "B2·7"


def test_taps_on_the_whole_image_and_on_a_refined_cell() -> None:
    state = PaintState.new(Grid(3, 3)).press(4)  # B2
    assert state.selection.cells == set(sub_cells((1, 1)))
    assert state.labels() == ["B2"]
    assert [b.mark for b in state.buttons()][3:6] == ["none", "all", "none"]
    refined = state.zoom_to((1, 1)).press(0).press(8)  # B2·1 and B2·9 off
    assert refined.labels() == [f"B2·{n}" for n in range(2, 9)]
    whole = refined.zoom_to(None)
    assert whole.buttons()[4].mark == "some"
    assert whole.press(4).labels() == ["B2"]  # a partly selected cell fills up first
    assert whole.press(4).press(4).selection.is_empty
    assert refined.zoom_to((2, 2)).press(4).labels()[-1] == "C3·5"  # other cells stay
    with pytest.raises(ValueError):
        state.press(9)
    with pytest.raises(ValueError):
        state.zoom_to((0, 0)).press(9)


def test_shapes_invert_and_clear_act_on_the_fine_grid() -> None:
    state = PaintState.new(paint_grid(1024, 1024)).zoom_to((0, 0))
    left = state.preset("left")
    assert left.zoom is None  # a shape shows the whole image
    assert left.selection == Selection.preset(Grid(9, 9), "left")
    assert left.labels()[:2] == ["A1", "B1·1"]
    assert left.invert().selection == left.selection.invert()
    assert left.zoom_to((1, 1)).invert().zoom == (1, 1)  # the view stays
    assert left.clear().selection.is_empty


@pytest.mark.parametrize("ratio", ["1:1", "3:2", "2:3", "16:9", "9:16", "4:3"])
def test_the_oval_covers_about_the_middle_third(ratio: str) -> None:
    width, height = SIZES[ratio]
    oval = PaintState.new(paint_grid(width, height)).preset("oval")
    mask = mask_from_selection(oval.selection, width, height)
    assert 0.25 <= coverage(mask) <= 0.40
    assert mask.getpixel((width // 2, height // 2)) == 255
    assert mask.getpixel((width // 2, height // 10)) == 0  # not up to the edges
    assert mask.getpixel((width // 10, height // 2)) == 0


def test_grow_then_shrink_and_shrink_then_grow_undo_each_other() -> None:
    grid = Grid(3, 3)
    # Every coarse cell but B2, which Grow fills except its centre: plain erosion would keep
    # B2's corners, the ladder gives back exactly the shape drawn.
    ring = PaintState.new(grid).invert().press(4).press(4).press(4)
    assert ring.labels() == ["A1", "B1", "C1", "A2", "C2", "A3", "B3", "C3"]
    grown = ring.grow()
    assert grown.labels()[4] == "B2·1" and "B2·5" not in grown.labels()
    assert grown.shrink() == ring
    assert ring.shrink().grow() == ring
    dot = PaintState.new(grid).zoom_to((1, 1)).press(4)  # B2·5 alone
    assert dot.shrink().selection.is_empty
    assert dot.shrink().grow() == dot  # shrinking a single cell away is undone too
    assert dot.grow().grow().shrink().shrink() == dot
    # A tap bakes the ladder in: Shrink after it starts from the new shape.
    tapped = dot.grow().press(0)
    assert tapped.steps == 0 and tapped.shrink().labels() == ["B2·5"]
    assert tapped.shrink().base == tapped.selection and tapped.shrink().grow() == tapped


def test_grow_and_shrink_are_undone_on_random_selections() -> None:
    rng = random.Random(7)
    for coarse in (Grid(3, 3), Grid(5, 3), Grid(2, 3)):
        fine = fine_grid(coarse)
        cells = list(fine.cells())
        for _ in range(150):
            state = PaintState(coarse, Selection.of(fine, rng.sample(cells, rng.randint(0, 40))))
            for op in rng.choices(["grow", "shrink"], k=rng.randint(0, 4)):
                state = getattr(state, op)()
            if not state.selection.is_full:
                assert state.grow().shrink() == state
            if not state.selection.is_empty:
                assert state.shrink().grow() == state


def test_the_one_case_not_undone_is_a_press_that_changes_nothing() -> None:
    grid = Grid(3, 3)
    almost = PaintState.new(grid).invert().zoom_to((0, 0)).press(0)  # all but A1·1
    full = almost.grow()
    assert full.selection.is_full
    assert full.grow() == full  # nothing to add: ignored
    assert full.grow().shrink() == almost  # so Shrink takes a real step back
    empty = PaintState.new(grid)
    assert empty.grow() == empty and empty.shrink() == empty


@pytest.mark.parametrize(
    "state",
    [
        PaintState.new(Grid(3, 3)),
        PaintState.new(Grid(3, 3)).press(4).zoom_to((1, 1)).press(0),
        PaintState.new(Grid(5, 3)).preset("oval").grow().grow(),
        PaintState.new(Grid(5, 3)).preset("oval").shrink().zoom_to((4, 2)),
        PaintState.new(Grid(2, 3)).invert(),
    ],
)
def test_the_stored_form_round_trips(state: PaintState) -> None:
    text = state.to_str()
    assert len(text) <= 100
    assert PaintState.from_str(text, state.coarse) == state
    assert stored_selection(text) == state.selection


def test_stored_forms() -> None:
    coarse = Grid(3, 3)
    state = PaintState.new(coarse).press(4).zoom_to((1, 1))
    assert state.to_str() == "9x9:70381c0000000;z4"
    assert state.grow().to_str() == "9x9:e0f87c3e0e00000;g+1:70381c0000000;z4"
    # Stored before the two levels: a 3 x 3 selection is the same area on the 9 x 9 grid.
    old = PaintState.from_str("3x3:10", coarse)
    assert old.selection == Selection.of(Grid(3, 3), [(1, 1)]).regrid(Grid(9, 9))
    assert stored_selection("3x3:10") == Selection.of(Grid(3, 3), [(1, 1)])
    # A ladder that does not lead to the selection, or a zoom off the grid, is dropped.
    assert PaintState.from_str("9x9:70381c0000000;g+1:1", coarse).steps == 0
    assert PaintState.from_str("9x9:0;z9", coarse).zoom is None


@pytest.mark.parametrize(
    "text",
    ["", "4x4:1", "9x9:0;z", "9x9:0;z01", "9x9:0;g+0:1", "9x9:0;g1:0", "9x9:0;x", "9x9:0 ;z1"],
)
def test_stored_forms_of_another_grid_or_malformed_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        PaintState.from_str(text, Grid(3, 3))


@pytest.mark.parametrize("ratio", ["1:1", "3:2", "2:3", "16:9"])
def test_masks_are_exact_to_the_pixel(ratio: str) -> None:
    """A coarse cell's mask is its box exactly, and its 9 sub-cells tile that box."""
    width, height = SIZES[ratio]
    coarse = paint_grid(width, height)
    rng = random.Random(ratio)
    cell = rng.choice(list(coarse.cells()))
    state = PaintState.new(coarse).press(list(coarse.cells()).index(cell))
    mask = mask_from_selection(state.selection, width, height)
    left, top, right, bottom = coarse.cell_box(cell, width, height)
    assert mask.getbbox() == (left, top, right, bottom)
    assert mask.crop((left, top, right, bottom)).histogram()[255] == (right - left) * (bottom - top)
    sub = state.zoom_to(cell).press(0).press(0)  # off and on again: the same
    assert mask_from_selection(sub.selection, width, height).tobytes() == mask.tobytes()
    for name in PRESETS:
        shape = state.preset(name).selection
        mask = mask_from_selection(shape, width, height)
        for fine_cell in shape.grid.cells():
            box = shape.grid.cell_box(fine_cell, width, height)
            expected = 255 if fine_cell in shape else 0
            assert mask.getpixel(box[:2]) == expected
            assert mask.getpixel((box[2] - 1, box[3] - 1)) == expected
