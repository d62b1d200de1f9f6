"""Typed records the repositories return, and the one place where setting defaults live.

Settings records validate and normalise themselves in `__post_init__`, so a bad value is refused
at `update()` time and a stored row edited by hand can only fall back to a default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypedDict

# One button of an upstream task: {"custom_id", "emoji", "label", "style"}.
Button = dict[str, Any]

MODES = ("fast", "turbo", "relax")


class JobStatus(StrEnum):
    RESERVED = "reserved"  # row written, not yet (known to be) submitted upstream
    SUBMITTED = "submitted"
    QUEUED = "queued"
    RUNNING = "running"
    MODAL = "modal"  # waits for /mj/submit/modal
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def is_pending(self) -> bool:
        return self not in TERMINAL_STATUSES


TERMINAL_STATUSES: frozenset[JobStatus] = frozenset(
    {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.TIMED_OUT, JobStatus.CANCELLED}
)
PENDING_STATUSES: frozenset[JobStatus] = frozenset(JobStatus) - TERMINAL_STATUSES


class ChargeState(StrEnum):
    NONE = "none"
    RESERVED = "reserved"  # quota taken by reserve_within_quota, upstream not yet accepted
    CHARGED = "charged"
    REFUNDED = "refunded"


class QuotaOutcome(StrEnum):
    CHARGED = "charged"
    USER_LIMIT = "user_limit"  # the user's daily quota is used up
    GUILD_LIMIT = "guild_limit"  # the guild's budget is used up
    ALREADY_CHARGED = "already_charged"


class LedgerKind(StrEnum):
    CHARGE = "charge"
    REFUND = "refund"


class ClickPolicy(StrEnum):
    OWNER = "owner"
    OWNER_AND_MODS = "owner_and_mods"
    ANYONE = "anyone"


class NsfwPolicy(StrEnum):
    BLOCK = "block"  # refused everywhere
    NSFW_CHANNELS = "nsfw_channels"  # only in channels Discord marks age-restricted


@dataclass(frozen=True, slots=True)
class JobRecord:
    id: int
    guild_id: int | None  # None in DMs
    channel_id: int
    user_id: int
    parent_id: int | None
    button_index: int | None  # which of the parent's buttons made this job
    task_id: str | None
    kind: str  # imagine, action, modal, blend, describe, shorten, video, edits …
    action: str  # upstream action or button family, free text
    status: JobStatus
    progress: int
    prompt: str
    final_prompt: str | None
    mode: str
    buttons: tuple[Button, ...]
    image_url: str | None
    video_url: str | None
    message_id: int | None  # the job's message in Discord
    result_message_id: int | None
    thread_id: int | None
    # An interaction token is a webhook token: keep it out of reprs and so out of logs.
    interaction_token: str | None = field(repr=False)
    interaction_expires_at: float | None
    private: bool
    charge_state: ChargeState
    cost: int
    fail_reason: str | None
    queue_position: int | None
    unknown_polls: int
    next_poll_at: float
    deadline_at: float | None
    created_at: float
    updated_at: float
    finished_at: float | None
    meta: dict[str, Any]


class JobChanges(TypedDict, total=False):
    """Fields `jobs.update` / `jobs.transition` accept (id and timestamps of creation excluded)."""

    guild_id: int | None
    channel_id: int
    user_id: int
    parent_id: int | None
    button_index: int | None
    task_id: str | None
    kind: str
    action: str
    status: JobStatus
    progress: int
    prompt: str
    final_prompt: str | None
    mode: str
    buttons: Sequence[Mapping[str, Any]]
    image_url: str | None
    video_url: str | None
    message_id: int | None
    result_message_id: int | None
    thread_id: int | None
    interaction_token: str | None
    interaction_expires_at: float | None
    private: bool
    charge_state: ChargeState
    cost: int
    fail_reason: str | None
    queue_position: int | None
    unknown_polls: int
    next_poll_at: float
    deadline_at: float | None
    finished_at: float | None
    meta: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    job_id: int
    button_index: int
    user_id: int
    child_job_id: int | None
    claimed_at: float


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    job_id: int
    guild_id: int | None
    user_id: int
    kind: LedgerKind
    amount: int
    reason: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    guild_id: int | None
    actor_id: int
    action: str
    detail: dict[str, Any]
    allowed: bool
    created_at: float


# --- settings ----------------------------------------------------------------------------


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
    max_repeat: int = 1  # each repeat is another paid job
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


@dataclass(frozen=True, slots=True)
class UserSettings:
    user_id: int
    remix: bool = False  # V/pan/reroll open a prompt editor first
    default_mode: str | None = None  # None: the guild's, then the operator's default
    private: bool = False  # results shown only to the user where Discord allows

    def __post_init__(self) -> None:
        _check_bool("remix", self.remix)
        _mode("default_mode", self.default_mode)
        _check_bool("private", self.private)


class UserChanges(TypedDict, total=False):
    remix: bool
    default_mode: str | None
    private: bool


@dataclass(frozen=True, slots=True)
class RegionSession:
    """An open Vary (Region) editor for one button of one job."""

    id: int
    job_id: int
    button_index: int
    user_id: int
    guild_id: int | None
    channel_id: int
    selection: str  # bot.imaging Selection.to_str(), "" before the first change
    prompt: str
    web_nonce: str | None
    created_at: float
    expires_at: float
    used_at: float | None
    child_job_id: int | None  # informational: nothing reads it back once the job exists
    # Whether the opener was a moderator (as Discord said when the session was opened); the
    # web editor presses the button with these rights, since it has no Discord member.
    is_moderator: bool = False
