"""Typed records the repositories return. Settings (guild, channel, role, user) and their
defaults live in bot/db/scopes.py and are re-exported here."""

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
    CHANNEL_LIMIT = "channel_limit"  # the channel's own budget is used up
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
class BanRecord:
    user_id: int
    actor_id: int
    reason: str
    created_at: float
    expires_at: float | None  # None: until unbanned


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    guild_id: int | None
    actor_id: int
    action: str
    detail: dict[str, Any]
    allowed: bool
    created_at: float


@dataclass(frozen=True, slots=True)
class RegionSession:
    """An open mask editor: Vary (Region) for one button of one job, or /edit for an
    uploaded image (no job, no button; the image is kept with the session)."""

    id: int
    job_id: int | None  # None for /edit
    button_index: int | None
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
    # /edit only: the mode and visibility resolved when the command was typed.
    mode: str = ""
    private: bool = False

    @property
    def is_edit(self) -> bool:
        return self.job_id is None


# Settings records and their defaults: one place, bot/db/scopes.py (imported last: it uses the
# enums above).
from bot.db.scopes import ChannelChanges as ChannelChanges  # noqa: E402
from bot.db.scopes import ChannelSettings as ChannelSettings  # noqa: E402
from bot.db.scopes import GuildChanges as GuildChanges  # noqa: E402
from bot.db.scopes import GuildSettings as GuildSettings  # noqa: E402
from bot.db.scopes import UserChanges as UserChanges  # noqa: E402
from bot.db.scopes import UserSettings as UserSettings  # noqa: E402
