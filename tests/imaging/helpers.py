"""Builders for the imaging tests: deterministic images, encoders, mask measures."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageChops


def noisy_image(width: int, height: int, seed: int = 1, noise: float = 0.5) -> Image.Image:
    """A gradient with uniform noise blended in: hard for JPEG and for difference detection."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    grain = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    return Image.blend(base, grain, noise)


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def reload(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def iou(a: Image.Image, b: Image.Image) -> float:
    """Intersection over union of two binary masks."""
    inter = ImageChops.darker(a, b).histogram()[255]
    union = ImageChops.lighter(a, b).histogram()[255]
    return inter / union if union else 1.0


def is_binary_opaque_l(mask: Image.Image) -> bool:
    hist = mask.histogram()
    return mask.mode == "L" and hist[0] + hist[255] == mask.width * mask.height
