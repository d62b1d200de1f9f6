"""Safe decoding of untrusted images (faults.md #28).

The format comes from the magic bytes only, never from a file name or a declared content type.
Sizes and frame counts are checked from the header before any pixel buffer is allocated, so a
small file claiming a huge canvas costs nothing, and a truncated file is refused cleanly.
"""

from __future__ import annotations

import io
import logging
import struct

from PIL import Image, UnidentifiedImageError

from bot.imaging.errors import ImageRejected
from bot.imaging.headers import declared_size, gif_frames

log = logging.getLogger(__name__)

#: Formats the bot accepts, by the name `sniff_format` returns.
ALLOWED_FORMATS = frozenset({"png", "jpeg", "webp", "gif"})
EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp", "gif": "gif"}
MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
_PIL_NAMES = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

# Errors Pillow's plugins raise on malformed input; anything else is a bug and propagates.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)


def sniff_format(data: bytes) -> str | None:
    """Name the image format from the magic bytes: "png", "jpeg", "webp", "gif" are accepted;
    other image formats are named so they can be refused as unsupported; None = not an image."""
    head = data[:32]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"hevc", b"mif1", b"msf1"):
            return "heic"
        return None  # MP4/MOV and friends
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith(b"\x00\x00\x01\x00"):
        return "ico"
    if head.startswith(b"8BPS"):
        return "psd"
    if head.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")):
        return "jxl"
    if head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n"):
        return "jpeg2000"
    text = head.lstrip().lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in data[:1024].lower()):
        return "svg"
    return None


def open_image(
    data: bytes,
    *,
    max_pixels: int = 40_000_000,
    max_dimension: int = 10_000,
    max_frames: int = 200,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Image.Image:
    """Decode untrusted bytes into a loaded image (first frame; later frames stay seekable).

    Raises `ImageRejected` with a code from `errors.IMAGE_REASONS`; never another exception
    for bad input.
    """
    if not data:
        raise ImageRejected("empty")
    if len(data) > max_bytes:
        raise ImageRejected("too_large_bytes", f"{len(data)} > {max_bytes} bytes")
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageRejected("not_an_image")
    if fmt not in ALLOWED_FORMATS:
        raise ImageRejected("unsupported_format", fmt)

    declared = declared_size(fmt, data)
    if declared is not None:
        _check_size(declared, max_dimension, max_pixels, allow_empty=True)
    if fmt == "gif":
        # Pillow's n_frames decodes-and-walks every frame; count ourselves, stopping as soon as
        # the limit is passed.
        frames = gif_frames(data, max_frames, max_dimension, max_pixels)
        if frames > max_frames:
            raise ImageRejected("too_many_frames", f"more than {max_frames}")

    try:
        # Lazy: reads the header only; `formats` stops Pillow from guessing another plugin.
        img = Image.open(io.BytesIO(data), formats=[_PIL_NAMES[fmt]])
    except Image.DecompressionBombError as exc:
        raise ImageRejected("too_many_pixels", str(exc)) from exc
    except (UnidentifiedImageError, *_DECODE_ERRORS) as exc:
        code = "truncated" if _looks_truncated(fmt, data) else "corrupt"
        raise ImageRejected(code, f"{fmt} header: {exc}") from exc
    _check_size(img.size, max_dimension, max_pixels)  # what Pillow will actually allocate
    if fmt != "gif":
        frames = int(getattr(img, "n_frames", 1))  # WebP/APNG: from the header
        if frames > max_frames:
            raise ImageRejected("too_many_frames", f"{frames} > {max_frames}")

    try:
        img.load()
    except Image.DecompressionBombError as exc:
        raise ImageRejected("too_many_pixels", str(exc)) from exc
    except _DECODE_ERRORS as exc:
        text = str(exc).lower()
        truncated = isinstance(exc, EOFError) or "truncat" in text or _looks_truncated(fmt, data)
        raise ImageRejected("truncated" if truncated else "corrupt", str(exc)) from exc
    log.debug("decoded %s %s mode=%s frames=%d", fmt, img.size, img.mode, frames)
    return img


def _check_size(
    size: tuple[int, int], max_dimension: int, max_pixels: int, *, allow_empty: bool = False
) -> None:
    width, height = size
    if (width < 1 or height < 1) and not allow_empty:  # a GIF's screen may be 0x0
        raise ImageRejected("corrupt", f"size {width}x{height}")
    # One code for both: to a user, "its dimensions are too large" says it either way.
    if max(width, height) > max_dimension or width * height > max_pixels:
        raise ImageRejected("too_many_pixels", f"{width}x{height}")


def _looks_truncated(fmt: str, data: bytes) -> bool:
    """Whether the file visibly ends early: a short RIFF body or a missing end marker."""
    if fmt == "webp":
        return len(data) < 12 or len(data) < 8 + struct.unpack_from("<I", data, 4)[0]
    tail = data[-16:]
    if fmt == "png":
        return b"IEND" not in tail
    if fmt == "gif":
        return not tail.rstrip(b"\x00").endswith(b"\x3b")
    return b"\xff\xd9" not in tail  # JPEG (end of image marker; trailing bytes are common)
