"""Masks from a "painted copy": the user drew over a copy of the image in a bright colour.

The region is where the copy differs strongly from the original. Both are compared at a small
working size: the downscale averages away JPEG noise and makes the clean-up filters cheap.
"""

from __future__ import annotations

import logging
import math
from typing import Literal

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from bot.imaging.errors import MaskRejected
from bot.imaging.masks import (
    MIN_COVERAGE,
    binarize,
    check_coverage,
    has_transparency,
    normalize_mask,
    resize_mask,
    same_aspect,
)
from bot.imaging.safe import DEFAULT_MAX_BYTES, open_image

log = logging.getLogger(__name__)

#: Longest side of the comparison; 1/4 of a 2048 px upscale, 4 px error at most on edges there.
WORK_SIDE = 512
#: Per-channel difference (0-255) that counts as paint; JPEG noise stays well below once averaged.
DIFF_THRESHOLD = 56
# Hole filling runs a flood fill (pure Python in Pillow) at this coarse size.
_COARSE_SIDE = 128

MaskKind = Literal["mask", "painted"]


def mask_from_painted_copy(
    original: Image.Image,
    painted: Image.Image,
    *,
    threshold: int = DIFF_THRESHOLD,
    fill_holes: bool = True,
    min_coverage: float = MIN_COVERAGE,
) -> Image.Image:
    """The binary mask (mode "L", original's size) of where `painted` was painted over.

    `painted` may have another pixel size with the same aspect ratio (it is rescaled). Specks
    (JPEG noise, 1-2 px edge misalignment) are dropped, brush strokes joined, and areas fully
    enclosed by paint are filled, so an outlined area counts as painted. Raises `MaskRejected`:
    "wrong_aspect", "empty" (no paint found) or "full" (everything differs: another image).
    """
    if not same_aspect(painted.size, original.size):
        raise MaskRejected("wrong_aspect", f"{painted.size} vs {original.size}")
    work = _scaled(original.size, WORK_SIDE)
    diff = ImageChops.difference(_prepare(original, work), _prepare(painted, work))
    red, green, blue = diff.split()
    strongest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    mask = binarize(strongest, threshold)
    # Median drops isolated specks; opening removes thin lines from slight misalignment of
    # edges; closing joins brush strokes and fills pinholes where the paint matched the image.
    mask = mask.filter(ImageFilter.MedianFilter(3))
    mask = mask.filter(ImageFilter.MinFilter(3)).filter(ImageFilter.MaxFilter(3))
    mask = mask.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.MinFilter(5))
    if fill_holes:
        mask = _fill_enclosed(mask)
    mask = resize_mask(mask, original.size)
    share = check_coverage(mask, min_coverage)
    log.debug("painted-copy mask covers %.1f%%", share * 100)
    return mask


def detect_mask_kind(original: Image.Image, upload: Image.Image) -> MaskKind:
    """Guess whether an upload is a mask or a painted copy of `original`.

    A mask is transparent somewhere (a stroke layer) or nearly all pure black/white; a
    black-and-white upload that still matches most of the original is a painted copy of a
    black-and-white picture. Misreading a mask of a dark picture as a painted copy is harmless:
    the difference is the white area either way.
    """
    if has_transparency(upload):
        return "mask"
    thumb = _prepare(upload, _scaled(upload.size, 96))
    red, green, blue = thumb.split()
    chroma = ImageChops.subtract(
        ImageChops.lighter(ImageChops.lighter(red, green), blue),
        ImageChops.darker(ImageChops.darker(red, green), blue),
    )
    grey = chroma.point([255 if v < 40 else 0 for v in range(256)])
    extreme = thumb.convert("L").point([255 if v < 48 or v > 207 else 0 for v in range(256)])
    black_or_white = _share_white(ImageChops.darker(grey, extreme))
    if black_or_white < 0.9:
        return "painted"
    if same_aspect(upload.size, original.size):
        reference = _prepare(original, thumb.size)
        diff = ImageChops.difference(thumb, reference).convert("L")
        matching = _share_white(diff.point([255 if v < 32 else 0 for v in range(256)]))
        if matching >= 0.6:
            return "painted"
    return "mask"


def mask_from_upload(
    original: Image.Image, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[Image.Image, MaskKind]:
    """The mask an uploaded file stands for: a mask (black and white, or alpha) or a painted
    copy of `original`. Raises `ImageRejected` for a file that is not a safe image, and
    `MaskRejected` for one that marks nothing, everything or has another aspect ratio."""
    upload = open_image(data, max_frames=1, max_bytes=max_bytes)
    kind = detect_mask_kind(original, upload)
    if kind == "painted":
        return mask_from_painted_copy(original, upload), kind
    return normalize_mask(upload, original.size), kind


def _scaled(size: tuple[int, int], side: int) -> tuple[int, int]:
    factor = min(1.0, side / max(size))
    return max(1, round(size[0] * factor)), max(1, round(size[1] * factor))


def _prepare(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    rgb = img.convert("RGB")
    # BOX averages every source pixel: the cheapest good denoiser for a downscale.
    return rgb if rgb.size == size else rgb.resize(size, Image.Resampling.BOX)


def _share_white(binary: Image.Image) -> float:
    return binary.histogram()[255] / (binary.width * binary.height)


def _fill_enclosed(mask: Image.Image) -> Image.Image:
    """Fill areas of black completely enclosed by white.

    The flood fill runs at a coarse size where a block counts as wall if any of it is white;
    the thin ring the coarse blocks miss is then filled by a constrained dilation at full size.
    """
    width, height = mask.size
    factor = max(1, math.ceil(max(width, height) / _COARSE_SIDE))
    walls = mask.reduce(factor) if factor > 1 else mask
    walls = walls.point([0] + [255] * 255)
    cw, ch = walls.size
    padded = Image.new("L", (cw + 2, ch + 2), 0)
    padded.paste(walls, (1, 1))  # a black frame connects all of the outside
    ImageDraw.floodfill(padded, (0, 0), 128)
    holes = padded.crop((1, 1, cw + 1, ch + 1)).point([255] + [0] * 255)
    if holes.getbbox() is None:
        return mask
    holes = holes.resize((cw * factor, ch * factor), Image.Resampling.NEAREST)
    holes = holes.crop((0, 0, width, height))
    open_area = ImageChops.invert(mask)
    for _ in range(factor):
        holes = ImageChops.darker(holes.filter(ImageFilter.MaxFilter(3)), open_area)
    return ImageChops.lighter(mask, holes)
