"""Settings per scope — guild, channel, user — with their declared defaults in one place.

Only changed values are stored (JSON per row); a record fills in the rest from the defaults
below. Records validate and normalise themselves in `__post_init__`, so a bad value is refused
at `update()` time and a row edited by hand can only fall back to a default.

Precedence for a member's job: typed options > prompt parameters > personal settings >
channel defaults > guild defaults > the operator's settings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from bot.db.records import MODES, ClickPolicy, NsfwPolicy

_ASPECT = re.compile(r"^\d{1,4}:\d{1,4}$")
_CODE = re.compile(r"[A-Za-z0-9]{0,40}")
_OPTION_NAME = re.compile(r"[a-z0-9_-]{1,20}")


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")


def _check_count(name: str, value: object, *, optional: bool, minimum: int = 0) -> None:
    if value is None and optional:
        return
    if not _is_int(value) or value < minimum:  # type: ignore[operator]
        raise ValueError(f"{name} must be a whole number ≥ {minimum}")


def _ids(name: str, value: object) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | frozenset | set):
        raise ValueError(f"{name} must be a list of ids")
    if not all(_is_int(v) for v in value):
        raise ValueError(f"{name} must be a list of ids")
    return tuple(dict.fromkeys(value))  # de-duplicated, order kept


def _words(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | frozenset | set):
        raise ValueError(f"{name} must be a list of words")
    if not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be a list of words")
    return tuple(dict.fromkeys(w.strip() for w in value if w.strip()))


def _mode(name: str, value: object) -> None:
    if value is not None and value not in MODES:
        raise ValueError(f"{name} must be one of {', '.join(MODES)}")


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    allowed_channel_ids: tuple[int, ...] = ()  # empty: every channel
    click_policy: ClickPolicy = ClickPolicy.OWNER_AND_MODS
    mod_role_ids: tuple[int, ...] = ()  # besides members with Manage Messages
    daily_quota_per_user: int | None = None  # None: unlimited
    monthly_budget: int | None = None  # None: unlimited
    banned_words: tuple[str, ...] = ()
    default_mode: str | None = None  # None: the operator's default
    relax_enabled: bool = True  # guilds may turn it off; needs the operator's RELAX_ENABLED too
    nsfw_policy: NsfwPolicy = NsfwPolicy.NSFW_CHANNELS
    max_repeat: int = 10  # jobs one prompt may start ({a,b}, --repeat), each paid
    concurrent_per_user: int | None = None  # jobs running at once per member; None: no limit
    cooldown_seconds: int = 0  # between two jobs of one member
    # Roles with their own daily quota: (role id, quota or None for unlimited). A member with
    # several such roles gets the most generous one.
    role_quotas: tuple[tuple[int, int | None], ...] = ()
    budget_exempt_mods: bool = False  # moderators' jobs go on when the budget is spent
    mod_log_channel_id: int | None = None
    private_by_default: bool = False  # a team server: every job private unless asked
    # Blocked prompts within a day before the bot times a member out (0: never), and for how
    # long; every blocked prompt is reported to the mod-log.
    escalation_timeout_at: int = 3
    escalation_minutes: int = 60
    turbo_role_ids: tuple[int, ...] = ()  # turbo only for these roles (and moderators); empty: all
    api_key_encrypted: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _set(self, "allowed_channel_ids", _ids("allowed_channel_ids", self.allowed_channel_ids))
        _set(self, "mod_role_ids", _ids("mod_role_ids", self.mod_role_ids))
        _set(self, "click_policy", ClickPolicy(self.click_policy))
        _set(self, "nsfw_policy", NsfwPolicy(self.nsfw_policy))
        _check_count("daily_quota_per_user", self.daily_quota_per_user, optional=True)
        _check_count("monthly_budget", self.monthly_budget, optional=True)
        _set(self, "banned_words", _words("banned_words", self.banned_words))
        _mode("default_mode", self.default_mode)
        _check_bool("relax_enabled", self.relax_enabled)
        _check_count("max_repeat", self.max_repeat, optional=False, minimum=1)
        _check_count("concurrent_per_user", self.concurrent_per_user, optional=True, minimum=1)
        _check_count("cooldown_seconds", self.cooldown_seconds, optional=False)
        _set(self, "role_quotas", _role_quotas(self.role_quotas))
        _check_bool("budget_exempt_mods", self.budget_exempt_mods)
        _check_id("mod_log_channel_id", self.mod_log_channel_id)
        _check_bool("private_by_default", self.private_by_default)
        _set(self, "turbo_role_ids", _ids("turbo_role_ids", self.turbo_role_ids))
        _check_count("escalation_timeout_at", self.escalation_timeout_at, optional=False)
        _check_count("escalation_minutes", self.escalation_minutes, optional=False, minimum=1)
        if self.escalation_minutes > 28 * 24 * 60:
            raise ValueError("escalation_minutes must be at most 28 days (Discord's limit)")
        if self.api_key_encrypted is not None and not isinstance(self.api_key_encrypted, bytes):
            raise ValueError("api_key_encrypted must be bytes")


class GuildChanges(TypedDict, total=False):
    allowed_channel_ids: Sequence[int]
    click_policy: ClickPolicy | str
    mod_role_ids: Sequence[int]
    daily_quota_per_user: int | None
    monthly_budget: int | None
    banned_words: Sequence[str]
    default_mode: str | None
    relax_enabled: bool
    nsfw_policy: NsfwPolicy | str
    max_repeat: int
    concurrent_per_user: int | None
    cooldown_seconds: int
    role_quotas: Sequence[tuple[int, int | None]]
    budget_exempt_mods: bool
    mod_log_channel_id: int | None
    private_by_default: bool
    escalation_timeout_at: int
    escalation_minutes: int
    turbo_role_ids: Sequence[int]


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    """A channel's defaults for members' jobs (typed options and prompt parameters override
    them) and its own monthly budget."""

    channel_id: int
    guild_id: int
    mode: str | None = None  # None: the member's, the guild's, then the operator's default
    version: str | None = None  # --v, e.g. "7" or "niji 6"
    aspect: str | None = None  # --ar, e.g. "16:9"
    private: bool | None = None  # None: the member's or the guild's default
    suffix: str = ""  # appended to every prompt, e.g. "--stylize 250"
    monthly_budget: int | None = None  # credits; None: only the guild's budget applies

    def __post_init__(self) -> None:
        _mode("mode", self.mode)
        if self.version is not None and not (
            isinstance(self.version, str) and 0 < len(self.version) <= 10
        ):
            raise ValueError("version must be a short text like 7 or niji 6")
        if self.aspect is not None and not _ASPECT.match(str(self.aspect)):
            raise ValueError("aspect must look like 16:9")
        if self.private is not None:
            _check_bool("private", self.private)
        if not isinstance(self.suffix, str) or len(self.suffix) > 200:
            raise ValueError("suffix must be a text of at most 200 characters")
        _set(self, "suffix", self.suffix.strip())
        _check_count("monthly_budget", self.monthly_budget, optional=True)


class ChannelChanges(TypedDict, total=False):
    mode: str | None
    version: str | None
    aspect: str | None
    private: bool | None
    suffix: str
    monthly_budget: int | None


@dataclass(frozen=True, slots=True)
class UserSettings:
    user_id: int
    remix: bool = False  # V/pan/reroll open a prompt editor first
    default_mode: str | None = None  # None: the guild's, then the operator's default
    private: bool = False  # results shown only to the user where Discord allows (stealth)
    version: str | None = None  # "7", "niji 6": used when the prompt sets none
    aspect: str | None = None  # "3:2"
    stylize: int | None = None  # 0–1000
    suffix: str = ""  # appended to every prompt
    personalize: str | None = None  # a --p code ("" alone: --p with no code)
    # /prefer option set: named parameter sets, `--name` in a prompt expands to the value.
    option_sets: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        _check_bool("remix", self.remix)
        _mode("default_mode", self.default_mode)
        _check_bool("private", self.private)
        if self.version is not None and not (
            isinstance(self.version, str) and 0 < len(self.version) <= 10
        ):
            raise ValueError("version must be a short text like 7 or niji 6")
        if self.aspect is not None and not _ASPECT.match(str(self.aspect)):
            raise ValueError("aspect must look like 16:9")
        if self.stylize is not None and not (_is_int(self.stylize) and 0 <= self.stylize <= 1000):
            raise ValueError("stylize must be a whole number from 0 to 1000")
        if not isinstance(self.suffix, str) or len(self.suffix) > 200:
            raise ValueError("suffix must be a text of at most 200 characters")
        _set(self, "suffix", self.suffix.strip())
        if self.personalize is not None and not _CODE.fullmatch(str(self.personalize)):
            raise ValueError("a personalization code is letters and digits")
        _set(self, "option_sets", _option_sets(self.option_sets))


class UserChanges(TypedDict, total=False):
    remix: bool
    default_mode: str | None
    private: bool
    version: str | None
    aspect: str | None
    stylize: int | None
    suffix: str
    personalize: str | None
    option_sets: Sequence[tuple[str, str]]


MAX_OPTION_SETS = 20


def _option_sets(value: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError("option sets must be a list of (name, value)")
    found: dict[str, str] = {}
    for item in value:
        if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 2:
            raise ValueError("option sets must be a list of (name, value)")
        name, text = str(item[0]).lower(), str(item[1]).strip()
        if not _OPTION_NAME.fullmatch(name):
            raise ValueError("an option name is 1 to 20 letters, digits, - or _")
        if not text or len(text) > 300:
            raise ValueError("an option's value is 1 to 300 characters")
        found[name] = text
    if len(found) > MAX_OPTION_SETS:
        raise ValueError(f"at most {MAX_OPTION_SETS} option sets")
    return tuple(found.items())


def _check_id(name: str, value: object) -> None:
    if value is not None and not (_is_int(value) and value > 0):  # type: ignore[operator]
        raise ValueError(f"{name} must be an id")


def _role_quotas(value: object) -> tuple[tuple[int, int | None], ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError("role_quotas must be a list of (role id, quota)")
    found: dict[int, int | None] = {}
    for item in value:
        if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 2:
            raise ValueError("role_quotas must be a list of (role id, quota)")
        role, quota = item
        _check_id("a role id", role)
        _check_count("a role's quota", quota, optional=True)
        found[int(role)] = quota
    return tuple(found.items())
