"""What moderators change, Discord-free: every operation authorizes the actor at run time
(AdminGate) and lands in the audit trail with its value before and after.

The Discord side (cogs/admin.py, bot/ui/admin_*.py) only turns interactions into `Actor`s and
typed values, and results into messages.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.db import Database
from bot.db.kits import StyleKit
from bot.db.records import AuditEntry, BanRecord, ChannelSettings, GuildSettings
from bot.errors import Refused
from bot.jobs.admin import Actor, AdminGate
from bot.jobs.keys import GuildKeys, KeyStatus
from bot.jobs.kits import make_kit, publish
from bot.jobs.usage import UsageReport, build_report

MAX_BAN_DAYS = 3650
MAX_WORDS = 1000  # as many as an imported list may hold
CSV_ROWS = 50_000  # about 5 MB: well within Discord's upload limit
AUDIT_PAGE = 10


@dataclass(frozen=True, slots=True)
class Overview:
    settings: GuildSettings
    changed: frozenset[str]
    channels: list[tuple[ChannelSettings, frozenset[str]]]
    bans: int
    key: KeyStatus


class GuildAdmin:
    def __init__(self, db: Database, keys: GuildKeys) -> None:
        self.db = db
        self.keys = keys
        self.gate = AdminGate(db)

    # --- reading -------------------------------------------------------------------------
    async def overview(self, actor: Actor) -> Overview:
        guild_id = await self.gate.authorize(actor, "admin.overview", {})
        return Overview(
            settings=await self.db.guilds.get(guild_id),
            changed=await self.db.guilds.changed(guild_id),
            channels=await self.db.channels.changed(guild_id),
            bans=len(await self.db.guilds.ban_records(guild_id)),
            key=await self.key_status_of(guild_id),
        )

    async def audit(
        self,
        actor: Actor,
        *,
        user_id: int | None = None,
        kind: str | None = None,
        before_id: int | None = None,
    ) -> list[AuditEntry]:
        detail = {"user": user_id, "kind": kind}
        guild_id = await self.gate.authorize(actor, "admin.audit", detail)
        return await self.db.audit.page(
            guild_id, actor_id=user_id, action_prefix=kind, before_id=before_id, limit=AUDIT_PAGE
        )

    async def bans(self, actor: Actor) -> list[BanRecord]:
        guild_id = await self.gate.authorize(actor, "admin.bans", {})
        return await self.db.guilds.ban_records(guild_id)

    # --- guild settings ------------------------------------------------------------------
    async def set(self, actor: Actor, action: str, **changes: Any) -> GuildSettings:
        """Change guild settings by name (validated by GuildSettings); audited per name."""

        async def apply(guild_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
            before = await self.db.guilds.get(guild_id)
            after = await self.db.guilds.update(guild_id, **changes)
            return _fields(before, changes), _fields(after, changes)

        await self._change(actor, action, apply, {"settings": sorted(changes)})
        return await self.db.guilds.get(actor.guild_id or 0)

    async def reset(self, actor: Actor, action: str, *names: str) -> GuildSettings:
        async def apply(guild_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
            before = await self.db.guilds.get(guild_id)
            after = await self.db.guilds.reset(guild_id, *names)
            return _fields(before, names), _fields(after, names)

        await self._change(actor, action, apply, {"reset": sorted(names)})
        return await self.db.guilds.get(actor.guild_id or 0)

    async def set_channel(self, actor: Actor, channel_id: int, **changes: Any) -> ChannelSettings:
        async def apply(guild_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
            before = await self.db.channels.get(guild_id, channel_id)
            after = await self.db.channels.update(guild_id, channel_id, **changes)
            return _fields(before, changes), _fields(after, changes)

        detail = {"channel": channel_id, "settings": sorted(changes)}
        await self._change(actor, "admin.channel", apply, detail)
        return await self.db.channels.get(actor.guild_id or 0, channel_id)

    async def reset_channel(self, actor: Actor, channel_id: int) -> None:
        async def apply(guild_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
            before = await self.db.channels.get(guild_id, channel_id)
            after = await self.db.channels.reset(guild_id, channel_id)
            return _fields(before, None), _fields(after, None)

        await self._change(actor, "admin.channel.reset", apply, {"channel": channel_id})

    async def allow_channel(self, actor: Actor, channel_id: int, allowed: bool) -> GuildSettings:
        """Add or remove a channel from the allow-list (an empty list: everywhere)."""
        current = (await self.db.guilds.get(actor.guild_id or 0)).allowed_channel_ids
        ids = [c for c in current if c != channel_id] + ([channel_id] if allowed else [])
        return await self.set(actor, "admin.channels", allowed_channel_ids=ids)

    # --- banned words --------------------------------------------------------------------
    async def words(self, actor: Actor) -> tuple[str, ...]:
        guild_id = await self.gate.authorize(actor, "admin.words.list", {})
        return (await self.db.guilds.get(guild_id)).banned_words

    async def add_words(self, actor: Actor, words: list[str], *, replace: bool = False) -> int:
        """Add (or with `replace`, set) the server's banned words; how many it has now."""
        current = () if replace else (await self.db.guilds.get(actor.guild_id or 0)).banned_words
        merged = list(dict.fromkeys([*current, *words]))
        if len(merged) > MAX_WORDS:
            raise Refused("admin.too_many_words", most=MAX_WORDS)
        action = "admin.words.import" if replace else "admin.words.add"
        return len((await self.set(actor, action, banned_words=merged)).banned_words)

    async def remove_words(self, actor: Actor, words: list[str]) -> int:
        gone = {w.casefold() for w in words}
        current = (await self.db.guilds.get(actor.guild_id or 0)).banned_words
        kept = [w for w in current if w.casefold() not in gone]
        return len((await self.set(actor, "admin.words.remove", banned_words=kept)).banned_words)

    # --- style kits ----------------------------------------------------------------------
    async def publish_kit(
        self, actor: Actor, name: str, params: str, suffix: str, description: str, now: float
    ) -> StyleKit:
        guild_id = await self.gate.authorize(actor, "admin.kit.add", {"name": name})
        kit = make_kit(guild_id, name, params, suffix, description, actor.user_id, now)
        before = await self.db.kits.get(guild_id, kit.name)
        await publish(self.db, kit)
        detail = {"name": kit.name, "before": _kit(before), "after": _kit(kit)}
        await self.db.audit.log(guild_id, actor.user_id, "admin.kit.add", detail, True)
        return kit

    async def remove_kit(self, actor: Actor, name: str) -> bool:
        guild_id = await self.gate.authorize(actor, "admin.kit.remove", {"name": name})
        before = await self.db.kits.get(guild_id, name)
        removed = await self.db.kits.remove(guild_id, name)
        detail = {"name": name, "before": _kit(before), "after": None}
        await self.db.audit.log(guild_id, actor.user_id, "admin.kit.remove", detail, True)
        return removed

    async def kits(self, actor: Actor) -> list[StyleKit]:
        guild_id = await self.gate.authorize(actor, "admin.kit.list", {})
        return await self.db.kits.list(guild_id)

    # --- usage ---------------------------------------------------------------------------
    async def usage(self, actor: Actor, days: int, now: float) -> tuple[UsageReport, list[Any]]:
        """The report for the last `days` days, and its rows for the CSV."""
        guild_id = await self.gate.authorize(actor, "admin.usage", {"days": days})
        budget = (await self.db.guilds.get(guild_id)).monthly_budget
        report = await build_report(self.db.usage, guild_id, days=days, now=now, budget=budget)
        rows = await self.db.usage.rows(guild_id, report.since, report.until, limit=CSV_ROWS)
        return report, rows

    # --- members -------------------------------------------------------------------------
    async def ban(
        self, actor: Actor, user_id: int, *, reason: str, days: float | None, now: float
    ) -> BanRecord:
        if days is not None and not 0 < days <= MAX_BAN_DAYS:
            raise Refused("admin.ban_days", most=MAX_BAN_DAYS)
        if user_id == actor.user_id:
            raise Refused("admin.ban_self")
        expires = now + days * 86_400 if days is not None else None

        async def apply(guild_id: int) -> tuple[object, object]:
            before = await self.db.guilds.ban_of(guild_id, user_id)
            await self.db.guilds.ban(
                guild_id, user_id, actor_id=actor.user_id, reason=reason, expires_at=expires
            )
            return _ban(before), _ban(await self.db.guilds.ban_of(guild_id, user_id))

        detail = {"user": user_id, "reason": reason, "days": days}
        await self._change(actor, "admin.ban", apply, detail)
        found = await self.db.guilds.ban_of(actor.guild_id or 0, user_id)
        assert found is not None  # just written, under the same gate
        return found

    async def unban(self, actor: Actor, user_id: int) -> bool:
        async def apply(guild_id: int) -> tuple[object, object]:
            before = await self.db.guilds.ban_of(guild_id, user_id)
            await self.db.guilds.unban(guild_id, user_id)
            return _ban(before), None

        before = await self._change(actor, "admin.unban", apply, {"user": user_id})
        return before is not None

    async def refund(self, actor: Actor, job_id: int) -> bool:
        """Give a job's charge back (once: the ledger allows one refund per job). Only a job
        of the moderator's own server."""
        job = await self.db.jobs.get(job_id)
        detail = {"job": job_id}
        guild_id = await self.gate.authorize(actor, "admin.refund", detail)
        if job is None or job.guild_id != guild_id:
            raise Refused("job.not_found", job_id=job_id)
        refunded = await self.db.ledger.refund(job_id, f"refunded by moderator {actor.user_id}")
        await self.db.audit.log(
            guild_id, actor.user_id, "admin.refund", {**detail, "refunded": refunded}, True
        )
        return refunded

    async def result_message(self, actor: Actor, job_id: int) -> tuple[int, int]:
        """Where the job's result is (channel, message), for a moderator to delete it."""
        job = await self.db.jobs.get(job_id)
        guild_id = await self.gate.authorize(actor, "admin.delete", {"job": job_id})
        if job is None or job.guild_id != guild_id or job.message_id is None:
            raise Refused("job.not_found", job_id=job_id)
        await self.db.audit.log(guild_id, actor.user_id, "admin.delete", {"job": job_id}, True)
        return job.channel_id, job.message_id

    # --- the guild's own CometAPI key ------------------------------------------------------
    async def set_key(self, actor: Actor, raw: str) -> KeyStatus:
        """Validate against CometAPI, then store encrypted. The audit says "set", with the
        hint, never the key."""
        guild_id = await self.gate.authorize(actor, "admin.key.set", {})
        before = await self.key_status_of(guild_id)
        await self.keys.save(guild_id, raw)  # Refused with a sentence when it cannot be used
        after = await self.key_status_of(guild_id)
        detail = {"before": before.hint or before.state, "after": after.hint or after.state}
        await self.db.audit.log(guild_id, actor.user_id, "admin.key.set", detail, True)
        return after

    async def remove_key(self, actor: Actor) -> KeyStatus:
        guild_id = await self.gate.authorize(actor, "admin.key.remove", {})
        before = await self.key_status_of(guild_id)
        await self.keys.remove(guild_id)
        detail = {"before": before.hint or before.state, "after": "none"}
        await self.db.audit.log(guild_id, actor.user_id, "admin.key.remove", detail, True)
        return await self.key_status_of(guild_id)

    async def key_status(self, actor: Actor) -> KeyStatus:
        guild_id = await self.gate.authorize(actor, "admin.key.status", {})
        return await self.key_status_of(guild_id)

    async def key_status_of(self, guild_id: int) -> KeyStatus:
        return await self.keys.status(guild_id)

    # --- plumbing ------------------------------------------------------------------------
    async def _change(
        self,
        actor: Actor,
        action: str,
        apply: Callable[[int], Awaitable[tuple[Any, Any]]],
        detail: dict[str, Any],
    ) -> Any:
        """AdminGate.change, turning a bad value (ValueError from the records) into a sentence."""
        before: list[Any] = []

        async def recorded(guild_id: int) -> tuple[Any, Any]:
            try:
                pair = await apply(guild_id)
            except ValueError as exc:
                raise Refused("admin.bad_value", why=str(exc)) from None
            before.append(pair[0])
            return pair

        await self.gate.change(actor, action, recorded, detail)
        return before[0] if before else None


def _fields(record: object, names: Any) -> dict[str, Any]:
    values = dataclasses.asdict(record)  # type: ignore[call-overload]
    values.pop("api_key_encrypted", None)
    return values if names is None else {n: values[n] for n in names}


def _kit(kit: StyleKit | None) -> str | None:
    return None if kit is None else f"{kit.params} {kit.suffix}".strip()


def _ban(ban: BanRecord | None) -> object:
    if ban is None:
        return None
    until = (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ban.expires_at))
        if ban.expires_at
        else "until unbanned"
    )
    return f"banned ({ban.reason or 'no reason'}; {until})"
