"""The `/history` contact sheet: numbered thumbnails on a dark background, a caption under each.

Pure and synchronous like the rest of bot.imaging (call it via asyncio.to_thread). Tile images
are untrusted bytes: they are decoded with `open_image` and shrunk with Pillow's `thumbnail`;
one that cannot be decoded becomes a placeholder, never an error. `tile_box` is the one place a
tile's pixels are placed, so tests can check the drawn sheet against it.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageOps

from bot.imaging.errors import ImageRejected
from bot.imaging.safe import open_image
from bot.imaging.text import Font, clean, fit, typeface

log = logging.getLogger(__name__)

RGB = tuple[int, int, int]

THUMB = 240  # a tile's image area is THUMB x THUMB pixels
COLUMNS = 3
MAX_TILES = 30
MARGIN = 20
GAP = 14
CAPTION_HEIGHT = 46  # two lines of caption under each tile
RADIUS = 10
BACKGROUND: RGB = (0x1E, 0x1F, 0x22)  # Discord's darkest grey
TILE_BACKGROUND: RGB = (0x2B, 0x2D, 0x31)
HATCH: RGB = (0x33, 0x35, 0x3B)
TEXT: RGB = (0xDB, 0xDE, 0xE1)
MUTED: RGB = (0x94, 0x9B, 0xA4)
BADGE: RGB = (0x58, 0x65, 0xF2)  # blurple
BADGE_TEXT: RGB = (0xFF, 0xFF, 0xFF)
BADGE_SIZE = 34
BADGE_INSET = 8
NO_PREVIEW = "No preview"
_THUMB_QUALITY = 90


@dataclass(frozen=True, slots=True)
class Tile:
    """One job on the sheet. `image`: encoded image bytes (any size; decoded safely), or None
    for a placeholder that shows `status` (e.g. "Failed", "Running 40%")."""

    number: int
    image: bytes | None
    caption: str
    status: str = ""


@dataclass(frozen=True, slots=True)
class Box:
    left: int
    top: int
    right: int  # exclusive
    bottom: int  # exclusive


def sheet_size(count: int, columns: int = COLUMNS) -> tuple[int, int]:
    """The sheet's size for `count` tiles: always `columns` wide, as many rows as needed."""
    rows = max(1, math.ceil(count / columns))
    width = 2 * MARGIN + columns * THUMB + (columns - 1) * GAP
    height = 2 * MARGIN + rows * (THUMB + CAPTION_HEIGHT) + (rows - 1) * GAP
    return width, height


def tile_box(index: int, columns: int = COLUMNS) -> Box:
    """The image area of the tile at `index` (0-based, row by row); its caption is below."""
    row, column = divmod(index, columns)
    left = MARGIN + column * (THUMB + GAP)
    top = MARGIN + row * (THUMB + CAPTION_HEIGHT + GAP)
    return Box(left, top, left + THUMB, top + THUMB)


def thumbnail(data: bytes, size: int = THUMB) -> bytes:
    """Untrusted image bytes → a small JPEG at most `size` pixels a side (first frame, upright,
    transparency on the tile colour). Raises `ImageRejected` when the bytes are no usable image."""
    return _encode(_shrink(open_image(data), size))


