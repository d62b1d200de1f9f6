"""Prompt building and checks, done before anything is charged.

Typed slash-command options become Midjourney parameters; raw `--params` typed into the
prompt still work and are checked the same way. Every problem is a `PromptRejected` whose
`key`/`fields` name one sentence of bot/messages.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from bot.errors import Refused
from bot.jobs import multipliers
from bot.jobs.params import NIJI, NIJI_WHY, valid_aspect, version_of, why_refused
from bot.jobs.params import VERSION_CHOICES as VERSION_CHOICES  # what /imagine offers

MAX_PROMPT = 1500


def _load_default_banned() -> tuple[str, ...]:
    """banned_default.txt (package data, why each entry is there is in its comments)."""
    text = resources.files("bot.jobs").joinpath("banned_default.txt").read_text("utf-8")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(dict.fromkeys(line for line in lines if line))


# The words every guild blocks; guilds extend the list with their own (guild settings).
DEFAULT_BANNED: tuple[str, ...] = _load_default_banned()
# Words that make a prompt NSFW: allowed only where the guild's NSFW policy allows
# (by default, in channels Discord marks age-restricted).
NSFW_TERMS = (
    "nude",
    "naked",
    "nsfw",
    "topless",
    "nipples",
    "explicit",
    "erotic",
    "porn",
    "hentai",
    "lingerie",
    "sexual",
)

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
# `--name` starting a word, and its value: the next word unless it is a parameter itself.
# Names run to the next space, so "--v7" is refused as a whole rather than read as "--v".
_PARAM = re.compile(r"(?<!\S)--([a-z]\S*)(?:\s+(?!--)(\S+))?", re.IGNORECASE)


class PromptRejected(Refused):
    """A prompt or option that cannot be sent; nothing was charged."""


@dataclass(frozen=True, slots=True)
class ImagineOptions:
    aspect: str | None = None
    version: str | None = None  # one of VERSION_CHOICES: "8.1", "7", "niji 7" …
    stylize: int | None = None
    chaos: int | None = None
    weird: int | None = None
    no: str | None = None
    seed: int | None = None
    tile: bool = False
    raw: bool = False


def _strip_format(text: str) -> str:
    """Drop invisible format characters (zero-width, bidi marks …: Unicode category Cf)."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def normalise(text: str) -> str:
    """Lower-case, accents and invisible characters removed: what banned words match on."""
    text = unicodedata.normalize("NFKD", _strip_format(text.translate(_ZERO_WIDTH)))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def find_banned(prompt: str, banned: Iterable[str]) -> str | None:
    """The first banned word or phrase the prompt contains, matched on word boundaries."""
    flat = normalise(prompt)
    squashed = re.sub(r"[^a-z0-9]+", " ", flat)
    for word in banned:
        needle = normalise(word)
        if not needle:
            continue
        pattern = r"(?<![a-z0-9])" + re.escape(needle).replace(r"\ ", r"\s+") + r"(?![a-z0-9])"
        if re.search(pattern, flat) or re.search(pattern, squashed):
            return word
    return None


def neutralise_mentions(text: str) -> str:
    """Break @everyone/@here and user/role mentions so a prompt shown back never pings."""
    text = re.sub(r"@(everyone|here)", "@\u200b\\1", text)
    return re.sub(r"<@([!&]?\d+)>", "<@\u200b\\1>", text)


def _check(name: str, value: str | None) -> None:
    why = why_refused(name, value)
    if why is not None:
        raise PromptRejected("prompt.bad_param", param=f"--{name}", why=why)


def check_params(prompt: str) -> None:
    """Check raw `--params` typed in the prompt: each must be a Midjourney parameter with a
    sensible first value (--repeat is left to check_multipliers, which counts it)."""
    for match in _PARAM.finditer(prompt):
        name, value = match.group(1).lower(), match.group(2)
        if name not in ("repeat", "r"):
            _check(name, value)


