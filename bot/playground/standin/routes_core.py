"""REST routes for login, the gateway URL, command sync, guilds, channels, users and DMs."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .errors import (
    MISSING_PERMISSIONS,
    UNKNOWN_COMMAND,
    UNKNOWN_GUILD,
    UNKNOWN_MEMBER,
    ApiError,
    not_found,
)
from .limits_forms import check_commands
from .model import ADMINISTRATOR, MODERATE_MEMBERS, GuildRecord, parse_iso
from .rest import Reply, Req
from .spec import validate

if TYPE_CHECKING:
    from .server import FakeDiscord


def install(fake: FakeDiscord) -> None:
    world = fake.world
    add = fake.rest.router.add

    async def me(req: Req) -> Reply:
        return Reply(body={**world.bot.to_json(), "verified": True, "mfa_enabled": False})

    async def get_user(req: Req) -> Reply:
        return Reply(body=world.user(req.int("user_id")).to_json())

    async def application(req: Req) -> Reply:
        owner = world.owner or world.bot
        return Reply(
            body={
                "id": str(world.application_id),
                "name": world.bot.username,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "hook": True,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": owner.to_json(),
                "team": None,
                "flags": 0,
                "bot": world.bot.to_json(),
                "interactions_endpoint_url": None,
                "rpc_origins": [],
                "approximate_guild_count": len(world.guilds),
                "tags": [],
                "redirect_uris": [],
            }
        )

    async def gateway(req: Req) -> Reply:
        return Reply(body={"url": fake.gateway_url})

    async def gateway_bot(req: Req) -> Reply:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}
        return Reply(
            body={"url": fake.gateway_url, "shards": fake.shard_count, "session_start_limit": limit}
        )

    add("GET", "/users/@me", me)
    add("GET", "/users/{user_id}", get_user)
    add("GET", "/oauth2/applications/@me", application)
    add("GET", "/applications/@me", application)
    add("GET", "/gateway", gateway, auth=False)
    add("GET", "/gateway/bot", gateway_bot)
    _install_commands(fake)
    _install_guilds(fake)


def _command_list(fake: FakeDiscord, req: Req) -> tuple[list[dict[str, Any]], int | None]:
    if req.int("application_id") != fake.world.application_id:
        raise ApiError(403, 50001, "Missing Access")
    guild_id = req.int("guild_id") if "guild_id" in req.params else None
    if guild_id is None:
        return fake.world.global_commands, None
    if guild_id not in fake.world.guilds:
        raise ApiError(403, 50001, "Missing Access")
    return fake.world.guild_commands.setdefault(guild_id, []), guild_id


def _stored_command(
    fake: FakeDiscord, body: dict[str, Any], guild_id: int | None, old: list[dict[str, Any]]
) -> dict[str, Any]:
    kind = body.get("type") or 1
    previous = next((c for c in old if c["name"] == body["name"] and c["type"] == kind), None)
    perms = body.get("default_member_permissions")
    command = {
        "id": previous["id"] if previous else str(fake.world.ids.next()),
        "application_id": str(fake.world.application_id),
        "version": str(fake.world.ids.next()),
        "type": kind,
        "name": body["name"],
        "name_localizations": body.get("name_localizations"),
        "description": body.get("description") or "",
        "description_localizations": body.get("description_localizations"),
        "options": copy.deepcopy(body.get("options") or []),
        "default_member_permissions": str(perms) if perms is not None else None,
        "dm_permission": body.get("dm_permission", True),
        "nsfw": bool(body.get("nsfw")),
        "contexts": body.get("contexts"),
        "integration_types": body.get("integration_types") or [0],
    }
    if guild_id is not None:
        command["guild_id"] = str(guild_id)
    return command


def _install_commands(fake: FakeDiscord) -> None:
    add = fake.rest.router.add

    def checked(req: Req, items: list[Any]) -> None:
        problems = []
        for i, item in enumerate(items):
            problems += validate("ApplicationCommandUpdateRequest", item, prefix=f"[{i}]")
        problems += check_commands(items)
        fake.check(req, problems)

    async def bulk_put(req: Req) -> Reply:
        commands, guild_id = _command_list(fake, req)
        items = req.json if isinstance(req.json, list) else []
        if not isinstance(req.json, list):
            fake.check(req, validate("ApplicationCommandUpdateRequest", req.json))
        checked(req, items)
        new = [_stored_command(fake, item, guild_id, commands) for item in items]
        commands[:] = new
        fake.sync_count += 1
        return Reply(body=copy.deepcopy(new))

    async def list_commands(req: Req) -> Reply:
        commands, _ = _command_list(fake, req)
        return Reply(body=copy.deepcopy(commands))

    async def create(req: Req) -> Reply:
        commands, guild_id = _command_list(fake, req)
        checked(req, [req.body()])
        command = _stored_command(fake, req.body(), guild_id, commands)
        commands[:] = [c for c in commands if c["id"] != command["id"]] + [command]
        return Reply(201, copy.deepcopy(command))

    def find(req: Req) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        commands, _ = _command_list(fake, req)
        for command in commands:
            if command["id"] == req.params["command_id"]:
                return commands, command
        raise not_found(UNKNOWN_COMMAND, "application command")

    async def get_one(req: Req) -> Reply:
        return Reply(body=copy.deepcopy(find(req)[1]))

    async def edit(req: Req) -> Reply:
        commands, command = find(req)
        merged = {k: v for k, v in command.items() if k in ("name", "description", "options")}
        merged.update(req.body())
        checked(req, [merged])
        command.update(_stored_command(fake, merged, None, commands), id=command["id"])
        return Reply(body=copy.deepcopy(command))

    async def delete(req: Req) -> Reply:
        commands, command = find(req)
        commands.remove(command)
        return Reply(204)

    for base in (
        "/applications/{application_id}",
        "/applications/{application_id}/guilds/{guild_id}",
    ):
        add("PUT", f"{base}/commands", bulk_put)
        add("GET", f"{base}/commands", list_commands)
        add("POST", f"{base}/commands", create)
        add("GET", f"{base}/commands/{{command_id}}", get_one)
        add("PATCH", f"{base}/commands/{{command_id}}", edit)
        add("DELETE", f"{base}/commands/{{command_id}}", delete)


def _install_guilds(fake: FakeDiscord) -> None:
    world = fake.world
    add = fake.rest.router.add

    def guild(req: Req) -> GuildRecord:
        found = world.guilds.get(req.int("guild_id"))
        if found is None:
            raise not_found(UNKNOWN_GUILD, "Guild")
        return found

    async def get_guild(req: Req) -> Reply:
        data = fake.guild_payload(guild(req).id)
        for key in ("channels", "threads", "members", "presences", "voice_states"):
            data.pop(key, None)
        return Reply(body=data)

    async def channels(req: Req) -> Reply:
        g = guild(req)
        found = [world.channels[c] for c in g.channel_ids if not world.channels[c].is_thread]
        return Reply(body=[c.to_json(bot_id=world.bot.id) for c in found])

    async def active_threads(req: Req) -> Reply:
        g = guild(req)
        found = [world.channels[c] for c in g.channel_ids if world.channels[c].is_thread]
        return Reply(body={"threads": [c.to_json() for c in found], "members": []})

    async def roles(req: Req) -> Reply:
        return Reply(body=[r.to_json() for r in guild(req).roles.values()])

    async def member(req: Req) -> Reply:
        found = guild(req).members.get(req.int("user_id"))
        if found is None:
            raise not_found(UNKNOWN_MEMBER, "Member")
        return Reply(body=found.to_json())

    async def edit_member(req: Req) -> Reply:
        """Only what the bot uses: a timeout (communication_disabled_until), with Discord's
        rules: MODERATE_MEMBERS, at most 28 days ahead, never the owner or an admin."""
        g = guild(req)
        found = g.members.get(req.int("user_id"))
        if found is None:
            raise not_found(UNKNOWN_MEMBER, "Member")
        body = req.body()
        extra = sorted(set(body) - {"communication_disabled_until"})
        if extra:
            fake.violate("fake-unsupported", "body", f"fields {extra}", req.label)
        until = body.get("communication_disabled_until")
        if until is not None:
            when = parse_iso(str(until))
            if when is None or when > fake.clock.time() + 28 * 86_400 + 60:
                fake.check(
                    req,
                    [
                        fake.problem(
                            "communication_disabled_until", "at most 28 days in the future", "limit"
                        )
                    ],
                )
        channel = world.channels[g.channel_ids[0]]
        fake.require_bot_permission(channel, MODERATE_MEMBERS)
        if found.user.id == g.owner_id or g.base_permissions(found.user.id) & ADMINISTRATOR:
            raise ApiError(403, MISSING_PERMISSIONS, "Missing Permissions")
        found.timed_out_until = until
        fake.notify()
        return Reply(body=found.to_json())

    async def members(req: Req) -> Reply:
        limit = int(req.query.get("limit", "1"))
        after = int(req.query.get("after", "0"))
        found = sorted(
            (m for u, m in guild(req).members.items() if u > after), key=lambda m: m.user.id
        )
        return Reply(body=[m.to_json() for m in found[:limit]])

    async def get_channel(req: Req) -> Reply:
        return Reply(body=world.channel(req.int("channel_id")).to_json(bot_id=world.bot.id))

    async def open_dm(req: Req) -> Reply:
        body = req.body()
        fake.check(req, validate("CreatePrivateChannelRequest", body))
        user = world.user(int(body.get("recipient_id") or 0))
        return Reply(body=world.dm_channel(user).to_json())

    add("GET", "/guilds/{guild_id}", get_guild)
    add("GET", "/guilds/{guild_id}/channels", channels)
    add("GET", "/guilds/{guild_id}/threads/active", active_threads)
    add("GET", "/guilds/{guild_id}/roles", roles)
    add("GET", "/guilds/{guild_id}/members", members)
    add("GET", "/guilds/{guild_id}/members/{user_id}", member)
    add("PATCH", "/guilds/{guild_id}/members/{user_id}", edit_member)
    add("GET", "/channels/{channel_id}", get_channel)
    add("POST", "/users/@me/channels", open_dm)
