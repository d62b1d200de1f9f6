"""What the simulator reads out of a Midjourney prompt, and the texts it writes back."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

TILE_LONG_SIDE = 512  # a grid tile; the grid is twice that per axis (see render.py)
MAX_RATIO = 4.0  # wider aspect ratios are clamped: the simulator only has to look plausible

_PARAM = re.compile(r"--([a-zA-Z]+)(?:\s+([^\s-][^\s]*))?")
_KEYCAPS = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣"]


@dataclass(frozen=True)
class Version:
    """The Midjourney model a prompt asks for; `family` picks the button set (§5)."""

    family: str  # "5", "6", "6.1", "7" or "8"
    niji: bool

    @property
    def animates(self) -> bool:
        return self.family != "5"


def params(prompt: str) -> dict[str, str]:
    """`--name value` pairs (value "" for flags); the last occurrence wins."""
    return {m.group(1).lower(): (m.group(2) or "") for m in _PARAM.finditer(prompt)}


def parse_version(prompt: str, bot_type: str | None = None) -> Version:
    p = params(prompt)
    if "niji" in p or bot_type == "NIJI_JOURNEY":
        return Version(_family(p.get("niji") or "6"), niji=True)
    raw = p.get("v") or p.get("version") or "7"
    return Version(_family(raw), niji=False)


def _family(raw: str) -> str:
    try:
        number = float(raw)
    except ValueError:
        return "7"
    if number < 6:
        return "5"
    if number < 6.1:
        return "6"
    if number < 7:
        return "6.1"
    if number < 8:
        return "7"
    return "8"


def parse_ar(prompt: str) -> tuple[int, int] | None:
    p = params(prompt)
    value = p.get("ar") or p.get("aspect")
    if not value:
        return None
    m = re.fullmatch(r"(\d{1,4}):(\d{1,4})", value)
    if not m or int(m.group(1)) == 0 or int(m.group(2)) == 0:
        return None
    return int(m.group(1)), int(m.group(2))


def parse_zoom(prompt: str) -> float | None:
    try:
        return float(params(prompt)["zoom"])
    except (KeyError, ValueError):
        return None


def parse_seed(prompt: str) -> int | None:
    value = params(prompt).get("seed", "")
    return int(value) % 4294967296 if value.isdigit() else None


def tile_size(ar: tuple[int, int] | None, long_side: int = TILE_LONG_SIDE) -> tuple[int, int]:
    """Pixel size of one image for an aspect ratio: the long side is `long_side`."""
    ratio = 1.0 if ar is None else ar[0] / ar[1]
    ratio = min(MAX_RATIO, max(1 / MAX_RATIO, ratio))
    if ratio >= 1:
        return long_side, _even(long_side / ratio)
    return _even(long_side * ratio), long_side


def fit_long_side(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """Scale a size down (never up) so that its long side is at most `long_side`."""
    w, h = size
    scale = min(1.0, long_side / max(w, h))
    return _even(w * scale), _even(h * scale)


def _even(x: float) -> int:
    return max(2, round(x / 2) * 2)


def ratio_text(size: tuple[int, int]) -> str:
    g = math.gcd(*size)
    return f"{size[0] // g}:{size[1] // g}"


def prompt_text(prompt: str) -> str:
    """The words of a prompt, without parameters and image links."""
    text = _PARAM.sub(" ", prompt)
    text = re.sub(r"<?https?://\S+>?", " ", text)
    return " ".join(text.split())


def find_banned(prompt: str, banned: tuple[str, ...]) -> str | None:
    lowered = prompt.lower()
    for word in banned:
        if re.search(rf"(?<![a-z]){re.escape(word.lower())}(?![a-z])", lowered):
            return word
    return None


def describe_prompts(colour: str, size: tuple[int, int]) -> list[str]:
    ar = ratio_text(size)
    return [
        f"a {colour} abstract composition with soft gradients and geometric shapes --ar {ar}",
        f"minimalist {colour} poster, bold circles and rectangles, flat design --ar {ar}",
        f"{colour} toned digital artwork, layered translucent forms, studio lighting --ar {ar}",
        f"an illustration dominated by {colour} hues, calm mood, clean lines --ar {ar}",
    ]


def describe_final_prompt(prompts: list[str]) -> str:
    return "\n\n".join(f"{_KEYCAPS[i]} {p}" for i, p in enumerate(prompts))


def shorten_markdown(prompt: str) -> str:
    words = [w.strip(",.;") for w in prompt_text(prompt).split() if len(w.strip(",.;")) > 2]
    words = words or ["image"]
    important = ", ".join(f"**{w}**" if i % 2 == 0 else w for i, w in enumerate(words[:8]))
    shortened = [" ".join(words[: max(1, len(words) - i)]) for i in range(5)]
    lines = "\n".join(f"{_KEYCAPS[i]} {s}" for i, s in enumerate(shortened))
    return f"## Important tokens\n{important}\n\n## Shortened prompts\n{lines}"
