"""The limits that apply to one member's job, and the checks that must run inside the
reserve transaction (so two jobs started together cannot both slip under a limit).

Budgets are per calendar month (UTC), as a server owner pays; quotas per rolling day. Which
quota applies: a role's own quota (the most generous of the member's roles) over the server's;
moderators may be exempt from the budget (a setting). Budget alerts go out once per threshold
and month, however many jobs cross it at once (the database keeps that promise).
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass

from bot.db import Database
from bot.db.records import ChannelSettings, GuildSettings, JobStatus, QuotaOutcome
from bot.errors import Refused
from bot.jobs.events import Requester

DAY = 86_400.0
THRESHOLDS = (50, 80, 100)  # percent of a budget at which the mod-log hears about it


@dataclass(frozen=True, slots=True)
class Limits:
    """What applies to one requester (None: no limit)."""

    user_limit: int | None
    guild_limit: int | None
    channel_limit: int | None = None
    concurrent: int | None = None
    cooldown: int = 0


def month_start(now: float) -> float:
    t = time.gmtime(now)
    return _utc(t.tm_year, t.tm_mon)


def next_month_start(now: float) -> float:
    t = time.gmtime(now)
    year, month = (t.tm_year + 1, 1) if t.tm_mon == 12 else (t.tm_year, t.tm_mon + 1)
    return _utc(year, month)


def period(now: float) -> str:
    return time.strftime("%Y-%m", time.gmtime(now))


def _utc(year: int, month: int) -> float:
    return float(calendar.timegm((year, month, 1, 0, 0, 0, 0, 0, 0)))


def for_member(req: Requester, guild: GuildSettings, channel: ChannelSettings) -> Limits:
    """The limits of `req` in this guild and channel."""
    quota = guild.daily_quota_per_user
    own = [q for role, q in guild.role_quotas if role in req.role_ids]
    if own:  # a role's own quota; None (no limit) is the most generous
        quota = None if None in own else max(q for q in own if q is not None)
    exempt = req.is_moderator and guild.budget_exempt_mods
    return Limits(
        user_limit=quota,
        guild_limit=None if exempt else guild.monthly_budget,
        channel_limit=None if exempt else channel.monthly_budget,
        concurrent=guild.concurrent_per_user,
        cooldown=guild.cooldown_seconds,
    )


async def check_running(db: Database, req: Requester, limits: Limits, now: float) -> None:
    """Jobs at once and the cooldown, counted inside the reserve transaction (the new job's
    row is already written, so it counts itself)."""
    if limits.concurrent is None and not limits.cooldown:
        return
    recent = await db.jobs.list_for_user(
        req.guild_id, req.user_id, limit=max(2, (limits.concurrent or 0) + 1)
    )
    if limits.concurrent is not None:
        running = [j for j in recent if j.status.is_pending or j.status == JobStatus.RESERVED]
        if len(running) > limits.concurrent:
            raise Refused("limit.concurrent", limit=limits.concurrent)
    if limits.cooldown and len(recent) > 1:
        ready = recent[1].created_at + limits.cooldown
        if ready > now:
            raise Refused("limit.cooldown", reset=int(ready) + 1)


async def over_quota(
    db: Database, outcome: QuotaOutcome, req: Requester, limits: Limits, now: float
) -> Refused:
    """The refusal naming the limit that was hit and when it frees up: budgets at the next
    month, a daily quota when its oldest counted charge is a day old."""
    if outcome in (QuotaOutcome.GUILD_LIMIT, QuotaOutcome.CHANNEL_LIMIT):
        key = "quota.guild" if outcome == QuotaOutcome.GUILD_LIMIT else "quota.channel"
        return Refused(key, reset=int(next_month_start(now)))
    oldest = await db.ledger.oldest_charge(req.guild_id, req.user_id, now - DAY)
    key = "quota.dm" if req.guild_id is None else "quota.user"
    return Refused(key, limit=limits.user_limit or 0, reset=int((oldest or now) + DAY))


def crossed(before: int, after: int, budget: int | None) -> list[int]:
    """The thresholds (percent) that spending from `before` to `after` crossed."""
    if not budget:
        return []
    return [t for t in THRESHOLDS if before * 100 < t * budget <= after * 100]


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    channel_id: int | None  # None: the server's budget
    threshold: int  # percent
    spent: int
    budget: int


async def budget_alerts(
    db: Database, guild_id: int, channel_id: int, cost: int, now: float
) -> list[BudgetAlert]:
    """The alerts due after a job of `cost` credits (0: a job refused at the budget, which
    means 100 %), each at most once per threshold, budget and month."""
    guild = await db.guilds.get(guild_id)
    channel = await db.channels.get(guild_id, channel_id)
    since = month_start(now)
    due = []
    for where, budget in ((None, guild.monthly_budget), (channel_id, channel.monthly_budget)):
        if not budget:
            continue
        spent = await db.ledger.spent(guild_id, since, where)
        thresholds = crossed(spent - cost, spent, budget) if cost else [100]
        scope = "guild" if where is None else f"channel:{where}"
        for threshold in thresholds:
            if await db.channels.alert_once(guild_id, scope, period(now), threshold):
                due.append(BudgetAlert(where, threshold, spent, budget))
    return due
