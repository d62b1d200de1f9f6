"""Vary (Region) masks, mj-protocol.md §6: an opaque, pure black-and-white PNG the size of the
upscaled image; white = regenerate, black = keep. Every mask leaving this module is mode "L"
with only the values 0 and 255.

How an uploaded mask is read (`normalize_mask`):
- with real transparency (some alpha < 255): the alpha channel is the mask, so painted/opaque
  pixels mean regenerate and transparent ones keep (a stroke layer exported from an editor);
- otherwise: luminance thresholded at 50 %, so anti-aliased or JPEG-damaged masks still work.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging

from PIL import Image

from bot.imaging.errors import ImageRejected, MaskRejected
from bot.imaging.grid import Grid, Selection
from bot.imaging.safe import open_image

log = logging.getLogger(__name__)

DATA_URL_PREFIX = "data:image/png;base64,"
#: A mask covering less than this share is "empty", more than 1 - this is "full": a sliver of a
#: few hundred pixels is a stray click, not a region Midjourney can redraw.
MIN_COVERAGE = 0.001
#: Aspect ratios within this relative difference are "the same" (rounding of upscaled sizes).
ASPECT_TOLERANCE = 0.01
# A base64 PNG mask of a 10000 px image is far below this; bigger strings are refused unread.
_MAX_DATA_URL_CHARS = 30 * 1024 * 1024

_THRESHOLD_LUT = [0] * 128 + [255] * 128


def binarize(img: Image.Image, threshold: int = 128) -> Image.Image:
    """Mode "L" with 0/255 only: values >= threshold become white."""
    lut = _THRESHOLD_LUT if threshold == 128 else [255 if v >= threshold else 0 for v in range(256)]
    return img.convert("L").point(lut)


def coverage(mask: Image.Image) -> float:
    """Share of the mask marked for regeneration (pixels >= 128), 0.0 .. 1.0."""
    hist = mask.convert("L").histogram()
    total = mask.width * mask.height
    return sum(hist[128:]) / total if total else 0.0


def check_coverage(mask: Image.Image, min_coverage: float = MIN_COVERAGE) -> float:
    """Raise "empty"/"full" for a mask that changes nothing or everything; return the share."""
    share = coverage(mask)
    if share < min_coverage:
        raise MaskRejected("empty", f"{share:.4%} marked")
    if share > 1.0 - min_coverage:
        raise MaskRejected("full", f"{share:.4%} marked")
    return share


def same_aspect(size_a: tuple[int, int], size_b: tuple[int, int]) -> bool:
    ratio_a = size_a[0] / size_a[1]
    ratio_b = size_b[0] / size_b[1]
    return abs(ratio_a - ratio_b) <= ASPECT_TOLERANCE * ratio_b


def resize_mask(mask: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Rescale a binary mask and re-threshold: smooth edges, still exactly 0/255."""
    if mask.size == size:
        return mask
    return binarize(mask.resize(size, Image.Resampling.BILINEAR))


def mask_from_selection(selection: Selection, width: int, height: int) -> Image.Image:
    """The mask of the selected grid cells at the given pixel size (the upscaled image's)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"bad mask size {width}x{height}")
    mask = Image.new("L", (width, height), 0)
    grid: Grid = selection.grid
    for cell in selection.cells:
        mask.paste(255, grid.cell_box(cell, width, height))
    return mask


def normalize_mask(
    upload: Image.Image | bytes,
    target_size: tuple[int, int],
    *,
    min_coverage: float = MIN_COVERAGE,
) -> Image.Image:
    """Turn an uploaded mask into a valid one of `target_size`, or raise `MaskRejected`.

    Bytes go through safe decoding first. The mask is rescaled when its aspect ratio matches
    the target's within 1 %; another aspect ratio, an empty or a full mask is refused.
    """
    img = _decode(upload) if isinstance(upload, bytes) else upload
    if not same_aspect(img.size, target_size):
        raise MaskRejected("wrong_aspect", f"{img.width}x{img.height} vs {target_size}")
    mask = resize_mask(binarize(_mask_channel(img)), target_size)
    check_coverage(mask, min_coverage)
    return mask


def has_transparency(img: Image.Image) -> bool:
    """Whether any pixel is less than fully opaque."""
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = img.getchannel("A")
    elif "transparency" in img.info:
        alpha = img.convert("RGBA").getchannel("A")
    else:
        return False
    return alpha.histogram()[255] < alpha.width * alpha.height


def _mask_channel(img: Image.Image) -> Image.Image:
    if has_transparency(img):
        return img.convert("RGBA").getchannel("A")
    return img.convert("L")


def encode_mask(mask: Image.Image) -> str:
    """`data:image/png;base64,…` of a mode "L" (0/255 only) or "1" mask, ready for maskBase64.

    Refuses (ValueError) any other mode or grey values: they would be a bug here, since masks
    come from this module; refuses (MaskRejected) an empty or full mask as the last gate before
    a paid submit.
    """
    if mask.mode == "1":
        mask = mask.convert("L")
    if mask.mode != "L":
        raise ValueError(f"mask mode must be L or 1, not {mask.mode}")
    hist = mask.histogram()
    if hist[0] + hist[255] != mask.width * mask.height:
        raise ValueError("mask has grey values; binarize it first")
    check_coverage(mask, min_coverage=1e-12)
    buf = io.BytesIO()
    # Level 3: a third faster than the default on 2048 px masks, and a few KB bigger at most.
    mask.save(buf, "PNG", compress_level=3)
    return DATA_URL_PREFIX + base64.b64encode(buf.getvalue()).decode("ascii")


def decode_mask_data_url(
    text: str,
    target_size: tuple[int, int] | None = None,
    *,
    min_coverage: float = MIN_COVERAGE,
) -> Image.Image:
    """Parse a PNG data URL (from the web editor or storage) into a valid binary mask.

    The PNG is read like an upload (`normalize_mask`), so a canvas export with anti-aliasing or
    transparency works; `target_size` defaults to the PNG's own size.
    """
    if len(text) > _MAX_DATA_URL_CHARS:
        raise MaskRejected("not_an_image", "data URL too long")
    if not text.startswith(DATA_URL_PREFIX):
        raise MaskRejected("not_an_image", "not a data:image/png;base64 URL")
    try:
        data = base64.b64decode(text[len(DATA_URL_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MaskRejected("not_an_image", f"bad base64: {exc}") from exc
    img = _decode(data)
    if img.format != "PNG":
        raise MaskRejected("not_an_image", f"{img.format} inside a PNG data URL")
    return normalize_mask(img, target_size or img.size, min_coverage=min_coverage)


def _decode(data: bytes) -> Image.Image:
    try:
        return open_image(data, max_frames=1)
    except ImageRejected as exc:
        raise MaskRejected("not_an_image", exc.reason_code) from exc
