"""Read sizes and frame counts straight from image headers, before Pillow sees the file.

Pillow checks sizes too, but only after choosing a plugin, and it warns (not refuses) between
89 and 179 megapixels; reading the few header bytes ourselves refuses oversized images first
and keeps those warnings out of the logs.
"""

from __future__ import annotations

import struct

from bot.imaging.errors import ImageRejected

# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def declared_size(fmt: str, data: bytes) -> tuple[int, int] | None:
    """(width, height) the header claims, or None when it cannot be read here (Pillow will)."""
    try:
        if fmt == "png" and data[12:16] == b"IHDR":
            width, height = struct.unpack_from(">II", data, 16)
            return int(width), int(height)
        if fmt == "gif":
            width, height = struct.unpack_from("<HH", data, 6)
            return int(width), int(height)
        if fmt == "webp":
            return _webp_size(data)
        if fmt == "jpeg":
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":  # extended: 24-bit canvas size minus one
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and data[20:21] == b"\x2f":  # lossless: 14-bit sizes minus one
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":  # lossy key frame
        width, height = struct.unpack_from("<HH", data, 26)
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos, end = 2, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if marker in _JPEG_SOF:
            height, width = struct.unpack_from(">HH", data, pos + 5)
            return int(width), int(height)
        if marker == 0xDA:  # start of scan without a frame header: malformed
            return None
        pos += 2 + int(length)
    return None


def gif_frames(data: bytes, max_frames: int, max_dimension: int, max_pixels: int) -> int:
    """Count GIF image descriptors (up to max_frames + 1), refusing oversized frames.

    A frame may lie outside the logical screen, which makes Pillow enlarge the canvas, so each
    frame's extent is checked against the same limits as the header.
    """
    end = len(data)
    flags = data[10] if end > 10 else 0
    pos = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    frames = 0
    while pos < end:
        block = data[pos]
        if block == 0x3B:  # trailer
            break
        if block == 0x21:  # extension: label, then data sub-blocks
            pos = _skip_sub_blocks(data, pos + 2)
        elif block == 0x2C:  # image descriptor
            if pos + 10 > end:
                break
            left, top, width, height = struct.unpack_from("<HHHH", data, pos + 1)
            right, bottom = left + width, top + height
            if max(right, bottom) > max_dimension or right * bottom > max_pixels:
                raise ImageRejected("too_many_pixels", f"GIF frame reaches {right}x{bottom}")
            local = data[pos + 9]
            pos += 10 + (3 * (2 << (local & 7)) if local & 0x80 else 0) + 1  # +1: LZW code size
            pos = _skip_sub_blocks(data, pos)
            frames += 1
            if frames > max_frames:
                break
        else:
            break  # garbage after the frames: Pillow stops there too
    return max(frames, 1)


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    end = len(data)
    while pos < end:
        size = data[pos]
        pos += 1 + size
        if size == 0:
            break
    return pos
