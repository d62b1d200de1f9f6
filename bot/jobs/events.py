"""What the job layer tells the Discord side, and the records it takes in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.cometapi.client import CometAPIClient
from bot.db.records import JobRecord


class EventKind(StrEnum):
    CHANGED = "changed"  # queued position, progress or preview moved on
    FINISHED = "finished"  # SUCCEEDED: deliver the result once
    FAILED = "failed"  # FAILED or TIMED_OUT: tell why, refunded
    NOTICE = "notice"  # something worth one line (upstream slow, …)


@dataclass(frozen=True, slots=True)
class JobEvent:
    kind: EventKind
    job: JobRecord
    notice: str | None = None


EventSink = Callable[[JobEvent], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asked, where: what the Discord side knows about an interaction."""

    user_id: int
    channel_id: int
    guild_id: int | None = None
    is_moderator: bool = False
    role_ids: tuple[int, ...] = ()  # the member's roles (a role may have its own quota)
    channel_nsfw: bool = False  # an age-restricted channel (NSFW prompts may be allowed)
    interaction_token: str | None = None
    interaction_expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class JobConfig:
    deadline_seconds: float = 1800.0
    # Reconciling a submit whose answer was lost: how long to wait for the task to show up.
    reconcile_grace: float = 120.0
    # Poll pace: young jobs often, old ones less (the gateway refreshes every ~15 s).
    poll_young: float = 3.0
    poll_old: float = 15.0
    young_age: float = 90.0
    # After its deadline a job is refunded but still looked at, slowly, this long: a late
    # success is delivered (free). The gateway itself fails anything after an hour.
    late_window: float = 3600.0
    # A task the upstream keeps not knowing is given up after this many polls.
    max_unknown_polls: int = 5
    batch_size: int = 100
    notify_hook: str | None = None
    # The operator's switches: relax mode at all, and jobs per user per day in DMs (0: none).
    relax_enabled: bool = False
    dm_daily_jobs: int = 0
    costs: dict[str, int] = field(default_factory=lambda: {"fast": 1, "turbo": 3, "relax": 1})
    # Credits for particular buttons (an action kind such as "animate_high"), whatever the
    # mode; the others cost what their mode costs.
    action_costs: dict[str, int] = field(default_factory=dict)
    # Only servers with their own CometAPI key may use the bot (the operator's choice).
    require_guild_keys: bool = False

    def cost_of(self, mode: str, action: str = "") -> int:
        """Credits for a job in `mode` (a button's own cost, when it has one)."""
        return self.action_costs.get(action, self.costs[mode])


class ClientProvider(Protocol):
    """Which CometAPI client serves a guild (its own key, or the operator's). Both may raise
    Refused (a guild key that cannot be read: bot/jobs/keys.py)."""

    async def client_for(self, key_scope: int | None) -> CometAPIClient: ...

    async def scope_for(self, guild_id: int | None) -> int | None: ...


class SingleClient:
    """Every guild uses the operator's key."""

    def __init__(self, client: CometAPIClient) -> None:
        self._client = client

    async def client_for(self, key_scope: int | None) -> CometAPIClient:
        return self._client

    async def scope_for(self, guild_id: int | None) -> int | None:
        return None