def version_param(version: str) -> str:
    """The parameter for a version option: "niji 7" → "--niji 7", "8.1" → "--v 8.1"."""
    v = version.strip().lower()
    if v.startswith("niji"):
        number = v.removeprefix("niji").strip() or "6"  # a bare "niji" saved before Niji 7
        if number not in NIJI:
            raise PromptRejected("prompt.bad_param", param="version", why=NIJI_WHY)
        return f"--niji {number}"
    found = version_of(v.removeprefix("v").strip())
    if found is None:
        why = "choose " + ", ".join(VERSION_CHOICES)
        raise PromptRejected("prompt.bad_param", param="version", why=why)
    return f"--v {found}"


def build_prompt(text: str, options: ImagineOptions) -> str:
    """The prompt with the typed options appended as parameters."""
    parts = [" ".join(text.split())]
    o = options
    if o.aspect is not None:
        if not valid_aspect(o.aspect):
            raise PromptRejected("prompt.bad_param", param="aspect", why="use the form 16:9")
        parts.append(f"--ar {o.aspect}")
    if o.version:
        parts.append(version_param(o.version))
    for name, value in (
        ("stylize", o.stylize),
        ("chaos", o.chaos),
        ("weird", o.weird),
        ("seed", o.seed),
    ):
        if value is not None:
            _check(name, str(value))
            parts.append(f"--{name} {value}")
    if o.no:
        parts.append(f"--no {' '.join(o.no.split())}")
    if o.tile:
        parts.append("--tile")
    if o.raw:
        parts.append("--style raw")
    return " ".join(p for p in parts if p)


def normalise_dashes(prompt: str) -> str:
    """Midjourney reads an em or en dash (phones type them) before a word as "--"."""
    return " ".join(re.sub(r"(?<!\S)[\u2014\u2013](?=[A-Za-z])", "--", prompt).split())


def check_prompt(
    prompt: str,
    banned: Iterable[str],
    *,
    limit: int = MAX_PROMPT,
    max_jobs: int = 1,
    several: bool = False,
) -> str:
    """The prompt ready to send, or PromptRejected with the first problem found.
    `max_jobs` is how many jobs permutations and --repeat may multiply it into; `several`:
    the caller expands it into that many jobs itself (else a multiplied prompt is refused)."""
    prompt = normalise_dashes(prompt)
    if not prompt or prompt.startswith("--"):
        raise PromptRejected("prompt.empty")
    if len(prompt) > limit:
        raise PromptRejected("prompt.too_long", length=len(prompt), limit=limit)
    word = find_banned(prompt, banned)
    if word is not None:
        raise PromptRejected("prompt.banned", word=word)
    check_params(prompt)
    check_multipliers(prompt, max_jobs, several=several)
    return prompt


def check_multipliers(prompt: str, max_jobs: int, *, several: bool = False) -> None:
    """Refuse a prompt that would start several paid jobs: over the guild's cap always, and
    within it too until the bot expands them itself (each must be its own charged job)."""
    try:
        found = multipliers.count(prompt)
    except multipliers.BadRepeat:
        why = f"use a whole number from 1 to {multipliers.MAX_REPEAT}"
        raise PromptRejected("prompt.bad_param", param="--repeat", why=why) from None
    if found.jobs <= 1:
        return
    if found.jobs > max_jobs:
        raise PromptRejected(
            "prompt.too_many_jobs", count=found.jobs, how=found.describe(), limit=max_jobs
        )
    if not several:  # sent as one job, upstream would run (and bill) several
        raise PromptRejected("prompt.one_job_per_command", count=found.jobs, how=found.describe())


def is_nsfw(prompt: str) -> bool:
    return find_banned(prompt, NSFW_TERMS) is not None


def bot_type_for(prompt: str) -> str:
    return "NIJI_JOURNEY" if re.search(r"(?:^|\s)--niji\b", prompt) else "MID_JOURNEY"