def contact_sheet(tiles: Sequence[Tile], *, columns: int = COLUMNS) -> bytes:
    """The tiles as one PNG, in order, `columns` to a row."""
    if not tiles:
        raise ValueError("a contact sheet needs at least one tile")
    if len(tiles) > MAX_TILES:
        raise ValueError(f"at most {MAX_TILES} tiles, not {len(tiles)}")
    if columns < 1:
        raise ValueError("columns must be positive")
    sheet = Image.new("RGB", sheet_size(len(tiles), columns), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for index, tile in enumerate(tiles):
        box = tile_box(index, columns)
        sheet.paste(_tile_image(tile), (box.left, box.top), _rounded_mask())
        _draw_badge(draw, box, tile.number)
        _draw_caption(draw, box, tile.caption)
    buf = io.BytesIO()
    sheet.save(buf, "PNG", optimize=False)
    return buf.getvalue()


# -- one tile -------------------------------------------------------------------------------


def _tile_image(tile: Tile) -> Image.Image:
    if tile.image is not None:
        try:
            return _framed(_shrink(open_image(tile.image), THUMB))
        except ImageRejected as exc:
            log.info("tile %d: image refused (%s); showing a placeholder", tile.number, exc)
    return _placeholder(tile.status or NO_PREVIEW)


def _shrink(img: Image.Image, size: int) -> Image.Image:
    frame = ImageOps.exif_transpose(img) or img
    if frame.mode in ("RGBA", "LA", "PA", "P") or "transparency" in frame.info:
        rgba = frame.convert("RGBA")
        flat = Image.new("RGB", rgba.size, TILE_BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        frame = flat
    else:
        frame = frame.convert("RGB")
    frame.thumbnail((size, size), Image.Resampling.LANCZOS)
    return frame


def _encode(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=_THUMB_QUALITY)
    return buf.getvalue()


def _framed(img: Image.Image) -> Image.Image:
    """The thumbnail centred on a THUMB x THUMB tile (letterboxed, never stretched)."""
    tile = Image.new("RGB", (THUMB, THUMB), TILE_BACKGROUND)
    tile.paste(img, ((THUMB - img.width) // 2, (THUMB - img.height) // 2))
    return tile


def _placeholder(status: str) -> Image.Image:
    tile = Image.new("RGB", (THUMB, THUMB), TILE_BACKGROUND)
    draw = ImageDraw.Draw(tile)
    for offset in range(-THUMB, THUMB, 18):  # faint diagonal hatching: "no picture here"
        draw.line((offset, THUMB, offset + THUMB, 0), fill=HATCH, width=6)
    font = typeface(20)
    lines = _wrap(clean(status), font, THUMB - 32, max_lines=3)
    step = 26
    top = THUMB / 2 - (len(lines) - 1) * step / 2
    for number, line in enumerate(lines):
        draw.text((THUMB / 2, top + number * step), line, font=font, fill=TEXT, anchor="mm")
    return tile


@lru_cache(maxsize=1)
def _rounded_mask() -> Image.Image:
    mask = Image.new("L", (THUMB, THUMB), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, THUMB - 1, THUMB - 1), RADIUS, fill=255)
    return mask


def _draw_badge(draw: ImageDraw.ImageDraw, box: Box, number: int) -> None:
    text = str(number)
    font = typeface(18)
    width = max(BADGE_SIZE, int(font.getlength(text)) + 18)
    left, top = box.left + BADGE_INSET, box.top + BADGE_INSET
    shape = (left, top, left + width - 1, top + BADGE_SIZE - 1)
    draw.rounded_rectangle(shape, BADGE_SIZE // 2, fill=BADGE, outline=BACKGROUND, width=2)
    centre = (left + width / 2, top + BADGE_SIZE / 2)
    draw.text(centre, text, font=font, fill=BADGE_TEXT, anchor="mm")


def _draw_caption(draw: ImageDraw.ImageDraw, box: Box, caption: str) -> None:
    font = typeface(14)
    lines = _wrap(clean(caption), font, THUMB, max_lines=2)
    for number, line in enumerate(lines):
        y = box.bottom + 6 + number * 19
        draw.text((box.left, y), line, font=font, fill=TEXT, anchor="lt")


# -- text -----------------------------------------------------------------------------------


def _wrap(text: str, font: Font, width: float, *, max_lines: int) -> list[str]:
    """Greedy word wrap into at most `max_lines`, the last one ending in "…" if cut."""
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines - 1:
        line, rest = _take_line(rest, font, width)
        lines.append(line)
    if rest:
        lines.append(fit(rest, font, width))
    return lines


def _take_line(text: str, font: Font, width: float) -> tuple[str, str]:
    words = text.split(" ")
    line = ""
    for count, word in enumerate(words):
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) > width:
            if not line:  # one word wider than the line: cut it
                cut = len(word)
                while cut > 1 and font.getlength(word[:cut]) > width:
                    cut -= 1
                return word[:cut], " ".join([word[cut:], *words[count + 1 :]]).strip()
            return line, " ".join(words[count:])
        line = candidate
    return line, ""
