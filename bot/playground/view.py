"""What the playground's page shows, as JSON: the server, the people, the commands a person can
see, and the messages of a channel as that person sees them.

Messages go out in Discord's own shape (the stand-in's `message_json`), so the page renders
exactly what the bot sent; a few fields a Discord client works out for itself are added
(whose ephemeral message it is, who ran the command a response belongs to, the replied-to
message's first line)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.playground.standin import FakeDiscord, FakeMessage, FakeUser
from bot.playground.standin.commands import CommandNotAvailable, check_visible
from bot.playground.standin.model import ChannelRecord, GuildRecord, UserRecord

SUBCOMMAND, GROUP = 1, 2


@dataclass(frozen=True)
class Person:
    """Someone the page can act as: a member, a moderator, the owner."""

    key: str  # stable name in the page's URL and requests
    role: str  # what the switcher says they are
    user: FakeUser


def person_json(person: Person) -> dict[str, Any]:
    record = person.user.record
    return {
        "key": person.key,
        "id": str(record.id),
        "name": record.global_name or record.username,
        "role": person.role,
    }


def world_json(
    fake: FakeDiscord, guild: GuildRecord, people: list[Person], bot_web: str | None
) -> dict[str, Any]:
    channels = [fake.world.channels[c] for c in guild.channel_ids]
    return {
        "guild": {"id": str(guild.id), "name": guild.name},
        "channels": [
            {"id": str(c.id), "name": c.name, "nsfw": c.nsfw} for c in channels if not c.is_thread
        ],
        "people": [person_json(p) for p in people],
        "bot": {"id": str(fake.bot.id), "name": fake.bot.username},
        "editor": bot_web,
    }


def commands_json(fake: FakeDiscord, user: UserRecord, channel: ChannelRecord) -> list[Any]:
    """The slash commands ``user`` sees in ``channel``, one entry per runnable name ("admin
    ban" for a subcommand), with its options as synced by the bot."""
    found: list[dict[str, Any]] = []
    for command in fake.world.commands_for(channel.guild_id):
        if command.get("type", 1) != 1:
            continue
        try:
            check_visible(fake, command, user, channel)
        except CommandNotAvailable:
            continue
        found.extend(_runnable(command["name"], command.get("description", ""), command))
    return sorted(found, key=lambda c: str(c["name"]))


def _runnable(name: str, description: str, node: dict[str, Any]) -> list[dict[str, Any]]:
    options = node.get("options") or []
    nested = [o for o in options if o.get("type") in (SUBCOMMAND, GROUP)]
    if not nested:
        return [{"name": name, "description": description, "options": options}]
    out: list[dict[str, Any]] = []
    for child in nested:
        out.extend(_runnable(f"{name} {child['name']}", child.get("description", ""), child))
    return out


def messages_json(fake: FakeDiscord, user: UserRecord, channel: ChannelRecord) -> list[Any]:
    return [message_json(fake, m) for m in fake.visible_to(user, channel)]


def message_json(fake: FakeDiscord, message: FakeMessage) -> dict[str, Any]:
    data = fake.message_json(message)
    author = message.author
    data["author"]["display_name"] = author.global_name or author.username
    data["ephemeral"] = message.ephemeral
    data["loading"] = message.loading
    meta = message.interaction_metadata or {}
    if meta:
        user = meta.get("user") or {}
        who = user.get("global_name") or user.get("username")
        data["used"] = {"user": who, "user_id": user.get("id"), "command": meta.get("name")}
    reference = (message.message_reference or {}).get("message_id")
    target = fake.world.messages.get(int(reference)) if reference else None
    if target is not None:
        first = target.text.strip().splitlines()[0] if target.text.strip() else ""
        data["replied"] = {
            "author": target.author.global_name or target.author.username,
            "text": first[:120] or "Click to see attachment",
        }
    return data
