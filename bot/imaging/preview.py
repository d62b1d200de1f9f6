"""Preview images for the Vary (Region) editor in Discord.

A click re-renders the grid preview, so that path must be cheap: per image (and grid) the
downscaled base is prepared once in two finished variants, "selected" (magenta tint) and
"unselected" (dimmed), both with grid lines and cell labels already drawn. A re-render is then
one composite through the cell mask, a selection outline, and the encode. The drawn (labelled)
grid may be coarser than the selection's: the editor labels its coarse cells and tints the
selected sub-cells (bot/imaging/paint.py); bot/imaging/zoom.py renders one refined cell.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from bot.imaging.grid import Grid, Selection
from bot.imaging.masks import mask_from_selection, resize_mask
from bot.imaging.safe import open_image

log = logging.getLogger(__name__)

PreviewFormat = Literal["webp", "png", "jpeg"]
PREVIEW_MIME = {"webp": "image/webp", "png": "image/png", "jpeg": "image/jpeg"}
PREVIEW_EXT = {"webp": "webp", "png": "png", "jpeg": "jpg"}

FONT_PATH = Path(__file__).resolve().parents[2] / "assets" / "fonts" / "DejaVuSans-Bold.ttf"
TINT = (255, 0, 200)
_TINT_ALPHA = 0.42
_DIM = 0.6  # brightness kept in unselected cells
_OUTLINE = (255, 220, 0)  # yellow: stands out against both the tint and the dimmed cells

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Box = tuple[int, int, int, int]


class _LRU:
    """Thread-safe LRU bounded by pixel bytes (the bot renders from worker threads)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[object, ...], tuple[Image.Image, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> tuple[Image.Image, ...] | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[object, ...], value: tuple[Image.Image, ...]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > 1 and self._bytes() > self.max_bytes:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def _bytes(self) -> int:
        return sum(
            im.width * im.height * len(im.getbands()) for ims in self._items.values() for im in ims
        )


# ~3 MB per 1024 px variant, 3 per image: about 10 images being edited at once.
preview_cache = _LRU(max_bytes=96 * 1024 * 1024)


def clear_preview_cache() -> None:
    preview_cache.clear()


def is_cached(key: str, *, max_side: int = 1024) -> bool:
    """Whether a base for `key` is ready, so the caller can skip fetching the source image."""
    return ("base", key, max_side) in preview_cache


def image_key(image: Image.Image | bytes) -> str:
    """Content hash used when the caller gives no key (costs ~15 ms for a 2048 px image)."""
    digest = hashlib.blake2b(digest_size=16)
    if isinstance(image, bytes):
        digest.update(image)
    else:
        digest.update(f"{image.mode}{image.size}".encode())
        digest.update(image.tobytes())
    return digest.hexdigest()


def render_region_preview(
    image: Image.Image | bytes,
    selection: Selection,
    *,
    key: str | None = None,
    max_side: int = 1024,
    fmt: PreviewFormat = "webp",
    grid: Grid | None = None,
) -> bytes:
    """The image downscaled, with the grid, cell labels, the selection tinted and the rest dimmed.

    `image` may be encoded bytes (decoded safely, and only on a cache miss). `key` names the
    image in the cache (e.g. "<job id>:<index>"); without it a content hash is used. `grid` is
    the grid drawn and labelled, by default the selection's.
    """
    grid = grid or selection.grid
    cache_key = key or image_key(image)
    variants = preview_cache.get(("grid", cache_key, max_side, grid))
    if variants is None:
        base = base_image(image, cache_key, max_side)
        variants = _grid_variants(base, grid)
        preview_cache.put(("grid", cache_key, max_side, grid), variants)
    selected, unselected = variants
    width, height = selected.size
    canvas = Image.composite(selected, unselected, mask_from_selection(selection, width, height))
    fine = selection.grid
    draw_outline(canvas, selection, lambda cell: fine.cell_box(cell, width, height))
    return encode(canvas, fmt)


def render_mask_preview(
    image: Image.Image | bytes,
    mask: Image.Image,
    *,
    key: str | None = None,
    max_side: int = 1024,
    fmt: PreviewFormat = "webp",
) -> bytes:
    """The image with a mask over it (tinted = regenerate, dimmed = keep, outlined edge), to
    confirm an uploaded or painted mask before the paid submit."""
    base = base_image(image, key or image_key(image), max_side)
    small = resize_mask(mask, base.size)
    canvas = Image.composite(tinted(base), dimmed(base), small)
    edge = small.filter(ImageFilter.MaxFilter(3))
    edge = ImageChops.subtract(edge, small.filter(ImageFilter.MinFilter(3)))
    canvas.paste(_OUTLINE, mask=edge)
    return encode(canvas, fmt)


def base_image(image: Image.Image | bytes, key: str, max_side: int) -> Image.Image:
    cached = preview_cache.get(("base", key, max_side))
    if cached is not None:
        return cached[0]
    img = open_image(image) if isinstance(image, bytes) else image
    img = img.convert("RGB")
    if max(img.size) > max_side:
        scale = max_side / max(img.size)
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        # reducing_gap: a cheap integer reduce first, then a good filter on a small image.
        img = img.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)
    preview_cache.put(("base", key, max_side), (img,))
    log.debug("prepared preview base %s at %s", key, img.size)
    return img


