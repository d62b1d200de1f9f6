"""Who may change a guild's settings, checked at run time on every admin action (faults.md 25).

Discord's `default_member_permissions` only hides a command, and a server's admins can widen
who sees it; a user-installed copy of the app can be run in a guild where the bot is not
installed; DMs have no guild at all. So every admin command, button, select and modal goes
through `AdminGate.change`: the member must have Manage Server (as Discord computed it for
this very interaction) in a guild where the bot is installed. Every attempt is audited —
denied ones too, with the reason — and a change records its value before and after.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.db import Database
from bot.errors import Refused

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Actor:
    """What Discord says about whoever runs an admin action, for this interaction."""

    user_id: int
    guild_id: int | None  # None in DMs
    manage_guild: bool  # the member's resolved permissions in this guild and channel
    installed_in_guild: bool  # False for a user install used in a guild without the bot


class AdminGate:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def authorize(self, actor: Actor, action: str, detail: Mapping[str, Any]) -> int:
        """The guild the actor may administer, or Refused("admin.denied") — audited either way."""
        reason = None
        if actor.guild_id is None:
            reason = "direct message"
        elif not actor.installed_in_guild:
            reason = "user install"
        elif not actor.manage_guild:
            reason = "no Manage Server permission"
        if reason is not None:
            await self.db.audit.log(
                actor.guild_id, actor.user_id, action, {**detail, "denied": reason}, False
            )
            raise Refused("admin.denied")
        assert actor.guild_id is not None
        return actor.guild_id

    async def change(
        self,
        actor: Actor,
        action: str,
        apply: Callable[[int], Awaitable[tuple[T, T]]],
        detail: Mapping[str, Any] | None = None,
    ) -> T:
        """Authorize, then `apply(guild_id)` → (before, after), and audit who changed what.
        Values must be free of secrets (a key is audited as "set"/"removed", never itself)."""
        guild_id = await self.authorize(actor, action, detail or {})
        before, after = await apply(guild_id)
        entry = {**(detail or {}), "before": _plain(before), "after": _plain(after)}
        await self.db.audit.log(guild_id, actor.user_id, action, entry, True)
        return after


def _plain(value: object) -> object:
    """A value the audit's JSON can hold."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
