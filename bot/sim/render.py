"""Deterministic Pillow drawings that stand in for Midjourney's pictures.

Every function is pure and synchronous (callers run them in a thread): the same arguments give
the same pixels, so results can be dropped from caches and drawn again. Tiles show part of the
prompt so a human watching the bot can tell jobs apart.
"""

from __future__ import annotations

import functools
import io
import random
import textwrap

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

MAX_SIDE = 2048  # no result is larger than this per axis
VIDEO_SIDE = 256  # long side of an animation frame
VIDEO_FRAMES = 8

_NAMED_COLOURS = {
    "red": (200, 40, 40),
    "orange": (230, 130, 30),
    "yellow": (230, 210, 50),
    "green": (50, 160, 70),
    "teal": (40, 150, 150),
    "blue": (40, 80, 200),
    "purple": (120, 60, 170),
    "pink": (230, 120, 170),
    "brown": (120, 80, 40),
    "grey": (128, 128, 128),
    "black": (20, 20, 20),
    "white": (235, 235, 235),
}


@functools.lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return rng.randrange(30, 226), rng.randrange(30, 226), rng.randrange(30, 226)


def fresh(size: tuple[int, int], seed: int, text: str, label: str = "") -> Image.Image:
    """A new picture: a gradient, some shapes, the prompt's words."""
    rng = random.Random(seed)
    grey = Image.linear_gradient("L").rotate(rng.randrange(360), resample=Image.Resampling.BILINEAR)
    grey = ImageOps.autocontrast(grey.crop((48, 48, 208, 208))).resize(size)
    img = ImageOps.colorize(grey, _colour(rng), _colour(rng)).convert("RGB")
    draw = ImageDraw.Draw(img)
    w, h = size
    for _ in range(rng.randrange(3, 7)):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = x0 + rng.randrange(w // 8, w // 2), y0 + rng.randrange(h // 8, h // 2)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=_colour(rng), outline=(255, 255, 255), width=2)
    _caption(img, text, label)
    return img


def _caption(img: Image.Image, text: str, label: str) -> None:
    draw = ImageDraw.Draw(img)
    w, h = img.size
    size = max(10, min(w, h) // 20)
    font = _font(size)
    if label:
        draw.text(
            (size // 2, size // 2),
            label,
            fill=(255, 255, 255),
            font=font,
            stroke_width=2,
            stroke_fill=(0, 0, 0),
        )
    words = text[:90] or "…"
    lines = textwrap.wrap(words, width=max(8, w // (size // 2 + 1)))[:3]
    if not lines:
        return
    top = h - (len(lines) + 1) * (size + 4)
    draw.rectangle((0, top, w, h), fill=(0, 0, 0))
    for i, line in enumerate(lines):
        draw.text(
            (size // 2, top + size // 2 + i * (size + 4)), line, fill=(255, 255, 255), font=font
        )


def variant(
    base: Image.Image, size: tuple[int, int], seed: int, strength: float, text: str, label: str
) -> Image.Image:
    """`base` re-imagined: the larger `strength`, the less of it is left."""
    other = fresh(size, seed, "", "")
    img = Image.blend(base.convert("RGB").resize(size), other, strength)
    _caption(img, text, label)
    return img


def zoom_out(
    base: Image.Image, size: tuple[int, int], factor: float, seed: int, text: str, label: str
) -> Image.Image:
    """`base` shrunk by `factor` in the middle of new surroundings, at the same pixel size."""
    img = fresh(size, seed, "", "")
    inner = (max(2, int(size[0] / factor)), max(2, int(size[1] / factor)))
    img.paste(
        base.convert("RGB").resize(inner), ((size[0] - inner[0]) // 2, (size[1] - inner[1]) // 2)
    )
    _caption(img, text, label)
    return img


def pan(base: Image.Image, direction: str, seed: int, text: str, label: str) -> Image.Image:
    """`base` with 50% more canvas on one side; scaled so the long side stays <= 1024."""
    w, h = base.size
    horizontal = direction in ("left", "right")
    size = (w + w // 2, h) if horizontal else (w, h + h // 2)
    img = fresh(size, seed, "", "")
    at = {"left": (w // 2, 0), "right": (0, 0), "up": (0, h // 2), "down": (0, 0)}[direction]
    img.paste(base.convert("RGB"), at)
    scale = min(1.0, 1024 / max(size))
    if scale < 1:
        img = img.resize((max(2, int(size[0] * scale)), max(2, int(size[1] * scale))))
    _caption(img, text, label)
    return img


def pan_size(size: tuple[int, int], direction: str) -> tuple[int, int]:
    w, h = size
    new = (w + w // 2, h) if direction in ("left", "right") else (w, h + h // 2)
    scale = min(1.0, 1024 / max(new))
    return (max(2, int(new[0] * scale)), max(2, int(new[1] * scale))) if scale < 1 else new


def square(base: Image.Image, seed: int, text: str, label: str) -> Image.Image:
    side = max(base.size)
    img = fresh((side, side), seed, "", "")
    img.paste(base.convert("RGB"), ((side - base.width) // 2, (side - base.height) // 2))
    _caption(img, text, label)
    return img


def inpaint(base: Image.Image, mask: Image.Image, seed: int, text: str, label: str) -> Image.Image:
    """New content where the mask is white, `base` where it is black."""
    size = base.size
    img = base.convert("RGB").copy()
    img.paste(fresh(size, seed, "", ""), (0, 0), mask.convert("L").resize(size))
    _caption(img, text, label)
    return img


def blend(
    inputs: list[Image.Image], size: tuple[int, int], seed: int, text: str, label: str
) -> Image.Image:
    img = inputs[0].convert("RGB").resize(size)
    for i, other in enumerate(inputs[1:], start=2):
        img = Image.blend(img, other.convert("RGB").resize(size), 1 / i)
    return variant(img, size, seed, 0.25, text, label)


def edit(src: Image.Image, size: tuple[int, int], seed: int, text: str, label: str) -> Image.Image:
    """New content where the source image is transparent (mj-protocol.md §3 edits)."""
    rgba = src.convert("RGBA").resize(size)
    img = fresh(size, seed, "", "")
    img.paste(rgba.convert("RGB"), (0, 0), rgba.getchannel("A"))
    _caption(img, text, label)
    return img


def grid(tiles: list[Image.Image]) -> Image.Image:
    w, h = tiles[0].size
    img = Image.new("RGB", (w * 2, h * 2))
    for i, tile in enumerate(tiles):
        img.paste(tile.resize((w, h)), ((i % 2) * w, (i // 2) * h))
    return img


def crop(grid_img: Image.Image, index: int) -> Image.Image:
    w, h = grid_img.width // 2, grid_img.height // 2
    x, y = ((index - 1) % 2) * w, ((index - 1) // 2) * h
    return grid_img.crop((x, y, x + w, y + h))


def upscale(img: Image.Image, size: tuple[int, int], creative: bool) -> Image.Image:
    out = img.resize(size, Image.Resampling.LANCZOS)
    return out.filter(ImageFilter.DETAIL if creative else ImageFilter.SMOOTH)


def preview(img: Image.Image, progress: int) -> Image.Image:
    """A progress preview: half size, blurrier the earlier it is."""
    half = (max(2, img.width // 2), max(2, img.height // 2))
    small = img.resize(half, Image.Resampling.BILINEAR)
    radius = max(0.5, (100 - progress) / 6)
    return small.filter(ImageFilter.GaussianBlur(radius))


def placeholder(size: tuple[int, int], seed: int, text: str) -> Image.Image:
    """Stands in for an image given by URL: the simulator never fetches anything."""
    return fresh(size, seed, text, "URL")


def video_frames(base: Image.Image, motion: str, seed: int) -> list[Image.Image]:
    """A short loop: a slow push-in (faster for high motion) with a travelling spot."""
    scale = min(1.0, VIDEO_SIDE / max(base.size))
    size = (max(2, int(base.width * scale)) // 2 * 2, max(2, int(base.height * scale)) // 2 * 2)
    rng = random.Random(seed)
    spot = _colour(rng)
    reach = 0.25 if motion == "high" else 0.08
    frames = []
    for n in range(VIDEO_FRAMES):
        f = n / (VIDEO_FRAMES - 1)
        z = 1 - reach * f
        cw, ch = base.width * z, base.height * z
        x0, y0 = (base.width - cw) / 2, (base.height - ch) / 2
        frame = base.convert("RGB").crop((int(x0), int(y0), int(x0 + cw), int(y0 + ch)))
        frame = frame.resize(size, Image.Resampling.BILINEAR)
        r = size[1] // 10
        cx, cy = int(size[0] * (0.1 + 0.8 * f)), size[1] // 3
        ImageDraw.Draw(frame).ellipse((cx - r, cy - r, cx + r, cy + r), fill=spot)
        frames.append(frame)
    return frames


def colour_name(img: Image.Image) -> str:
    r, g, b = img.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    return min(
        _NAMED_COLOURS,
        key=lambda n: sum((a - c) ** 2 for a, c in zip(_NAMED_COLOURS[n], (r, g, b), strict=True)),
    )


def encode_png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)  # speed over size: tests draw a lot
    return buf.getvalue()


def encode_webp(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "WEBP", quality=50, method=0)
    return buf.getvalue()


def encode_animation(frames: list[Image.Image]) -> bytes:
    buf = io.BytesIO()
    frames[0].save(
        buf,
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=120,
        loop=0,
        quality=50,
        method=0,
    )
    return buf.getvalue()
