"""Style kits: named presets moderators publish and members pick on /imagine.

A kit is parameters (`--sref 123 --stylize 250 --v 7`), plain words added after the
member's text (the suffix) and a description. `make_kit` refuses, with one sentence each, what
would fail at every use, so a broken kit is caught when it is saved rather than by every
member who picks it. The final prompt still goes through every prompt check (banned words
included) when it is used.

`apply_kit` gives the member's own parameters precedence, as a channel's suffix does
(bot/jobs/defaults.py); applied before the channel's defaults, a kit wins over them:

    typed options > prompt parameters > kit > channel suffix > …
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.db import Database
from bot.db.kits import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_PARAMS,
    MAX_SUFFIX,
    NAME_PATTERN,
    StyleKit,
    normalise_name,
)
from bot.errors import Refused
from bot.jobs import multipliers
from bot.jobs.defaults import _names, _typed, _without, spellings
from bot.jobs.prompts import (
    ImagineOptions,
    PromptRejected,
    build_prompt,
    check_params,
    normalise_dashes,
)

MAX_KITS = 25  # per guild: what one Discord autocomplete list can show

# Where the member's text ends and their parameters begin.
_FIRST_PARAM = re.compile(r"(?:^|\s)--[a-z]", re.IGNORECASE)
_REFERENCE = re.compile(r"(?:https?://\S+|\d+|random)(?:::-?\d+(?:\.\d+)?)?", re.IGNORECASE)
_CODE = re.compile(r"[a-z0-9]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Spec:
    least: int  # values the parameter needs
    most: int | None  # None: any number
    shape: re.Pattern[str] | None = None  # what each value must look like; None: anything


_ONE = _Spec(1, 1)
# The style parameters a kit may set. Not --repeat (it multiplies paid jobs), nor
# --fast/--relax/--turbo (a member's speed and cost), nor --zoom (an action's).
_SPECS: dict[str, _Spec] = {
    **dict.fromkeys(
        (
            *("ar", "aspect", "v", "version", "seed", "iw"),
            *("stylize", "s", "chaos", "c", "weird", "w", "quality", "q"),
            *("stop", "sw", "sv", "cw", "ow", "exp"),
        ),
        _ONE,
    ),
    "niji": _Spec(0, 1),
    "tile": _Spec(0, 0),
    "raw": _Spec(0, 0),
    "no": _Spec(1, None),  # words to leave out: free text by nature
    "style": _Spec(1, 1, _CODE),  # raw, or a style code
    "sref": _Spec(1, None, _REFERENCE),
    "cref": _Spec(1, None, _REFERENCE),
    "oref": _Spec(1, None, _REFERENCE),
    "p": _Spec(0, None, _CODE),
    "profile": _Spec(0, None, _CODE),
}
# Numbers prompts.py has no range for: at least a number.
_NUMBERS_ONLY = {"stop", "sw", "sv", "cw", "ow", "exp"}


def make_kit(
    guild_id: int,
    name: str,
    params: str,
    suffix: str,
    description: str,
    created_by: int,
    now: float,
) -> StyleKit:
    """A checked kit, ready to save; Refused (or PromptRejected) with the first problem."""
    key = normalise_name(name)
    if not NAME_PATTERN.fullmatch(key):
        raise Refused("kit.bad_name", most=MAX_NAME)
    params = normalise_dashes(params)
    _check_length("parameters", params, MAX_PARAMS)
    params = " ".join(_check_params(params))
    suffix = normalise_dashes(suffix)
    _check_length("suffix", suffix, MAX_SUFFIX)
    found = _FIRST_PARAM.search(suffix)
    if found is not None:
        param = suffix[found.start() :].split()[0]
        raise Refused("kit.suffix_params", param=param)
    description = " ".join(description.split())
    _check_length("description", description, MAX_DESCRIPTION)
    if not params and not suffix:
        raise Refused("kit.empty")
    jobs = multipliers.count(f"{suffix} {params}")
    if jobs.jobs > 1:
        raise Refused("kit.multiplies", how=jobs.describe(), count=jobs.jobs)
    return StyleKit(guild_id, key, params, suffix, description, created_by, now)


def apply_kit(prompt: str, kit: StyleKit, *, options: ImagineOptions | None = None) -> str:
    """The prompt with the kit: the member's text, the kit's suffix, the member's
    parameters, then the kit's parameters minus those the member set (in the prompt or,
    given `options`, as typed options). The suffix goes before the member's parameters:
    after them Midjourney would read its words as a parameter's value."""
    prompt = normalise_dashes(prompt)
    found = _FIRST_PARAM.search(prompt)
    cut = found.start() if found is not None else len(prompt)
    text, own = prompt[:cut].strip(), prompt[cut:].strip()
    taken = _names(prompt) | (_typed(options) if options is not None else set())
    added = _without(kit.params, spellings(taken))
    return " ".join(part for part in (text, kit.suffix, own, added) if part)