def tinted(base: Image.Image) -> Image.Image:
    return Image.blend(base, Image.new("RGB", base.size, TINT), _TINT_ALPHA)


def dimmed(base: Image.Image) -> Image.Image:
    return base.point([int(v * _DIM) for v in range(256)] * 3)


def _grid_variants(base: Image.Image, grid: Grid) -> tuple[Image.Image, Image.Image]:
    width, height = base.size
    selected, unselected = tinted(base), dimmed(base)
    cell_w, cell_h = width / grid.cols, height / grid.rows
    font = label_font(min(cell_w, cell_h))
    line = max(1, round(min(width, height) / 512))
    xs = [col * width // grid.cols for col in range(1, grid.cols)]
    ys = [row * height // grid.rows for row in range(1, grid.rows)]
    for canvas in (selected, unselected):
        draw = ImageDraw.Draw(canvas)
        grid_lines(draw, xs, ys, canvas.size, line)
        for cell in grid.cells():
            left, top, right, bottom = grid.cell_box(cell, width, height)
            draw_label(draw, ((left + right) / 2, (top + bottom) / 2), grid.label(cell), font)
    return selected, unselected


def label_font(cell_side: float) -> Font:
    """The label font for cells whose shorter side is `cell_side` pixels."""
    return _font(max(11, min(72, int(cell_side * 0.22))))


def draw_label(draw: ImageDraw.ImageDraw, at: tuple[float, float], text: str, font: Font) -> None:
    stroke = max(1, round(font.size / 10)) if isinstance(font, ImageFont.FreeTypeFont) else 1
    draw.text(
        at, text, font=font, anchor="mm", fill=(255, 255, 255), stroke_width=stroke,
        stroke_fill=(0, 0, 0),
    )  # fmt: skip


def grid_lines(
    draw: ImageDraw.ImageDraw,
    xs: Iterable[int],
    ys: Iterable[int],
    size: tuple[int, int],
    line: int,
) -> None:
    """Light lines on dark ones: visible on both bright and dark pictures."""
    width, height = size
    for x in xs:
        draw.line([(x, 0), (x, height)], fill=(0, 0, 0), width=line + 2)
        draw.line([(x, 0), (x, height)], fill=(255, 255, 255), width=line)
    for y in ys:
        draw.line([(0, y), (width, y)], fill=(0, 0, 0), width=line + 2)
        draw.line([(0, y), (width, y)], fill=(255, 255, 255), width=line)


def draw_outline(
    canvas: Image.Image,
    selection: Selection,
    box: Callable[[tuple[int, int]], Box],
    cells: Iterable[tuple[int, int]] | None = None,
) -> None:
    """A bright line along the selection's border, where a selected cell meets an unselected
    one or the image edge, so the region reads at a glance. `box` places a cell on the canvas;
    `cells` limits the drawing to those (default: every selected cell)."""
    width, height = canvas.size
    line = max(2, round(min(width, height) / 256))
    draw = ImageDraw.Draw(canvas)
    for cell in selection.cells if cells is None else cells:
        if cell not in selection.cells:
            continue
        left, top, right, bottom = box(cell)
        col, row = cell
        right, bottom = right - 1, bottom - 1
        sides = (
            ((col - 1, row), [(left, top), (left, bottom)]),
            ((col + 1, row), [(right, top), (right, bottom)]),
            ((col, row - 1), [(left, top), (right, top)]),
            ((col, row + 1), [(left, bottom), (right, bottom)]),
        )
        for neighbour, points in sides:
            if neighbour not in selection.cells:
                draw.line(points, fill=_OUTLINE, width=line)


def encode(canvas: Image.Image, fmt: PreviewFormat) -> bytes:
    buf = io.BytesIO()
    if fmt == "webp":
        # method 0: 4x faster than the default and barely bigger; it is a throwaway preview.
        canvas.save(buf, "WEBP", quality=80, method=0)
    elif fmt == "jpeg":
        canvas.save(buf, "JPEG", quality=85)
    else:
        canvas.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


@lru_cache(maxsize=16)
def _font(size: int) -> Font:
    try:
        return ImageFont.truetype(str(FONT_PATH), size)
    except OSError:
        # Installed without the repo's assets: Pillow's built-in font scales since 10.1.
        log.warning("font %s missing, using Pillow's default", FONT_PATH)
        return ImageFont.load_default(size=size)
