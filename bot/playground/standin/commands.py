"""Slash-command interaction data built from the synced command tree, like the Discord client.

Options are typed per the synced definition; attachments go through ``data.resolved``;
subcommands and groups are addressed with spaces: ``"settings show"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .attachments import as_upload
from .model import ADMINISTRATOR, ChannelRecord, RoleRecord, UserRecord

if TYPE_CHECKING:
    from .server import FakeDiscord

SUBCOMMAND, GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)


class CommandNotAvailable(LookupError):
    """The Discord client would not offer this command (unknown, hidden, wrong channel)."""


def find_command(
    fake: FakeDiscord, name: str, channel: ChannelRecord, *, kind: int = 1
) -> tuple[dict[str, Any], list[str]]:
    """The synced command (guild commands first) and the subcommand path under it."""
    parts = name.split() if kind == 1 else [name]
    for command in fake.world.commands_for(channel.guild_id):
        if command["name"] == parts[0] and command["type"] == kind:
            return command, parts[1:]
    known = sorted(c["name"] for c in fake.world.commands_for(channel.guild_id))
    raise CommandNotAvailable(f"no synced command {parts[0]!r} here; synced: {known}")


def check_visible(
    fake: FakeDiscord, command: dict[str, Any], user: UserRecord, channel: ChannelRecord
) -> None:
    """Enforce what the client enforces: default_member_permissions, nsfw, DM contexts."""
    guild = fake.world.guild_of(channel)
    if guild is None:
        contexts = command.get("contexts")
        if command.get("guild_id") or command.get("dm_permission") is False:
            raise CommandNotAvailable(f"/{command['name']} is not available in DMs")
        if contexts is not None and 1 not in contexts:
            raise CommandNotAvailable(f"/{command['name']} is not available in DMs")
    else:
        contexts = command.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise CommandNotAvailable(f"/{command['name']} is not available in servers")
        needed = command.get("default_member_permissions")
        if needed is not None:
            have = fake.world.permissions(channel, user)
            allowed = (
                have & ADMINISTRATOR if int(needed) == 0 else have & int(needed) == int(needed)
            )
            if not allowed:
                raise CommandNotAvailable(f"{user.username} cannot see /{command['name']}")
    if command.get("nsfw") and not channel.nsfw:
        raise CommandNotAvailable(f"/{command['name']} is age-restricted; {channel.name} is not")


def build_data(
    fake: FakeDiscord,
    command: dict[str, Any],
    path: list[str],
    values: dict[str, Any],
    channel: ChannelRecord,
    *,
    focused: str | None = None,
) -> dict[str, Any]:
    """APPLICATION_COMMAND (or autocomplete, with ``focused``) interaction data."""
    resolved: dict[str, dict[str, Any]] = {}
    definitions = command.get("options") or []
    wrappers: list[dict[str, Any]] = []
    for part in path:
        option = next((o for o in definitions if o["name"] == part and o["type"] in (1, 2)), None)
        if option is None:
            raise CommandNotAvailable(f"/{command['name']} has no subcommand {part!r}")
        wrappers.append({"type": option["type"], "name": part, "options": []})
        definitions = option.get("options") or []
    if any(o["type"] in (SUBCOMMAND, GROUP) for o in definitions):
        raise CommandNotAvailable(
            f"/{command['name']} needs a subcommand: {[o['name'] for o in definitions]}"
        )
    options = _typed_options(fake, definitions, values, channel, resolved, focused)
    for wrapper in reversed(wrappers):
        wrapper["options"] = options
        options = [wrapper]
    data: dict[str, Any] = {
        "id": command["id"],
        "name": command["name"],
        "type": command["type"],
        "options": options,
    }
    if resolved:
        data["resolved"] = resolved
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    return data


def _typed_options(
    fake: FakeDiscord,
    definitions: list[dict[str, Any]],
    values: dict[str, Any],
    channel: ChannelRecord,
    resolved: dict[str, dict[str, Any]],
    focused: str | None,
) -> list[dict[str, Any]]:
    by_name = {o["name"]: o for o in definitions}
    unknown = set(values) - set(by_name)
    if unknown:
        raise TypeError(f"unknown options {sorted(unknown)}; the command has {sorted(by_name)}")
    out: list[dict[str, Any]] = []
    for definition in definitions:
        name = definition["name"]
        if name not in values:
            if definition.get("required") and focused is None:
                raise TypeError(f"the required option {name!r} is missing")
            continue
        if name == focused:
            out.append(
                {
                    "name": name,
                    "type": definition["type"],
                    "value": str(values[name]),
                    "focused": True,
                }
            )
            continue
        value = _convert(fake, definition, values[name], channel, resolved)
        out.append({"name": name, "type": definition["type"], "value": value})
    return out


def _convert(
    fake: FakeDiscord,
    definition: dict[str, Any],
    raw: Any,
    channel: ChannelRecord,
    resolved: dict[str, dict[str, Any]],
) -> Any:
    kind, name = definition["type"], definition["name"]
    world = fake.world
    if kind == STRING:
        value: Any = str(raw)
        low, high = definition.get("min_length", 0), definition.get("max_length", 6000)
        if not low <= len(value) <= high:
            raise ValueError(f"{name!r}: {len(value)} characters; the client allows {low}–{high}")
    elif kind in (INTEGER, NUMBER):
        if isinstance(raw, bool):
            raise TypeError(f"{name!r} is a number")
        value = int(raw) if kind == INTEGER else float(raw)
        low, high = definition.get("min_value"), definition.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"{name!r}: {value} is outside {low}–{high}")
    elif kind == BOOLEAN:
        value = bool(raw)
    elif kind in (USER, MENTIONABLE) and not isinstance(raw, RoleRecord):
        user = world.user(getattr(raw, "record", raw))
        value = str(user.id)
        resolved.setdefault("users", {})[value] = user.to_json()
        guild = world.guild_of(channel)
        if guild is not None and user.id in guild.members:
            member = guild.members[user.id].to_json(with_user=False)
            member["permissions"] = str(world.permissions(channel, user))
            resolved.setdefault("members", {})[value] = member
    elif kind in (ROLE, MENTIONABLE):
        guild = world.guild_of(channel)
        role = raw if isinstance(raw, RoleRecord) else guild.role(raw) if guild else None
        if role is None:
            raise TypeError(f"{name!r}: no role {raw!r}")
        value = str(role.id)
        resolved.setdefault("roles", {})[value] = role.to_json()
    elif kind == CHANNEL:
        target = world.channel(raw, world.guild_of(channel))
        value = str(target.id)
        data = target.to_json(bot_id=world.bot.id)
        data["permissions"] = str(world.permissions(target, world.bot))
        resolved.setdefault("channels", {})[value] = data
    elif kind == ATTACHMENT:
        upload = as_upload(0, raw)
        if len(upload.data) > fake.attachment_size_limit:
            raise ValueError(f"{name!r}: {upload.filename} exceeds the upload limit")
        stored = world.attachments.put(
            upload, folder=f"ephemeral-attachments/{world.application_id}", ephemeral=True
        )
        value = str(stored.id)
        resolved.setdefault("attachments", {})[value] = world.attachments.to_json(stored)
    else:
        raise TypeError(f"{name!r}: option type {kind} is not supported by the fake")
    choices = definition.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise ValueError(f"{name!r}: {value!r} is not one of the choices {choices}")
    return value
