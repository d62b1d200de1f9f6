"""Make an image fit an attachment limit so the Discord upload succeeds first time (faults.md #20).

Order of attempts: the original as is; lossy re-encodes (the preferred format at falling
qualities, then the other one); then downscales. Animations are re-encoded as animated WebP when
that fits, otherwise the first frame is used.
"""

from __future__ import annotations

import base64
import io
import logging
import math
from typing import Literal

from PIL import Image, ImageOps

from bot.imaging.errors import ImageRejected
from bot.imaging.safe import ALLOWED_FORMATS, EXTENSIONS, MIME_TYPES, open_image, sniff_format

log = logging.getLogger(__name__)

LossyFormat = Literal["webp", "jpeg"]

_QUALITIES = (88, 78, 66, 54)
# Budget for animated re-encodes (width x height x frames): beyond it the encode takes seconds.
_ANIMATION_PIXEL_BUDGET = 60_000_000
_MIN_SIDE = 16


def fit_to_limit(
    data: bytes, limit_bytes: int, *, prefer: LossyFormat = "webp"
) -> tuple[bytes, str, str]:
    """Return (bytes, extension, content type) no larger than `limit_bytes`.

    The original comes back untouched when it already fits. Raises `ImageRejected` when the input
    is not a decodable image, or "too_large_bytes" if even a tiny thumbnail does not fit.
    """
    if limit_bytes <= 0:
        raise ValueError("limit_bytes must be positive")
    fmt = sniff_format(data)
    if fmt in ALLOWED_FORMATS and len(data) <= limit_bytes:
        assert fmt is not None
        return data, EXTENSIONS[fmt], MIME_TYPES[fmt]

    # Our own download, already in memory: the byte cap is moot, the pixel caps still apply.
    img = open_image(data, max_bytes=max(len(data), 1))
    img_format = fmt or "?"
    order: tuple[LossyFormat, LossyFormat] = (
        ("webp", "jpeg") if prefer == "webp" else ("jpeg", "webp")
    )

    frames = int(getattr(img, "n_frames", 1))
    if frames > 1 and img.width * img.height * frames <= _ANIMATION_PIXEL_BUDGET:
        animated = _fit_animation(img, limit_bytes)
        if animated is not None:
            log.info("re-encoded %d-frame %s animation as WebP", frames, img_format)
            return animated, "webp", "image/webp"
        img.seek(0)

    still = _flatten(img)
    smallest = _fit_still(still, limit_bytes, order)
    log.info(
        "re-encoded %s of %d bytes to %s of %d bytes (limit %d)",
        img_format,
        len(data),
        smallest[1],
        len(smallest[0]),
        limit_bytes,
    )
    return smallest


def to_data_url(data: bytes, mime: str) -> str:
    """`data:<mime>;base64,<payload>`, as CometAPI's base64 fields expect."""
    if not mime or any(c in mime for c in ";, \t\r\n"):
        raise ValueError(f"bad content type {mime!r}")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _flatten(img: Image.Image) -> Image.Image:
    """First frame, upright (EXIF orientation applied: we drop the metadata), in RGB or RGBA."""
    frame = ImageOps.exif_transpose(img) or img
    has_alpha = frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info
    return frame.convert("RGBA" if has_alpha else "RGB")


def _fit_still(
    img: Image.Image, limit: int, order: tuple[LossyFormat, LossyFormat]
) -> tuple[bytes, str, str]:
    scale = 1.0
    current = img
    while True:
        smallest = b""
        for fmt in order:
            for quality in _QUALITIES:
                out = _encode(current, fmt, quality)
                if len(out) <= limit:
                    return out, EXTENSIONS[fmt], MIME_TYPES[fmt]
                if not smallest or len(out) < len(smallest):
                    smallest = out
                if len(out) > 3 * limit:
                    break  # lower qualities will not close a gap this wide: try the next step
        # Bytes grow roughly with the pixel count: aim a little under the limit.
        scale *= max(0.1, min(0.85, math.sqrt(limit / len(smallest)) * 0.9))
        size = (round(img.width * scale), round(img.height * scale))
        if min(size) < _MIN_SIDE:
            raise ImageRejected("too_large_bytes", f"cannot fit {img.size} under {limit} bytes")
        current = img.resize(size, Image.Resampling.LANCZOS)


def _encode(img: Image.Image, fmt: LossyFormat, quality: int) -> bytes:
    buf = io.BytesIO()
    if fmt == "webp":
        img.save(buf, "WEBP", quality=quality, method=4)
    else:
        if img.mode == "RGBA":
            # JPEG has no alpha: composite on white, which is how viewers show transparency.
            background = Image.new("RGB", img.size, (255, 255, 255))
            background.paste(img, mask=img.getchannel("A"))
            img = background
        img.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
    return buf.getvalue()


def _fit_animation(img: Image.Image, limit: int) -> bytes | None:
    for quality in (75, 50):
        buf = io.BytesIO()
        try:
            img.seek(0)
            img.save(buf, "WEBP", save_all=True, quality=quality, method=2)
        except (OSError, ValueError, EOFError) as exc:
            log.warning("animated re-encode failed, using the first frame: %s", exc)
            return None
        if buf.tell() <= limit:
            return buf.getvalue()
    return None


# --- whole results: an image to fit, a video to attach as is, or nothing usable ----------

VIDEO_TYPES = {"mp4": "video/mp4", "webm": "video/webm", "mov": "video/quicktime"}


def sniff_video(data: bytes) -> str | None:
    """The extension of a video container by its magic bytes (None: not a video)."""
    head = data[:32]
    if head[4:8] == b"ftyp":
        return "mov" if head[8:10] == b"qt" else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    return None


def fit_result(data: bytes, limit_bytes: int) -> tuple[bytes, str] | None:
    """A job's result ready to attach: (bytes, extension), or None when it is a video larger
    than the limit (no re-encoding here: the caller links it). Raises ImageRejected when the
    data is neither an image nor a video ("not_an_image"), or an image that cannot fit."""
    video = sniff_video(data)
    if video is not None:
        return (data, video) if len(data) <= limit_bytes else None
    if sniff_format(data) is None:
        raise ImageRejected("not_an_image", "the result is neither an image nor a video")
    body, ext, _ = fit_to_limit(data, limit_bytes)
    return body, ext
