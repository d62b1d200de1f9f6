"""Every Midjourney parameter the bot lets through, and what its value must look like.

A prompt Midjourney would refuse costs a charge and a refund at best, so each parameter is
checked here first: `why_refused(name, value)` gives the reason for the refusal sentence
(`prompt.bad_param`), or None. A name missing from `PARAMS` is not a Midjourney parameter.

Only a parameter's first value is read: words after it may be text the member did not type,
such as a channel's suffix appended to the prompt (bot/jobs/defaults.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Model versions, oldest first; a whole version may also be written "7.0".
VERSIONS = ("5", "5.1", "5.2", "6", "6.1", "7", "8", "8.1")
NIJI = ("5", "6", "7")
# What the /imagine `version` option offers, newest first (build_prompt accepts each).
VERSION_CHOICES: tuple[str, ...] = (
    *reversed(VERSIONS),
    *(f"niji {n}" for n in reversed(NIJI)),
)
VERSIONS_WHY = "versions are " + ", ".join(VERSIONS)
NIJI_WHY = "niji versions are " + ", ".join(NIJI)

# A value's check: None when fine, else why it is refused. None as the value: none given.
Check = Callable[[str | None], str | None]

# re.ASCII: Midjourney reads no "١٢" digits (float() would) and no "K" (Kelvin) letters.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)  # and no "nan", "1e3"
_WHOLE = re.compile(r"[+-]?\d+", re.ASCII)
_ASPECT = re.compile(r"(\d{1,4}):(\d{1,4})", re.ASCII)
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_WEIGHT = r"(?:::-?\d+(?:\.\d+)?)?"  # "::2" after a reference weighs it
_STYLE_REF = re.compile(rf"(?:https?://\S+?|\d+|random){_WEIGHT}", re.IGNORECASE | re.ASCII)
_CODE = re.compile(r"[a-z0-9]+", re.IGNORECASE | re.ASCII)  # profile, moodboard, style codes


def valid_aspect(value: str) -> bool:
    match = _ASPECT.fullmatch(value)
    if not match:
        return False
    w, h = int(match.group(1)), int(match.group(2))
    return w > 0 and h > 0 and max(w, h) / min(w, h) <= 8


def version_of(value: str) -> str | None:
    """The version a `--v` value names ("7.0" is "7"), None if Midjourney has no such one."""
    whole = value.removesuffix(".0")
    return whole if whole in VERSIONS else None


def _spell(number: float) -> str:
    """4294967295 rather than 4.29497e+09."""
    return str(int(number)) if number == int(number) else str(number)


def _flag(value: str | None) -> str | None:
    return None  # a word after a flag is not its value


def _number(low: float, high: float, *, whole: bool = False, above: bool = False) -> Check:
    """A number from `low` to `high` (`above`: more than `low`); `whole`: no fraction."""
    lo, hi = _spell(low), _spell(high)
    if whole:
        why = f"use a whole number from {lo} to {hi}"
    elif above:
        why = f"it must be more than {lo} and at most {hi}"
    else:
        why = f"it must be between {lo} and {hi}"

    def check(value: str | None) -> str | None:
        if value is None:
            return "it needs a value"
        if not _NUMBER.fullmatch(value):
            return "not a number"
        number = float(value)
        if whole and not _WHOLE.fullmatch(value):
            return why
        ok = low < number <= high if above else low <= number <= high
        return None if ok else why

    return check


def _numbers(*allowed: float) -> Check:
    """One of a few numbers (".5" and "0.5" alike)."""
    spelled = [_spell(n).removeprefix("0") for n in allowed]
    why = "use " + ", ".join(spelled[:-1]) + " or " + spelled[-1]

    def check(value: str | None) -> str | None:
        if value is None:
            return "it needs a value"
        if not _NUMBER.fullmatch(value):
            return "not a number"
        return None if float(value) in allowed else why

    return check


def _words(*allowed: str) -> Check:
    why = "use " + " or ".join(allowed)

    def check(value: str | None) -> str | None:
        if value is None:
            return "it needs a value"
        return None if value.lower() in allowed else why

    return check


def _shaped(shape: re.Pattern[str], why: str, *, optional: bool = False) -> Check:
    def check(value: str | None) -> str | None:
        if value is None:
            return None if optional else "it needs a value"
        return None if shape.fullmatch(value) else why

    return check


def _aspect(value: str | None) -> str | None:
    return None if value is not None and valid_aspect(value) else "use the form 16:9"


def _version(value: str | None) -> str | None:
    if value is None:
        return "it needs a value"
    return None if version_of(value) else VERSIONS_WHY


def _niji(value: str | None) -> str | None:
    """Alone (or before a word) --niji is the default Niji; a number must be a Niji version."""
    if value is None or not _NUMBER.fullmatch(value):
        return None
    return None if value in NIJI else NIJI_WHY


def _spellings(*names: str, check: Check) -> dict[str, Check]:
    return dict.fromkeys(names, check)


def _text(value: str | None) -> str | None:
    return None if value is not None else "it needs a value"


_IMAGE = _shaped(_URL, "use an image URL")

# Every parameter Midjourney takes today, under each of its spellings.
PARAMS: dict[str, Check] = {
    **_spellings("ar", "aspect", check=_aspect),
    **_spellings("v", "version", check=_version),
    "niji": _niji,
    **_spellings("stylize", "s", check=_number(0, 1000, whole=True)),
    **_spellings("chaos", "c", check=_number(0, 100, whole=True)),
    **_spellings("weird", "w", check=_number(0, 3000, whole=True)),
    **_spellings("quality", "q", check=_numbers(0.25, 0.5, 1, 2, 4)),
    "seed": _number(0, 4294967295, whole=True),
    "stop": _number(10, 100, whole=True),
    "exp": _number(0, 100, whole=True),
    "iw": _number(0, 3),
    "zoom": _number(1, 2, above=True),  # Custom Zoom's prompt
    "no": _text,  # words to leave out
    "style": _shaped(_CODE, "use raw or a style code"),
    # References: style (URLs, codes, random), omni (one image) and character (V6).
    "sref": _shaped(_STYLE_REF, "use image URLs, style codes or random"),
    "sv": _number(1, 6, whole=True),
    "sw": _number(0, 1000, whole=True),
    "oref": _IMAGE,
    "ow": _number(0, 1000, whole=True),
    "cref": _IMAGE,
    "cw": _number(0, 100, whole=True),
    # Personalization: the default profile alone, or profile and moodboard codes.
    **_spellings(
        "p", "profile", "personalize", check=_shaped(_CODE, "use profile codes", optional=True)
    ),
    # Multiplies jobs: checked and counted by bot/jobs/multipliers.py.
    **_spellings("repeat", "r", check=_flag),
    # Video: the end frame, motion, looping and how many videos one job makes.
    "motion": _words("low", "high"),
    "end": _IMAGE,
    "bs": _numbers(1, 2, 4),
    # Flags.
    **_spellings(
        *("tile", "raw", "draft", "hd", "loop", "video"),
        *("fast", "relax", "turbo", "stealth", "public"),  # speed and visibility
        check=_flag,
    ),
}


def why_refused(name: str, value: str | None) -> str | None:
    """Why `--name value` cannot be sent (name lower-case, without dashes), or None."""
    check = PARAMS.get(name)
    return "unknown parameter" if check is None else check(value)
