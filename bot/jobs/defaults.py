"""Where a member's job takes what they did not type, in one documented order:

    typed options (a style kit among them) > prompt parameters (and `--name` option sets) >
    personal settings (/settings) > channel defaults > guild defaults > the operator's settings

A channel's suffix is appended to every prompt, minus any parameter the prompt already sets
(the member's own `--stylize` wins over the channel's).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from bot.db import Database
from bot.errors import Refused
from bot.jobs.events import Requester
from bot.jobs.prompts import ImagineOptions

_PARAM = re.compile(r"--([a-z]+)", re.IGNORECASE)
_ASPECT_NAMES = {"ar", "aspect"}
_VERSION_NAMES = {"v", "version", "niji"}
_MODE_NAMES = {"fast", "turbo", "relax"}


# Spellings of one setting: a prompt's `--s` must win over a kit's `--stylize`, and
# `--niji 6` over `--v 7`.
_SAME = (
    {"ar", "aspect"},
    {"v", "version", "niji"},
    {"stylize", "s"},
    {"chaos", "c"},
    {"weird", "w"},
    {"quality", "q"},
    {"p", "profile", "personalize"},
    {"style", "raw"},
)
_SPELLINGS: dict[str, frozenset[str]] = {n: frozenset(group) for group in _SAME for n in group}


def spellings(names: set[str]) -> set[str]:
    """The names with their other spellings."""
    found = set(names)
    for name in names:
        found |= _SPELLINGS.get(name, frozenset())
    return found


@dataclass(frozen=True, slots=True)
class JobDefaults:
    prompt: str  # with the channel's suffix
    options: ImagineOptions
    mode: str
    private: bool


def _names(prompt: str) -> set[str]:
    return {m.lower() for m in _PARAM.findall(prompt)}


def _without(suffix: str, taken: set[str]) -> str:
    """The suffix minus the parameters already set (each `--name value…` up to the next)."""
    kept: list[str] = []
    skipping = False
    for token in suffix.split():
        if token.startswith("--"):
            skipping = token[2:].lower() in taken
        if not skipping:
            kept.append(token)
    return " ".join(kept)


async def resolve(
    db: Database,
    req: Requester,
    *,
    prompt: str,
    options: ImagineOptions,
    speed: str | None,
    private: bool | None,
    operator_mode: str,
    kit: str | None = None,
) -> JobDefaults:
    user = await db.users.get(req.user_id)
    guild = await db.guilds.get(req.guild_id) if req.guild_id is not None else None
    channel = (
        await db.channels.get(req.guild_id, req.channel_id) if req.guild_id is not None else None
    )
    if kit and req.guild_id is not None:
        from bot.jobs.kits import apply_kit  # kits builds on this module

        found = await db.kits.get(req.guild_id, kit)
        if found is None:
            raise Refused("kit.unknown", name=kit)
        prompt = apply_kit(prompt, found, options=options)  # a kit is typed: before the channel's
    prompt = expand_option_sets(prompt, dict(user.option_sets))  # /prefer option set: --mine
    taken = _names(prompt)
    typed_mode = next((m for m in _MODE_NAMES if m in taken), None)
    mode = (
        speed
        or typed_mode
        or user.default_mode
        or (channel.mode if channel else None)
        or (guild.default_mode if guild else None)
        or operator_mode
    )
    changes: dict[str, object] = {}
    # Personal settings, then the channel's: each only where nothing above set it.
    aspect = user.aspect or (channel.aspect if channel else None)
    if options.aspect is None and not taken & _ASPECT_NAMES and aspect:
        changes["aspect"] = aspect
    version = user.version or (channel.version if channel else None)
    if options.version is None and not taken & _VERSION_NAMES and version:
        changes["version"] = version
    if options.stylize is None and not spellings(taken) & {"stylize"} and user.stylize is not None:
        changes["stylize"] = user.stylize
    if user.personalize is not None and not spellings(taken) & {"p", "personalize"}:
        prompt = f"{prompt} --p {user.personalize}".strip()
    for suffix in (user.suffix, channel.suffix if channel else ""):
        if suffix:
            extra = _without(suffix, spellings(_names(prompt) | _typed(options)))
            prompt = f"{prompt} {extra}".strip()
    if private is None:
        if user.private:
            private = True
        elif channel is not None and channel.private is not None:
            private = channel.private
        else:
            private = guild.private_by_default if guild else False
    options = dataclasses.replace(options, **changes)  # type: ignore[arg-type]
    return JobDefaults(prompt, options, mode, private)


def expand_option_sets(prompt: str, sets: dict[str, str]) -> str:
    """`--name` of a saved option set (/prefer option set) becomes its parameters."""
    if not sets:
        return prompt
    return " ".join(
        sets[token[2:].lower()] if token.startswith("--") and token[2:].lower() in sets else token
        for token in prompt.split()
    )


def _typed(options: ImagineOptions) -> set[str]:
    """The parameters the typed options will add."""
    names = {"stylize", "chaos", "weird", "no", "seed"}
    found = {n for n in names if getattr(options, n) is not None}
    if options.aspect:
        found |= _ASPECT_NAMES
    if options.version:
        found |= _VERSION_NAMES
    if options.tile:
        found.add("tile")
    if options.raw:
        found.add("style")
    return found
