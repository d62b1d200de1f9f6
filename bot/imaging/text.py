"""Text on generated images (charts, contact sheets): the bundled font, names cleaned of
control characters, and text shortened with "…" to fit a width."""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache

from PIL import ImageFont

from bot.imaging.preview import FONT_PATH

log = logging.getLogger(__name__)
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=16)
def typeface(size: int) -> Font:
    try:
        return ImageFont.truetype(str(FONT_PATH), size)
    except OSError:
        log.warning("font %s missing, using Pillow's default", FONT_PATH)
        return ImageFont.load_default(size=size)


def clean(text: str) -> str:
    """Names and prompts may hold newlines or control characters that would break a layout."""
    kept = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    return " ".join(kept.split())


def fit(text: str, face: Font, width: float) -> str:
    if face.getlength(text) <= width:
        return text
    while text and face.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"
