"""The preview of one refined cell: "Refine B2" in the Discord editor (bot/imaging/paint.py).

The cell is cut from the full-size source with one sub-cell of its neighbours around it for
context, and enlarged. Its sub-cells are labelled "B2·1" .. "B2·9" like their buttons; the
context is darkened and unlabelled, and a heavy frame marks the cell's edge. As in the
whole-image preview, selected sub-cells are tinted, the rest dimmed, the selection outlined,
and both finished variants are cached so that a tap costs one composite and an encode.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from bot.imaging.grid import Cell, Grid
from bot.imaging.paint import SPLIT, PaintState, sub_cells
from bot.imaging.preview import (
    Box,
    PreviewFormat,
    dimmed,
    draw_label,
    draw_outline,
    encode,
    grid_lines,
    image_key,
    label_font,
    preview_cache,
    tinted,
)

_CONTEXT = 0.5  # brightness kept around the refined cell
_FRAME = (255, 255, 255)


@dataclass(frozen=True, slots=True)
class _Window:
    """The fine cells shown (cols c0..c1-1, rows r0..r1-1), their pixel box in the source and
    the scale to the preview."""

    fine: Grid
    source: tuple[int, int]
    cols: tuple[int, int]
    rows: tuple[int, int]
    box: Box
    size: tuple[int, int]

    @classmethod
    def around(cls, fine: Grid, cell: Cell, source: tuple[int, int], max_side: int) -> _Window:
        col, row = cell
        cols = (max(0, col * SPLIT - 1), min(fine.cols, col * SPLIT + SPLIT + 1))
        rows = (max(0, row * SPLIT - 1), min(fine.rows, row * SPLIT + SPLIT + 1))
        left, top, _, _ = fine.cell_box((cols[0], rows[0]), *source)
        _, _, right, bottom = fine.cell_box((cols[1] - 1, rows[1] - 1), *source)
        scale = max_side / max(right - left, bottom - top)
        size = (max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale)))
        return cls(fine, source, cols, rows, (left, top, right, bottom), size)

    def cells(self) -> list[Cell]:
        return [(c, r) for r in range(*self.rows) for c in range(*self.cols)]

    def x(self, source_x: int) -> int:
        left, _, right, _ = self.box
        return round((source_x - left) * self.size[0] / (right - left))

    def y(self, source_y: int) -> int:
        _, top, _, bottom = self.box
        return round((source_y - top) * self.size[1] / (bottom - top))

    def place(self, cell: Cell) -> Box:
        left, top, right, bottom = self.fine.cell_box(cell, *self.source)
        return self.x(left), self.y(top), self.x(right), self.y(bottom)


def render_zoom_preview(
    image: Image.Image,
    state: PaintState,
    *,
    key: str | None = None,
    max_side: int = 768,
    fmt: PreviewFormat = "webp",
) -> bytes:
    """The refined cell (`state.zoom`) of the full-size source `image`, enlarged so that its
    longer side is `max_side`, with the sub-cells selected in `state` tinted."""
    if state.zoom is None:
        raise ValueError("no cell is being refined")
    window = _Window.around(state.fine, state.zoom, image.size, max_side)
    cache_key = ("zoom", key or image_key(image), max_side, state.fine, state.zoom)
    variants = preview_cache.get(cache_key)
    if variants is None:
        variants = _variants(image, state, window)
        preview_cache.put(cache_key, variants)
    selected, unselected = variants
    mask = Image.new("L", window.size, 0)
    shown = window.cells()
    for cell in shown:
        if cell in state.selection:
            mask.paste(255, window.place(cell))
    canvas = Image.composite(selected, unselected, mask)
    draw_outline(canvas, state.selection, window.place, shown)
    return encode(canvas, fmt)


def _variants(image: Image.Image, state: PaintState, window: _Window) -> tuple[Image.Image, ...]:
    assert state.zoom is not None
    crop = image.convert("RGB").crop(window.box)
    crop = crop.resize(window.size, Image.Resampling.BICUBIC, reducing_gap=2.0)
    focus = _focus_box(window, state.zoom)
    context = Image.new("L", window.size, 255)
    context.paste(0, focus)
    darken = [int(v * _CONTEXT) for v in range(256)] * 3
    width, height = window.size
    xs = [window.x(state.fine.cell_box((c, 0), *window.source)[0]) for c in range(*window.cols)]
    ys = [window.y(state.fine.cell_box((0, r), *window.source)[1]) for r in range(*window.rows)]
    line = max(1, round(min(width, height) / 400))
    subs = sub_cells(state.zoom)
    sub_side = min(focus[2] - focus[0], focus[3] - focus[1]) / SPLIT
    font = label_font(sub_side * 1.3)
    out = []
    for variant in (tinted(crop), dimmed(crop)):
        variant.paste(variant.point(darken), mask=context)
        draw = ImageDraw.Draw(variant)
        grid_lines(draw, [x for x in xs if 0 < x < width], [y for y in ys if 0 < y < height],
                   window.size, line)  # fmt: skip
        frame = max(3, round(min(width, height) / 128))
        left, top, right, bottom = focus
        draw.rectangle((left, top, right - 1, bottom - 1), outline=(0, 0, 0), width=frame + 2)
        draw.rectangle(
            (left + 1, top + 1, right - 2, bottom - 2), outline=_FRAME, width=max(1, frame - 2)
        )
        for cell in subs:
            l, t, r, b = window.place(cell)  # noqa: E741
            draw_label(draw, ((l + r) / 2, (t + b) / 2), state.sub_label(cell), font)
        out.append(variant)
    return tuple(out)


def _focus_box(window: _Window, cell: Cell) -> Box:
    subs = sub_cells(cell)
    left, top, _, _ = window.place(subs[0])
    _, _, right, bottom = window.place(subs[-1])
    return left, top, right, bottom
