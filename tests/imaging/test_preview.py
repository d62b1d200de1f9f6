"""Region editor previews: decodable, marked where selected, and quick to re-render."""

from __future__ import annotations

import time

import pytest
from PIL import Image

from bot.imaging import (
    Grid,
    Selection,
    grid_for,
    is_cached,
    mask_from_selection,
    render_mask_preview,
    render_region_preview,
)
from bot.imaging.preview import FONT_PATH
from tests.imaging.helpers import encode, noisy_image, reload


@pytest.fixture(scope="module")
def source() -> Image.Image:
    return noisy_image(2048, 1152, seed=11, noise=0.3)


def _probe(img: Image.Image, grid: Grid, cell: tuple[int, int]) -> tuple[int, ...]:
    """Colour near a cell's top-left corner, clear of lines, labels and the outline."""
    left, top, right, bottom = grid.cell_box(cell, img.width, img.height)
    pixel = img.convert("RGB").getpixel((left + (right - left) // 4, top + (bottom - top) // 4))
    assert isinstance(pixel, tuple)
    return pixel


def test_bundled_font_is_present() -> None:
    assert FONT_PATH.is_file()
    assert (FONT_PATH.parent / "LICENSE-DejaVu.txt").is_file()


def test_region_preview_decodes_and_marks_the_selection(source: Image.Image) -> None:
    grid = grid_for(*source.size)
    sel = Selection.of(grid, [(0, 0)])
    out = reload(render_region_preview(source, sel, key="job1:1"))
    assert out.format == "WEBP"
    assert out.size == (1024, 576)
    red, green, blue = _probe(out, grid, (0, 0))
    assert red > green + 60
    assert blue > green + 60
    dimmed = _probe(out, grid, (1, 0))
    assert abs(dimmed[0] - dimmed[1]) < 40  # not tinted
    assert sum(dimmed) < sum(_probe(source.resize(out.size), grid, (1, 0)))


def test_formats_and_small_sources(source: Image.Image) -> None:
    small = source.resize((400, 225))
    sel = Selection.preset(grid_for(400, 225), "centre")
    assert reload(render_region_preview(small, sel, fmt="png")).size == (400, 225)
    assert reload(render_region_preview(small, sel, fmt="jpeg", max_side=200)).size == (200, 112)


def test_bytes_source_is_decoded_only_on_a_miss(source: Image.Image) -> None:
    data = encode(source.resize((1024, 576)), "PNG")
    sel = Selection.preset(grid_for(1024, 576), "oval")
    assert not is_cached("img-a")
    render_region_preview(data, sel, key="img-a")
    assert is_cached("img-a")
    # On a hit the bytes are not even read: a placeholder works.
    assert reload(render_region_preview(b"", sel.invert(), key="img-a")).size == (1024, 576)


def test_rerender_is_fast(source: Image.Image) -> None:
    grid = grid_for(*source.size)
    sel = Selection.preset(grid, "centre")
    render_region_preview(source, sel, key="fast")  # builds the cached base
    timings = []
    for cell in list(grid.cells())[:8]:
        start = time.perf_counter()
        render_region_preview(source, sel.toggle(cell), key="fast")
        timings.append(time.perf_counter() - start)
    # The bench asserts nothing; this only guards against losing the cache (~20 ms here).
    assert sorted(timings)[len(timings) // 2] < 0.15


def test_content_hash_key_distinguishes_images() -> None:
    grid = Grid(2, 2)
    sel = Selection.of(grid, [(0, 0)])
    black = Image.new("RGB", (200, 200), "black")
    white = Image.new("RGB", (200, 200), "white")
    a = reload(render_region_preview(black, sel, fmt="png"))
    b = reload(render_region_preview(white, sel, fmt="png"))
    assert _probe(a, grid, (1, 1)) != _probe(b, grid, (1, 1))


def test_mask_preview(source: Image.Image) -> None:
    grid = grid_for(*source.size)
    mask = mask_from_selection(Selection.of(grid, [(2, 1)]), *source.size)
    out = reload(render_mask_preview(source, mask, key="job1:1"))
    assert out.size == (1024, 576)
    red, green, blue = _probe(out, grid, (2, 1))
    assert red > green + 60
    assert blue > green + 60
    red, green, _ = _probe(out, grid, (0, 0))
    assert abs(red - green) < 40