async def publish(db: Database, kit: StyleKit, *, limit: int = MAX_KITS) -> bool:
    """Save the kit (replacing the guild's kit of that name); True if it is new. Counting
    and saving in one transaction keeps two moderators adding at once from passing the cap."""
    kits = db.kits
    async with db.transaction():
        if await kits.get(kit.guild_id, kit.name) is None and (
            await kits.count(kit.guild_id) >= limit
        ):
            raise Refused("kit.too_many", most=limit)
        return await kits.put(kit)


def _check_length(field: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise Refused("kit.too_long", field=field, length=len(text), limit=limit)


def _check_params(params: str) -> Iterator[str]:
    """Each `--name value…` of the kit's parameters, names lower-cased, once checked."""
    seen: set[str] = set()
    tokens = params.split()
    i = 0
    while i < len(tokens):
        flag = tokens[i]
        if not flag.startswith("--"):
            raise Refused("kit.params_text", text=_words_from(tokens, i))
        name = flag[2:].lower()
        spec = _SPECS.get(name)
        if spec is None:
            raise Refused("kit.unknown_param", param=flag)
        if spellings({name}) & seen:
            raise Refused("kit.duplicate_param", param=f"--{name}")
        seen.add(name)
        i += 1
        values: list[str] = []
        while i < len(tokens) and not tokens[i].startswith("--"):
            token = tokens[i]
            full = spec.most is not None and len(values) >= spec.most
            if full or (spec.shape is not None and not spec.shape.fullmatch(token)):
                raise Refused("kit.params_text", text=_words_from(tokens, i))
            values.append(token)
            i += 1
        if len(values) < spec.least:
            raise PromptRejected("prompt.bad_param", param=f"--{name}", why="it needs a value")
        for value in values:
            _check_value(name, value)
        yield " ".join((f"--{name}", *values))


def _check_value(name: str, value: str) -> None:
    """The prompt checks of one value, with their keys and sentences."""
    if _SPECS[name] is _ONE and value.startswith("-"):
        # prompts.py reads a value starting with "-" as no value, and so would not check it.
        raise PromptRejected("prompt.bad_param", param=f"--{name}", why="it can't be negative")
    if name == "version":
        check_params(f"--v {value}")
    elif name == "niji":
        try:
            build_prompt("", ImagineOptions(version=f"niji {value}"))
        except PromptRejected as exc:
            raise PromptRejected(exc.key, **{**exc.fields, "param": "--niji"}) from None
    elif name in _NUMBERS_ONLY and not _is_number(value):
        raise PromptRejected("prompt.bad_param", param=f"--{name}", why="not a number")
    elif name not in _NUMBERS_ONLY:
        check_params(f"--{name} {value}")


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _words_from(tokens: list[str], start: int) -> str:
    """The run of words from `start` up to the next parameter (what the refusal quotes)."""
    end = start
    while end < len(tokens) and not tokens[end].startswith("--"):
        end += 1
    return " ".join(tokens[start:end])
