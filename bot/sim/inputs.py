"""Images that arrive in requests: reference images, blend sources, masks. Decoded defensively
(size checked before pixels are loaded) and never fetched from the network."""

from __future__ import annotations

import base64
import binascii
import io
import re

from PIL import Image, ImageChops

from bot.sim import render

MAX_INPUT_BYTES = 10 * 1024 * 1024
MAX_INPUT_PIXELS = 4096 * 4096
KEEP_SIDE = 1024  # inputs are only drawn from, so they are kept small
MASK_PREFIX = "data:image/png;base64,"
_DATA_URL = re.compile(r"data:([\w/+.-]+);base64,(.*)", re.DOTALL)


class InputError(ValueError):
    """A request's image is unusable; the message is the envelope's description."""


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _b64(data: str, what: str) -> bytes:
    if len(data) > MAX_INPUT_BYTES * 4 // 3 + 4:
        raise InputError(f"{what}: image too large")
    try:
        return base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"{what}: invalid base64") from None


def _open(raw: bytes, what: str) -> Image.Image:
    try:
        img = Image.open(io.BytesIO(raw))
        if img.width * img.height > MAX_INPUT_PIXELS:
            raise InputError(f"{what}: image too large ({img.width}x{img.height})")
        img.load()
    except InputError:
        raise
    except Exception:
        raise InputError(f"{what}: not a decodable image") from None
    return img


def decode_image(value: object, what: str, seed: int) -> bytes:
    """A data URL, raw base64 or http(s) URL -> normalised PNG bytes (URLs become a
    placeholder picture: the simulator must not send traffic anywhere)."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what}: empty image")
    value = value.strip()
    if is_url(value):
        return render.encode_png(render.placeholder((512, 512), seed, value.rsplit("/", 1)[-1]))
    m = _DATA_URL.fullmatch(value)
    raw = _b64(m.group(2) if m else value, what)
    img = _open(raw, what)
    img = img.convert("RGBA" if _has_alpha(img) else "RGB")
    scale = min(1.0, KEEP_SIDE / max(img.size))
    if scale < 1:
        img = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale))))
    return render.encode_png(img)


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info


def load_png(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def validate_mask(value: object, parent_size: tuple[int, int]) -> Image.Image:
    """Vary (Region) mask rules (mj-protocol.md §6): a PNG data URL, opaque, pure black and
    white, the parent's aspect ratio, not empty. Returns the mask as mode "L"."""
    what = "maskBase64格式错误"
    if not isinstance(value, str) or not value:
        raise InputError("maskBase64不能为空: mask is required")
    if not value.startswith(MASK_PREFIX):
        raise InputError(f"{what}: must start with {MASK_PREFIX}")
    img = _open(_b64(value[len(MASK_PREFIX) :], what), what)
    if img.format != "PNG":
        raise InputError(f"{what}: not a PNG image")
    if _has_alpha(img):
        alpha = img.convert("RGBA").getchannel("A")
        if alpha.getextrema() != (255, 255):
            raise InputError(f"{what}: mask must be opaque (no transparency)")
    rgb = img.convert("RGB")
    r, g, b = rgb.split()
    for band in (r, g, b):
        if any(band.histogram()[1:255]):
            raise InputError(f"{what}: mask must be pure black and white (grey pixels found)")
    if ImageChops.difference(r, g).getbbox() or ImageChops.difference(r, b).getbbox():
        raise InputError(f"{what}: mask must be pure black and white (coloured pixels found)")
    pw, ph = parent_size
    if abs(img.width * ph - img.height * pw) > 0.01 * img.height * pw:
        raise InputError(
            f"{what}: mask is {img.width}x{img.height}, the image is {pw}x{ph} "
            "(the aspect ratio must match)"
        )
    if r.getextrema()[1] == 0:
        raise InputError(f"{what}: mask is empty (all black: nothing to regenerate)")
    return r
