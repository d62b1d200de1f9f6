"""The preview of a refined cell: enlarged, its sub-cells marked, the context darkened, cached."""

from __future__ import annotations

import time

import pytest
from PIL import Image

from bot.imaging import PaintState, paint_grid, render_region_preview, render_zoom_preview
from bot.imaging.paint import sub_cells
from tests.imaging.helpers import noisy_image, reload


@pytest.fixture(scope="module")
def source() -> Image.Image:
    return noisy_image(1344, 896, seed=5, noise=0.3)  # 3:2: 5 x 3 cells, 15 x 9 sub-cells


def _colour(img: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, int, int]:
    """Mean colour of the top-left quarter of a box, clear of lines, labels and outline."""
    left, top, right, bottom = box
    patch = img.convert("RGB").crop(
        (left + (right - left) // 8, top + (bottom - top) // 8, (left + right) // 2 - 4,
         (top + bottom) // 2 - 4)
    )  # fmt: skip
    r, g, b = (sum(i * n for i, n in enumerate(band.histogram())) for band in patch.split())
    count = patch.width * patch.height
    return r // count, g // count, b // count


def test_a_refined_cell_is_enlarged_with_its_neighbours_around(source: Image.Image) -> None:
    state = PaintState.new(paint_grid(*source.size)).zoom_to((1, 1))  # B2: context all round
    out = reload(render_zoom_preview(source, state, key="z", fmt="png"))
    # 3 sub-cells of B2 and one of each neighbour: 5 x 5 sub-cells of 89.6 x 99.6 px.
    assert max(out.size) == 768
    assert out.width / out.height == pytest.approx((5 * 1344 / 15) / (5 * 896 / 9), rel=0.01)
    corner = reload(render_zoom_preview(source, state.zoom_to((0, 0)), key="z", fmt="png"))
    # A1 at the corner: context only on two sides, 4 x 4 sub-cells.
    assert corner.width / corner.height == pytest.approx((4 * 1344 / 15) / (4 * 896 / 9), rel=0.02)


def test_selected_sub_cells_are_tinted_and_the_context_darker(source: Image.Image) -> None:
    state = PaintState.new(paint_grid(*source.size)).zoom_to((1, 1)).press(0)  # B2·1
    out = reload(render_zoom_preview(source, state, key="t", fmt="png"))
    cell_w, cell_h = out.width / 5, out.height / 5

    def box(col: int, row: int) -> tuple[int, int, int, int]:
        return (
            round(col * cell_w), round(row * cell_h), round((col + 1) * cell_w),
            round((row + 1) * cell_h),
        )  # fmt: skip

    red, green, blue = _colour(out, box(1, 1))  # B2·1
    assert red > green + 60 and blue > green + 60
    unselected = _colour(out, box(2, 2))  # B2·5
    assert abs(unselected[0] - unselected[1]) < 40
    context = _colour(out, box(4, 4))  # C3·1, around the cell
    assert sum(context) < sum(unselected) * 0.8
    assert sub_cells((1, 1))[0] in state.selection


def test_rerenders_are_cached_and_views_differ(source: Image.Image) -> None:
    state = PaintState.new(paint_grid(*source.size)).preset("oval").zoom_to((2, 1))
    first = render_zoom_preview(source, state, key="c")
    start = time.perf_counter()
    for index in range(9):
        render_zoom_preview(source, state.press(index), key="c")
    assert (time.perf_counter() - start) / 9 < 0.15
    assert render_zoom_preview(source, state.press(4), key="c") != first
    whole = render_region_preview(source, state.selection, key="c", grid=state.coarse)
    assert reload(whole).size == (1024, 683)
    with pytest.raises(ValueError):
        render_zoom_preview(source, state.zoom_to(None), key="c")
