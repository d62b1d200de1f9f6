"""Typed refusals of the imaging package: one `reason_code` each, mapped to a sentence elsewhere."""

from __future__ import annotations

from bot.errors import BotError

#: Every code `ImageRejected` can carry.
IMAGE_REASONS = frozenset(
    {
        "empty",  # zero bytes
        "too_large_bytes",  # more bytes than allowed, or cannot be re-encoded under a limit
        "not_an_image",  # magic bytes match no image format
        "unsupported_format",  # an image, but not PNG, JPEG, WebP or GIF
        "too_many_pixels",  # a side or width x height over the budget (decompression bomb)
        "too_many_frames",  # animation longer than allowed
        "truncated",  # the file ends before its pixel data does
        "corrupt",  # the header or pixel data is malformed
    }
)

#: Every code `MaskRejected` can carry.
MASK_REASONS = frozenset(
    {
        "not_an_image",  # not decodable, not a PNG data URL, or refused by safe decoding
        "wrong_aspect",  # aspect ratio differs from the image's by more than 1 %
        "empty",  # (almost) nothing marked for regeneration
        "full",  # (almost) everything marked for regeneration
    }
)


class ImageRejected(BotError):
    """An untrusted image was refused before or while decoding it."""

    key = "image_rejected"

    def __init__(self, reason_code: str, detail: str = "") -> None:
        if reason_code not in IMAGE_REASONS:
            raise ValueError(f"unknown image reason code {reason_code!r}")
        self.reason_code = reason_code
        self.detail = detail
        super().__init__(f"{reason_code}: {detail}" if detail else reason_code)


class MaskRejected(BotError):
    """A Vary (Region) mask cannot be used; `reason_code` says why."""

    key = "mask_rejected"

    def __init__(self, reason_code: str, detail: str = "") -> None:
        if reason_code not in MASK_REASONS:
            raise ValueError(f"unknown mask reason code {reason_code!r}")
        self.reason_code = reason_code
        self.detail = detail
        super().__init__(f"{reason_code}: {detail}" if detail else reason_code)
