"""The /history contact sheet: a PNG of numbered tiles, each where `tile_box` says, with
placeholders for jobs without a (decodable) image."""

from __future__ import annotations

import struct
import zlib

import pytest
from PIL import Image

from bot.imaging.contact import (
    BACKGROUND,
    BADGE,
    BADGE_INSET,
    HATCH,
    MAX_TILES,
    THUMB,
    TILE_BACKGROUND,
    Tile,
    contact_sheet,
    sheet_size,
    thumbnail,
    tile_box,
)
from bot.imaging.errors import ImageRejected
from tests.imaging.helpers import encode, reload

RED = (220, 40, 30)
BLUE = (30, 60, 220)


def solid(size: tuple[int, int], colour: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    return encode(Image.new("RGB", size, colour), fmt)


def near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def centre_of(sheet: Image.Image, index: int) -> tuple[int, ...]:
    box = tile_box(index)
    return tuple(sheet.getpixel(((box.left + box.right) // 2, (box.top + box.bottom) // 2)))


def placeholder_like(sheet: Image.Image, index: int) -> bool:
    """The lower part of a placeholder tile is only its hatching (text sits in the middle)."""
    box = tile_box(index)
    region = sheet.crop((box.left + 12, box.bottom - 50, box.right - 12, box.bottom - 12))
    colours = {c for _, c in region.getcolors(maxcolors=THUMB * THUMB) or []}
    allowed = {TILE_BACKGROUND, HATCH}
    return bool(colours) and all(any(near(c, a, 3) for a in allowed) for c in colours)


def test_nine_tiles_make_a_3x3_png_with_each_image_where_tile_box_says() -> None:
    tiles = [
        Tile(n, solid((300, 300), RED if n % 2 else BLUE), f"Imagine · job {n}")
        for n in range(1, 10)
    ]
    data = contact_sheet(tiles)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    sheet = reload(data)
    assert sheet.size == sheet_size(9)
    assert sheet_size(9)[0] > 3 * THUMB and sheet_size(9)[1] > 3 * THUMB
    for index in range(9):
        assert near(centre_of(sheet, index), RED if index % 2 == 0 else BLUE)
    # Dark background between and around the tiles.
    assert sheet.getpixel((2, 2)) == BACKGROUND
    gap_x = (tile_box(0).right + tile_box(1).left) // 2
    assert sheet.getpixel((gap_x, tile_box(0).top + 100)) == BACKGROUND
    # Rows flow left to right, then down.
    assert tile_box(3).left == tile_box(0).left and tile_box(3).top > tile_box(0).bottom


def test_every_tile_wears_its_number_badge() -> None:
    sheet = reload(contact_sheet([Tile(n, solid((64, 64), RED), "x") for n in range(1, 4)]))
    for index in range(3):
        box = tile_box(index)
        # Just inside the badge's rounded edge, left of the digit: the badge colour.
        assert near(sheet.getpixel((box.left + BADGE_INSET + 6, box.top + BADGE_INSET + 17)), BADGE)


def test_missing_and_undecodable_images_become_placeholders() -> None:
    tiles = [
        Tile(1, None, "Imagine · a castle", "Failed"),
        Tile(2, b"<html>not an image</html>", "U2 · a fox", ""),
        Tile(3, solid((100, 100), RED)[:-30], "truncated"),
        Tile(4, solid((300, 300), RED), "fine"),
    ]
    sheet = reload(contact_sheet(tiles))
    assert sheet.size == sheet_size(4)  # two rows of three
    assert [placeholder_like(sheet, i) for i in range(4)] == [True, True, True, False]
    assert near(centre_of(sheet, 3), RED)
    # The placeholder says something: its middle is not only hatching.
    box = tile_box(0)
    middle = sheet.crop((box.left + 40, box.top + 100, box.right - 40, box.bottom - 100))
    assert max(max(c[1][:3]) for c in middle.getcolors(maxcolors=THUMB * THUMB) or []) > 150


def test_wide_and_tall_images_are_letterboxed_not_stretched() -> None:
    sheet = reload(
        contact_sheet(
            [Tile(1, solid((800, 200), RED), "wide"), Tile(2, solid((200, 800), BLUE), "tall")]
        )
    )
    wide, tall = tile_box(0), tile_box(1)
    assert near(centre_of(sheet, 0), RED)
    assert near(sheet.getpixel((wide.left + THUMB // 2, wide.top + 20)), TILE_BACKGROUND)
    assert near(sheet.getpixel((tall.left + THUMB // 2, tall.top + 20)), BLUE)
    assert near(sheet.getpixel((tall.left + 20, tall.top + THUMB // 2)), TILE_BACKGROUND)


def test_captions_with_newlines_controls_and_endless_words_stay_under_their_tile() -> None:
    words = "Supercalifragilistic" * 20
    tiles = [
        Tile(1, None, "Imagine · a\nprompt\x00with\tcontrols " + "very " * 60, "Running 40%"),
        Tile(2, None, words, "Queued"),
        Tile(99, None, "", "Timed out"),
    ]
    sheet = reload(contact_sheet(tiles))
    right_edge = sheet.crop((sheet.width - 18, 0, sheet.width, sheet.height))
    assert {c for _, c in right_edge.getcolors() or []} == {BACKGROUND}  # nothing overflows
    below = tile_box(0).bottom
    caption_band = sheet.crop((tile_box(0).left, below, tile_box(0).right, below + 44))
    assert len(caption_band.getcolors(maxcolors=100_000) or []) > 2  # text was drawn


def test_transparent_and_animated_images_are_flattened() -> None:
    rgba = Image.new("RGBA", (120, 120), (0, 0, 0, 0))
    rgba.paste((255, 0, 0, 255), (30, 30, 90, 90))
    frames = [Image.new("RGB", (80, 80), c) for c in (BLUE, RED)]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    sheet = reload(contact_sheet([Tile(1, encode(rgba, "PNG"), "a"), Tile(2, gif, "b")]))
    box = tile_box(0)
    assert near(centre_of(sheet, 0), (255, 0, 0))
    assert near(sheet.getpixel((box.left + 50, box.bottom - 30)), TILE_BACKGROUND)
    assert near(centre_of(sheet, 1), BLUE, tolerance=12)  # the first frame


def test_thumbnail_is_a_small_jpeg_and_refuses_what_is_not_an_image() -> None:
    small = reload(thumbnail(solid((2048, 1024), RED)))
    assert small.format == "JPEG" and small.size == (THUMB, THUMB // 2)
    assert reload(thumbnail(solid((100, 50), RED), size=64)).size == (64, 32)
    with pytest.raises(ImageRejected):
        thumbnail(b"<html></html>")
    # A tiny file claiming a huge canvas is refused before any pixel is allocated.
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    bomb = (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )
    with pytest.raises(ImageRejected):
        thumbnail(bomb)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least one"):
        contact_sheet([])
    with pytest.raises(ValueError, match="at most"):
        contact_sheet([Tile(n, None, "", "Failed") for n in range(MAX_TILES + 1)])
    with pytest.raises(ValueError, match="columns"):
        contact_sheet([Tile(1, None, "", "")], columns=0)
