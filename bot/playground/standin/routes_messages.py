"""REST routes for channel messages, reactions, threads, typing, and the CDN."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .errors import CANNOT_EDIT_OTHERS, UNKNOWN_MESSAGE, ApiError, not_found
from .messages import FakeMessage
from .model import (
    ADD_REACTIONS,
    ATTACH_FILES,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    MANAGE_MESSAGES,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    ChannelRecord,
)
from .rest import Reply, Req
from .spec import validate

if TYPE_CHECKING:
    from .server import FakeDiscord


def install(fake: FakeDiscord) -> None:
    world = fake.world
    add = fake.rest.router.add

    def channel(req: Req) -> ChannelRecord:
        found = world.channel(req.int("channel_id"))
        fake.require_bot_permission(found, VIEW_CHANNEL)
        return found

    def message_in(req: Req, found: ChannelRecord) -> FakeMessage:
        message = world.message(req.int("message_id"))
        if message.channel_id != found.id or message.ephemeral:
            raise not_found(UNKNOWN_MESSAGE, "Message")
        return message

    async def list_messages(req: Req) -> Reply:
        found = channel(req)
        fake.require_bot_permission(found, READ_MESSAGE_HISTORY)
        limit = max(1, min(100, int(req.query.get("limit", "50"))))
        cursors = {k: int(req.query[k]) for k in ("before", "after", "around") if k in req.query}
        page = world.history_page(found.id, limit, **cursors)
        return Reply(body=[fake.message_json(m) for m in page])

    async def get_message(req: Req) -> Reply:
        found = channel(req)
        fake.require_bot_permission(found, READ_MESSAGE_HISTORY)
        return Reply(body=fake.message_json(message_in(req, found)))

    async def create_message(req: Req) -> Reply:
        found = channel(req)
        fake.require_bot_permission(
            found, SEND_MESSAGES_IN_THREADS if found.is_thread else SEND_MESSAGES
        )
        if req.uploads:
            fake.require_bot_permission(found, ATTACH_FILES)
        body = req.body()
        fake.check(
            req,
            fake.message_problems("MessageCreateRequest", body, uploads=req.uploads),
        )
        keys = ("content", "embeds", "components", "sticker_ids", "poll")
        if not req.uploads and not any(body.get(k) for k in keys):
            fake.check(req, [fake.problem("content", "Cannot send an empty message", "empty")])
        nonce = str(body["nonce"]) if body.get("nonce") is not None else None
        enforced = nonce if body.get("enforce_nonce") is True else None
        if enforced is not None:
            earlier = world.nonces.find(world.bot.id, enforced, fake.clock.monotonic())
            if earlier is not None:
                fake.counters.nonce_reused += 1
                first = world.messages[earlier]
                if first.deleted:  # discord.py: "NotFound: ... explicitly deleted shortly earlier"
                    raise not_found(UNKNOWN_MESSAGE, "Message")
                return Reply(body=fake.message_json(first))
        message = fake.new_message(found, world.bot)
        reference = body.get("message_reference")
        if reference and reference.get("message_id"):
            message.type = 19
            message.message_reference = {
                "type": 0,
                "message_id": str(reference["message_id"]),
                "channel_id": str(reference.get("channel_id") or found.id),
                **({"guild_id": str(found.guild_id)} if found.guild_id else {}),
            }
        message.nonce = nonce
        fake.apply(message, body, req.uploads, creating=True)
        if enforced is not None:
            world.nonces.remember(world.bot.id, enforced, message.id, fake.clock.monotonic())
        await fake.publish(message)
        return Reply(body=fake.message_json(message))

    async def edit_message(req: Req) -> Reply:
        found = channel(req)
        message = message_in(req, found)
        if message.author.id != world.bot.id:
            raise ApiError(
                403, CANNOT_EDIT_OTHERS, "Cannot edit a message authored by another user"
            )
        headers = fake.faults.take_edit(found.id, req.method, req.path, webhook=False)
        body = req.body()
        problems = fake.message_problems(
            "MessageEditRequestPartial", body, uploads=req.uploads, old_flags=message.flags
        )
        fake.check(req, problems)
        fake.apply(message, body, req.uploads, creating=False)
        await fake.publish_edit(message)
        return Reply(body=fake.message_json(message), headers=headers)

    async def delete_message(req: Req) -> Reply:
        found = channel(req)
        message = message_in(req, found)
        if message.author.id != world.bot.id:
            fake.require_bot_permission(found, MANAGE_MESSAGES)
        await fake.publish_delete(message)
        return Reply(204)

    add("GET", "/channels/{channel_id}/messages", list_messages)
    add("POST", "/channels/{channel_id}/messages", create_message)
    add("GET", "/channels/{channel_id}/messages/{message_id}", get_message)
    add("PATCH", "/channels/{channel_id}/messages/{message_id}", edit_message)
    add("DELETE", "/channels/{channel_id}/messages/{message_id}", delete_message)
    add("POST", "/channels/{channel_id}/typing", _no_content)
    _install_reactions(fake, channel, message_in)
    _install_threads(fake, channel, message_in)


async def _no_content(req: Req) -> Reply:
    return Reply(204)


def _install_reactions(fake: FakeDiscord, channel, message_in) -> None:  # type: ignore[no-untyped-def]
    add = fake.rest.router.add
    bot = fake.world.bot

    async def react(req: Req) -> Reply:
        found = channel(req)
        message = message_in(req, found)
        fake.require_bot_permission(found, ADD_REACTIONS | READ_MESSAGE_HISTORY)
        await fake.set_reaction(message, req.params["emoji"], bot, add=True)
        return Reply(204)

    async def unreact(req: Req) -> Reply:
        found = channel(req)
        message = message_in(req, found)
        user = (
            bot
            if req.params.get("user_id", "@me") == "@me"
            else fake.world.user(req.int("user_id"))
        )
        if user is not bot:
            fake.require_bot_permission(found, MANAGE_MESSAGES)
        await fake.set_reaction(message, req.params["emoji"], user, add=False)
        return Reply(204)

    async def reactors(req: Req) -> Reply:
        message = message_in(req, channel(req))
        users = [fake.world.user(u).to_json() for u in message.reaction_users(req.params["emoji"])]
        return Reply(body=users)

    base = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}"
    add("PUT", f"{base}/@me", react)
    add("DELETE", f"{base}/@me", unreact)
    add("DELETE", f"{base}/{{user_id}}", unreact)
    add("GET", base, reactors)


def _install_threads(fake: FakeDiscord, channel, message_in) -> None:  # type: ignore[no-untyped-def]
    add = fake.rest.router.add
    world = fake.world

    async def from_message(req: Req) -> Reply:
        parent = channel(req)
        message = message_in(req, parent)
        fake.require_bot_permission(parent, CREATE_PUBLIC_THREADS)
        body = req.body()
        fake.check(req, validate("CreateTextThreadWithMessageRequest", body))
        if message.thread_id is not None or parent.is_thread or parent.guild_id is None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        thread = await fake.create_thread(parent, body, PUBLIC_THREAD, thread_id=message.id)
        message.thread_id = thread.id
        world.touch(message)
        return Reply(201, thread.to_json())

    async def standalone(req: Req) -> Reply:
        parent = channel(req)
        body = req.body()
        fake.check(req, validate("CreateTextThreadWithoutMessageRequest", body))
        kind = body.get("type") or PRIVATE_THREAD
        needed = CREATE_PUBLIC_THREADS if kind == PUBLIC_THREAD else CREATE_PRIVATE_THREADS
        fake.require_bot_permission(parent, needed)
        if parent.is_thread or parent.guild_id is None:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        thread = await fake.create_thread(parent, body, kind)
        return Reply(201, thread.to_json())

    async def join(req: Req) -> Reply:
        thread = world.channel(req.int("channel_id"))
        user_id = world.bot.id if req.params.get("user_id", "@me") == "@me" else req.int("user_id")
        thread.member_ids.add(user_id)
        return Reply(204)

    add("POST", "/channels/{channel_id}/messages/{message_id}/threads", from_message)
    add("POST", "/channels/{channel_id}/threads", standalone)
    add("PUT", "/channels/{channel_id}/thread-members/@me", join)
    add("PUT", "/channels/{channel_id}/thread-members/{user_id}", join)


def install_cdn(fake: FakeDiscord, app: web.Application) -> None:
    async def serve(request: web.Request) -> web.StreamResponse:
        attachment = fake.world.attachments.by_id.get(int(request.match_info["attachment_id"]))
        expires = request.query.get("ex")
        if attachment is None or (expires and int(expires, 16) < fake.clock.time()):
            return web.Response(status=404, text="This content is no longer available.")
        fake.cdn_downloads.append(attachment.id)
        return web.Response(body=attachment.data, content_type=attachment.content_type)

    for prefix in ("", "/media"):
        for folder in ("attachments", "ephemeral-attachments"):
            app.router.add_get(
                f"{prefix}/{folder}/{{scope}}/{{attachment_id:\\d+}}/{{name}}", serve
            )
