"""Who a message pings: Discord's mention parsing under ``allowed_mentions``.

Only the content is parsed (mentions in embeds and components never notify anyone). Pings are
strings: ``"everyone"`` (``@everyone``), ``"here"`` (``@here``), ``"user:<id>"``,
``"role:<id>"`` and ``"replied:<id>"`` (the author of the message replied to). Worst case:
the author is assumed to hold MENTION_EVERYONE and every role to be mentionable.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import Problem

if TYPE_CHECKING:
    from .world import World

_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_EVERYONE = re.compile(r"@(everyone|here)")  # escaped as "@\u200beveryone" it does not match


def compute_pings(
    content: str,
    allowed_mentions: dict[str, Any] | None,
    *,
    author_id: int | None = None,
    replied_author_id: int | None = None,
) -> set[str]:
    """The mentions in ``content`` that notify someone.

    Without ``allowed_mentions`` everything parses (a reply pings its author too); with it,
    only what ``parse`` names or ``users``/``roles`` list, and the replied-to author only when
    ``replied_user`` is true. Nobody is notified by their own message."""
    everything = allowed_mentions is None
    allowed = allowed_mentions or {}
    parse = set(allowed.get("parse") or ()) if not everything else {"everyone", "users", "roles"}
    users = {str(u) for u in allowed.get("users") or ()}
    roles = {str(r) for r in allowed.get("roles") or ()}
    pings: set[str] = set()
    if content:
        if "everyone" in parse:
            pings.update(found for found in _EVERYONE.findall(content))
        for user_id in _USER.findall(content):
            if ("users" in parse or user_id in users) and user_id != str(author_id):
                pings.add(f"user:{user_id}")
        for role_id in _ROLE.findall(content):
            if "roles" in parse or role_id in roles:
                pings.add(f"role:{role_id}")
    replied = everything or bool(allowed.get("replied_user"))
    if replied and replied_author_id is not None and replied_author_id != author_id:
        pings.add(f"replied:{replied_author_id}")
    return pings


def check_allowed_mentions(payload: dict[str, Any], prefix: str = "") -> list[Problem]:
    """Discord refuses ``parse: ["users"]`` together with a ``users`` list (same for roles)."""
    allowed = payload.get("allowed_mentions")
    if not isinstance(allowed, dict):
        return []
    path = f"{prefix}.allowed_mentions" if prefix else "allowed_mentions"
    problems = []
    for kind in ("users", "roles"):
        if kind in (allowed.get("parse") or ()) and allowed.get(kind):
            problems.append(
                Problem(
                    f"{path}.parse",
                    f'"{kind}" in parse and a {kind} list are mutually exclusive',
                    "allowed-mentions",
                )
            )
    return problems


def mention_fields(pings: set[str], world: World, guild_id: int | None) -> dict[str, Any]:
    """``mentions``, ``mention_roles`` and ``mention_everyone`` of the message object."""
    mentioned: list[dict[str, Any]] = []
    roles: list[str] = []
    guild = world.guilds.get(guild_id) if guild_id else None
    for ping in sorted(pings):
        kind, _, value = ping.partition(":")
        if kind in ("user", "replied"):
            user = world.users.get(int(value))
            if user is None or any(m["id"] == value for m in mentioned):
                continue
            entry = user.to_json()
            member = guild.members.get(user.id) if guild is not None else None
            if member is not None:
                entry["member"] = member.to_json(with_user=False)
            mentioned.append(entry)
        elif kind == "role" and guild is not None and int(value) in guild.roles:
            roles.append(value)
    return {
        "mentions": mentioned,
        "mention_roles": roles,
        "mention_everyone": bool(pings & {"everyone", "here"}),
    }
