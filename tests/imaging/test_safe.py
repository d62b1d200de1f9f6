"""Hostile images (faults.md #28): refused at or before decode, with bounded time and memory."""

from __future__ import annotations

import random
import resource
import struct
import time
import warnings
import zlib

import pytest
from PIL import Image

from bot.imaging import IMAGE_REASONS, ImageRejected, open_image, sniff_format
from bot.imaging.headers import declared_size
from tests.imaging.helpers import encode, noisy_image


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_claiming(width: int, height: int, idat: bytes, colour_type: int = 2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)  # 2: RGB, 0: grey
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def _reason(data: bytes, **limits: int) -> str:
    with pytest.raises(ImageRejected) as info:
        open_image(data, **limits)
    assert info.value.reason_code in IMAGE_REASONS
    return info.value.reason_code


def _gif(frames: int, width: int = 1, height: int = 1, screen: tuple[int, int] = (1, 1)) -> bytes:
    """A GIF of `frames` one-pixel frames (4 bytes of LZW each), built by hand in microseconds."""
    head = b"GIF89a" + struct.pack("<HHBBB", *screen, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = (
        b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control: 100 ms
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, width, height, 0)
        + b"\x02\x02\x44\x01\x00"  # min code size 2; clear, index 0, end-of-information
    )
    return head + frame * frames + b"\x3b"


def test_sniff_by_magic_bytes() -> None:
    img = noisy_image(8, 8)
    assert sniff_format(encode(img, "PNG")) == "png"
    assert sniff_format(encode(img, "JPEG")) == "jpeg"
    assert sniff_format(encode(img, "WEBP")) == "webp"
    assert sniff_format(encode(img, "GIF")) == "gif"
    assert sniff_format(encode(img, "BMP")) == "bmp"
    assert sniff_format(encode(img, "TIFF")) == "tiff"
    assert sniff_format(b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>") == "svg"
    assert sniff_format(b"<!doctype html><html>") is None
    assert sniff_format(b"") is None


def test_valid_images_decode() -> None:
    img = noisy_image(64, 48)
    for fmt in ("PNG", "JPEG", "WEBP", "GIF"):
        out = open_image(encode(img, fmt))
        assert out.size == (64, 48)
        assert out.format == fmt


@pytest.mark.fault(28)
def test_lying_name_or_content_type_is_irrelevant() -> None:
    # Bytes are all open_image sees: JPEG data "named" photo.png decodes as the JPEG it is.
    jpeg = encode(noisy_image(32, 32), "JPEG")
    assert open_image(jpeg).format == "JPEG"
    # An HTML error page served as image/png is not an image.
    assert _reason(b"<html><body>502 Bad Gateway</body></html>") == "not_an_image"
    assert _reason(encode(noisy_image(8, 8), "BMP")) == "unsupported_format"
    assert _reason(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>") == "unsupported_format"


@pytest.mark.fault(28)
def test_empty_and_non_image_bytes() -> None:
    assert _reason(b"") == "empty"
    assert _reason(b"\x00" * 1000) == "not_an_image"
    assert _reason(b"PK\x03\x04 a zip file") == "not_an_image"


@pytest.mark.fault(28)
def test_byte_limit_before_anything_else() -> None:
    assert _reason(encode(noisy_image(64, 64), "PNG"), max_bytes=100) == "too_large_bytes"


@pytest.mark.fault(28)
def test_small_png_claiming_10000x10000_is_refused_without_allocating() -> None:
    pixels = random.Random(0).randbytes(12_000)  # incompressible, so the file really is 12 KB
    data = _png_claiming(10_000, 10_000, zlib.compress(pixels))
    assert 11_000 < len(data) < 13_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    assert _reason(data) == "too_many_pixels"
    assert time.perf_counter() - start < 0.1
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 50_000  # decoding would need 300 MB


@pytest.mark.fault(28)
def test_oversized_side_within_the_pixel_budget() -> None:
    data = _png_claiming(12_000, 10, zlib.compress(b"\x00" * 100))
    assert _reason(data) == "too_many_pixels"


@pytest.mark.fault(28)
def test_decompression_bomb_is_refused_before_inflating() -> None:
    # A real, valid 9000x9000 all-black greyscale PNG: ~80 KB on disk, 81 MB once decoded.
    rows = zlib.compressobj(9)
    body = b"".join(rows.compress(b"\x00" * (1 + 9000) * 1000) for _ in range(9))
    data = _png_claiming(9000, 9000, body + rows.flush(), colour_type=0)
    assert len(data) < 1_000_000
    assert _reason(data) == "too_many_pixels"
    assert _reason(data, max_pixels=1_000_000, max_dimension=20_000) == "too_many_pixels"


@pytest.mark.fault(28)
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_files_are_refused_cleanly(fmt: str, keep: float) -> None:
    data = encode(noisy_image(200, 150), fmt)
    assert _reason(data[: int(len(data) * keep)]) == "truncated"


@pytest.mark.fault(28)
def test_header_only_fragment() -> None:
    data = encode(noisy_image(50, 50), "PNG")
    assert _reason(data[:20]) == "truncated"


@pytest.mark.fault(28)
def test_gif_with_5000_frames() -> None:
    data = _gif(5000)
    assert len(data) < 150_000
    start = time.perf_counter()
    assert _reason(data) == "too_many_frames"
    assert time.perf_counter() - start < 0.5
    # The same construction with few frames is a valid animation Pillow can play.
    small = open_image(_gif(3))
    assert getattr(small, "n_frames", 1) == 3


@pytest.mark.fault(28)
def test_gif_frame_outside_its_screen_is_refused() -> None:
    # Pillow would grow a 1x1 canvas to the frame's 10000x9000.
    assert _reason(_gif(1, width=10_000, height=9_000)) == "too_many_pixels"


@pytest.mark.fault(28)
def test_animated_webp_frame_limit() -> None:
    frames = [noisy_image(16, 16, seed=i) for i in range(5)]
    buf = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:])
    assert getattr(open_image(buf), "n_frames", 1) == 5
    assert _reason(buf, max_frames=3) == "too_many_frames"


@pytest.mark.fault(28)
def test_corrupt_pixel_data() -> None:
    data = bytearray(encode(noisy_image(100, 100), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 40 : idat + 400] = b"\xff" * 360  # garbage inside the zlib stream, CRC now wrong
    assert _reason(bytes(data)) in {"corrupt", "truncated"}


def test_reason_codes_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown"):
        ImageRejected("typo")
    assert Image.MAX_IMAGE_PIXELS is not None  # we never switch Pillow's own guard off


@pytest.mark.parametrize(
    ("fmt", "params", "mode"),
    [
        ("PNG", {}, "RGB"),
        ("JPEG", {"progressive": True}, "RGB"),
        ("GIF", {}, "RGB"),
        ("WEBP", {"lossless": False}, "RGB"),
        ("WEBP", {"lossless": True}, "RGB"),
        ("WEBP", {}, "RGBA"),  # alpha: extended (VP8X) header
    ],
)
def test_header_sizes_match_pillow(fmt: str, params: dict[str, object], mode: str) -> None:
    data = encode(noisy_image(123, 45).convert(mode), fmt, **params)
    assert declared_size(sniff_format(data) or "", data) == (123, 45)


@pytest.mark.fault(28)
def test_jpeg_claiming_huge_size_is_refused_from_its_header() -> None:
    data = bytearray(encode(noisy_image(40, 30), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60_000, 60_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused before Pillow even warns
        assert _reason(bytes(data)) == "too_many_pixels"
        assert _reason(_gif(1, width=10_000, height=9_000)) == "too_many_pixels"
