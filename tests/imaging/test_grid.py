"""The region editor's grid: shapes per aspect ratio, labels, selection algebra, serialisation."""

from __future__ import annotations

import random

import pytest

from bot.imaging import PRESETS, Grid, Selection, grid_for


@pytest.mark.parametrize(
    ("size", "shape"),
    [
        ((1024, 1024), (4, 4)),
        ((1456, 816), (5, 3)),  # 16:9
        ((816, 1456), (3, 5)),  # 9:16
        ((896, 1344), (3, 5)),  # 2:3
        ((1344, 896), (5, 3)),  # 3:2
        ((1232, 928), (5, 4)),  # 4:3
        ((2048, 878), (5, 2)),  # 21:9
    ],
)
def test_grid_shapes(size: tuple[int, int], shape: tuple[int, int]) -> None:
    grid = grid_for(*size)
    assert (grid.cols, grid.rows) == shape


@pytest.mark.parametrize("aspect", [0.25, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0])
def test_grid_leaves_room_for_controls(aspect: float) -> None:
    grid = grid_for(round(1000 * aspect), 1000)
    assert grid.cols <= 5
    assert grid.rows <= 5
    assert grid.size <= 20  # 25 button slots, 5 kept for controls
    assert grid_for(round(1000 * aspect), 1000, max_rows=4).rows <= 4


def test_labels() -> None:
    grid = Grid(5, 4)
    labels = [grid.label(cell) for cell in grid.cells()]
    assert labels[:6] == ["A1", "B1", "C1", "D1", "E1", "A2"]
    assert labels[-1] == "E4"
    assert all(
        grid.parse_label(label) == cell for label, cell in zip(labels, grid.cells(), strict=True)
    )
    assert grid.parse_label(" c2 ") == (2, 1)
    for bad in ("F1", "A5", "A0", "AA1", "", "1A"):
        with pytest.raises(ValueError):
            grid.parse_label(bad)


def test_cell_boxes_tile_the_image_exactly() -> None:
    grid = Grid(3, 5)
    width, height = 1001, 997
    area = 0
    for cell in grid.cells():
        left, top, right, bottom = grid.cell_box(cell, width, height)
        area += (right - left) * (bottom - top)
    assert area == width * height
    assert grid.cell_box((2, 4), width, height)[2:] == (width, height)


def test_toggle_invert_clear() -> None:
    grid = Grid(4, 4)
    sel = Selection.empty(grid).toggle((0, 0)).toggle((1, 0))
    assert sel.labels() == ["A1", "B1"]
    assert sel.toggle((0, 0)).labels() == ["B1"]
    assert len(sel.invert()) == 14
    assert (0, 0) not in sel.invert()
    assert sel.invert().invert() == sel
    assert sel.clear().is_empty
    assert Selection.full(grid).is_full
    with pytest.raises(ValueError):
        sel.toggle((4, 0))


def test_grow_and_shrink() -> None:
    grid = Grid(5, 5)
    dot = Selection.of(grid, [(2, 2)])
    plus = dot.grow()
    assert plus.cells == {(2, 2), (1, 2), (3, 2), (2, 1), (2, 3)}
    assert plus.shrink() == dot
    assert dot.shrink().is_empty
    corner = Selection.of(grid, [(0, 0)]).grow()
    assert corner.cells == {(0, 0), (1, 0), (0, 1)}  # clipped at the border
    # The image edge does not erode: the left half shrinks from its inner side only.
    left = Selection.preset(grid, "left")
    assert left.shrink().cells == {(c, r) for c in range(2) for r in range(5)}
    assert Selection.full(grid).shrink().is_full


def test_presets() -> None:
    grid = Grid(4, 4)
    assert Selection.preset(grid, "centre").labels() == ["B2", "C2", "B3", "C3"]
    assert " ".join(Selection.preset(grid, "left").labels()) == "A1 B1 A2 B2 A3 B3 A4 B4"
    assert Selection.preset(grid, "top").cells == {(c, r) for c in range(4) for r in range(2)}
    assert Selection.preset(grid, "bottom") == Selection.preset(grid, "top").invert()
    assert Selection.preset(grid, "right") == Selection.preset(grid, "left").invert()
    assert Selection.preset(grid, "oval").labels() == ["B2", "C2", "B3", "C3"]
    assert len(Selection.preset(Grid(15, 9), "oval")) == 7 + 9 + 11 + 9 + 7
    wide = Grid(5, 3)
    assert Selection.preset(wide, "centre").labels() == ["C2"]
    assert len(Selection.preset(Grid(15, 9), "centre")) == 5 * 3  # the middle third
    for name in PRESETS:
        for shape in ((1, 1), (1, 4), (5, 1), (3, 5)):
            assert not Selection.preset(Grid(*shape), name).is_empty
    with pytest.raises(ValueError):
        Selection.preset(grid, "diagonal")


def test_serialisation_round_trip() -> None:
    rng = random.Random(3)
    for cols, rows in ((4, 4), (5, 3), (3, 5), (5, 4), (1, 1), (9, 9), (15, 9), (25, 25)):
        grid = Grid(cols, rows)
        cells = list(grid.cells())
        for _ in range(50):
            sel = Selection.of(grid, rng.sample(cells, rng.randint(0, len(cells))))
            text = sel.to_str()
            assert len(text) <= (25 if grid.size <= 81 else 43 if grid.size <= 135 else 163)
            assert Selection.from_str(text) == sel
    assert Selection.preset(Grid(4, 4), "centre").to_str() == "4x4:660"
    assert Selection.empty(Grid(5, 3)).to_str() == "5x3:0"
    assert Selection.full(Grid(5, 4)).to_str() == "5x4:fffff"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "4x4",
        "4x4:",
        "4x4:10000",
        "4x4:0f",
        "4X4:f",
        "4x4:F",
        "0x4:1",
        "4x4:-1",
        "4x4:f ",
        "x:1",
        "26x1:1",
        "09x9:1",
        "3x3:1;z1",
    ],
)
def test_serialisation_is_strict(text: str) -> None:
    with pytest.raises(ValueError):
        Selection.from_str(text)


def test_regrid_splits_every_cell_into_a_block() -> None:
    coarse = Selection.of(Grid(3, 2), [(0, 0), (2, 1)])
    fine = coarse.regrid(Grid(9, 6))
    assert fine.cells == {(c, r) for c in range(3) for r in range(3)} | {
        (c, r) for c in range(6, 9) for r in range(3, 6)
    }
    assert fine.regrid(Grid(9, 6)) == fine
    with pytest.raises(ValueError):
        coarse.regrid(Grid(4, 4))


def test_selection_is_a_hashable_value() -> None:
    grid = Grid(4, 4)
    a = Selection.of(grid, [(1, 1), (2, 2)])
    b = Selection.empty(grid).toggle((2, 2)).toggle((1, 1))
    assert a == b
    assert hash(a) == hash(b)
    assert a != Selection.of(Grid(5, 4), [(1, 1), (2, 2)])
