"""Masks recovered from a copy of the image the user painted over, and mask-kind detection."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from bot.imaging import MaskRejected, detect_mask_kind, mask_from_painted_copy
from tests.imaging.helpers import encode, iou, is_binary_opaque_l, noisy_image, reload

SIZE = (1456, 816)
BOX = (300, 200, 900, 600)


@pytest.fixture(scope="module")
def original() -> Image.Image:
    return noisy_image(*SIZE, seed=7, noise=0.6)


def _painted(original: Image.Image, colour: tuple[int, int, int] = (255, 0, 255)) -> Image.Image:
    copy = original.copy()
    ImageDraw.Draw(copy).rectangle(BOX, fill=colour)
    return copy


def _truth() -> Image.Image:
    truth = Image.new("L", SIZE, 0)
    ImageDraw.Draw(truth).rectangle(BOX, fill=255)
    return truth


def test_recovers_a_painted_rectangle(original: Image.Image) -> None:
    mask = mask_from_painted_copy(original, _painted(original))
    assert mask.size == SIZE
    assert is_binary_opaque_l(mask)
    assert iou(mask, _truth()) > 0.97


@pytest.mark.parametrize("quality", [85, 60])
def test_tolerates_jpeg_recompression(original: Image.Image, quality: int) -> None:
    painted = reload(encode(_painted(original, (255, 40, 40)), "JPEG", quality=quality))
    assert iou(mask_from_painted_copy(original, painted), _truth()) > 0.95


def test_rescales_a_smaller_copy(original: Image.Image) -> None:
    painted = _painted(original).resize((728, 408), Image.Resampling.BILINEAR)
    painted = reload(encode(painted, "JPEG", quality=80))  # what a phone upload looks like
    mask = mask_from_painted_copy(original, painted)
    assert mask.size == SIZE
    assert iou(mask, _truth()) > 0.95


def test_brush_strokes_and_outlines_are_filled(original: Image.Image) -> None:
    strokes = original.copy()
    draw = ImageDraw.Draw(strokes)
    for y in range(BOX[1], BOX[3], 30):  # scribbles with small gaps between them
        draw.line([(BOX[0], y), (BOX[2], y + 10)], fill=(0, 255, 0), width=26)
    assert iou(mask_from_painted_copy(original, strokes), _truth()) > 0.9

    ring = original.copy()
    ImageDraw.Draw(ring).ellipse(BOX, outline=(255, 255, 0), width=24)
    disc = Image.new("L", SIZE, 0)
    ImageDraw.Draw(disc).ellipse(BOX, fill=255)
    assert iou(mask_from_painted_copy(original, ring), disc) > 0.95
    unfilled = mask_from_painted_copy(original, ring, fill_holes=False)
    assert iou(unfilled, disc) < 0.5


@pytest.mark.fault(30)
def test_refusals(original: Image.Image) -> None:
    with pytest.raises(MaskRejected) as info:
        mask_from_painted_copy(original, original.copy())
    assert info.value.reason_code == "empty"
    with pytest.raises(MaskRejected) as info:
        mask_from_painted_copy(original, Image.new("RGB", SIZE, (255, 0, 255)))
    assert info.value.reason_code == "full"
    with pytest.raises(MaskRejected) as info:
        mask_from_painted_copy(original, _painted(original).resize((1000, 1000)))
    assert info.value.reason_code == "wrong_aspect"


def test_detect_mask_kind(original: Image.Image) -> None:
    mask = _truth()
    assert detect_mask_kind(original, mask) == "mask"
    assert detect_mask_kind(original, mask.convert("RGB")) == "mask"
    assert detect_mask_kind(original, reload(encode(mask.convert("RGB"), "JPEG"))) == "mask"
    assert detect_mask_kind(original, _painted(original)) == "painted"
    assert detect_mask_kind(original, reload(encode(_painted(original), "JPEG"))) == "painted"
    layer = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    ImageDraw.Draw(layer).rectangle(BOX, fill=(255, 0, 255, 255))
    assert detect_mask_kind(original, layer) == "mask"


def test_detect_painted_copy_of_black_and_white_art() -> None:
    art = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(art)
    for x in range(0, SIZE[0], 60):
        draw.line([(x, 0), (x + 200, SIZE[1])], fill="black", width=4)
    painted = art.copy()
    ImageDraw.Draw(painted).rectangle(BOX, fill="black")  # painted in black: still B/W
    assert detect_mask_kind(art, painted) == "painted"
    assert iou(mask_from_painted_copy(art, painted), _truth()) > 0.9
