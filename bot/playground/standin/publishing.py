"""What the REST routes do to the world, and the gateway events that follow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .attachments import StoredAttachment, Upload
from .errors import MISSING_PERMISSIONS, ApiError
from .mentions import compute_pings, mention_fields
from .messages import FakeMessage, apply_payload
from .model import PUBLIC_THREAD, ChannelRecord, UserRecord

if TYPE_CHECKING:
    from .clock import FakeClock
    from .gateway import Gateway
    from .interactions import InteractionRecord
    from .stats import Counters
    from .world import World


class Publishing:
    """Mixin of :class:`FakeDiscord`: message/reaction/thread effects and their dispatches."""

    world: World
    gateway: Gateway
    clock: FakeClock
    counters: Counters

    def notify(self) -> None:
        raise NotImplementedError

    # --- used by the routes --------------------------------------------------------------
    def require_bot_permission(self, channel: ChannelRecord, permissions: int) -> None:
        if self.world.permissions(channel, self.world.bot) & permissions != permissions:
            raise ApiError(403, MISSING_PERMISSIONS, "Missing Permissions")

    def guild_payload(self, guild_id: int) -> dict[str, Any]:
        guild = self.world.guilds[guild_id]
        channels = [self.world.channels[c] for c in guild.channel_ids]
        return guild.to_json(channels, bot_id=self.world.bot.id)

    def message_json(self, message: FakeMessage) -> dict[str, Any]:
        data = message.to_json(self.world.attachments, bot_id=self.world.bot.id)
        if message.pings:
            data.update(mention_fields(message.pings, self.world, message.guild_id))
        return data

    def event_message_json(self, message: FakeMessage) -> dict[str, Any]:
        data = self.message_json(message)
        if message.guild_id:
            data["guild_id"] = str(message.guild_id)
            member = self.world.guilds[message.guild_id].members.get(message.author.id)
            if member is not None:
                data["member"] = member.to_json(with_user=False)
        return data

    def new_message(
        self,
        channel: ChannelRecord,
        author: UserRecord,
        *,
        interaction: InteractionRecord | None = None,
    ) -> FakeMessage:
        guild_id = channel.guild_id
        message = FakeMessage(
            id=self.world.ids.next(),
            channel_id=channel.id,
            guild_id=guild_id,
            author=author,
            timestamp=self.clock.time(),
        )
        if interaction is not None:
            message.webhook_id = message.application_id = self.world.application_id
            message.interaction_metadata = interaction.metadata()
        return message

    def apply(
        self,
        message: FakeMessage,
        payload: dict[str, Any],
        uploads: list[Upload],
        *,
        creating: bool,
    ) -> None:
        store = self.world.attachments
        folder = f"attachments/{message.channel_id}"

        def store_upload(upload: Upload, description: str | None) -> StoredAttachment:
            return store.put(upload, folder=folder, description=description)

        apply_payload(
            message,
            payload,
            uploads,
            store_upload=store_upload,
            attachment_url=store.url,
            creating=creating,
        )
        allowed = payload.get("allowed_mentions")
        message.allowed_mentions = allowed if isinstance(allowed, dict) else None
        if creating or "content" in payload or "allowed_mentions" in payload:
            # Discord re-parses mentions whenever the content is sent, with that request's
            # allowed_mentions (they are not persisted: an edit without them parses everything).
            self.update_pings(message)
        if not creating:
            message.edited_timestamp = self.clock.time()
            self.counters.edited(message, message.edited_timestamp)
        self.world.touch(message)

    def update_pings(self, message: FakeMessage) -> None:
        """Who the content pings now, under the message's latest ``allowed_mentions``."""
        replied = None
        reference = message.message_reference or {}
        if reference.get("message_id"):
            target = self.world.messages.get(int(reference["message_id"]))
            replied = target.author.id if target is not None else None
        message.pings = compute_pings(
            message.content,
            message.allowed_mentions,
            author_id=message.author.id,
            replied_author_id=replied,
        )
        message.all_pings |= message.pings

    async def publish(self, message: FakeMessage) -> None:
        self.world.register_message(message)
        if message.author.id == self.world.bot.id:
            self.counters.created += 1
        self.notify()
        if not message.ephemeral:
            await self.gateway.dispatch(
                "MESSAGE_CREATE", self.event_message_json(message), guild_id=message.guild_id
            )

    async def publish_edit(self, message: FakeMessage) -> None:
        self.world.touch(message)
        self.notify()
        if not message.ephemeral:
            await self.gateway.dispatch(
                "MESSAGE_UPDATE", self.event_message_json(message), guild_id=message.guild_id
            )

    async def publish_delete(self, message: FakeMessage) -> None:
        message.deleted = True
        self.world.touch(message)
        self.notify()
        if not message.ephemeral:
            data = {"id": str(message.id), "channel_id": str(message.channel_id)}
            if message.guild_id:
                data["guild_id"] = str(message.guild_id)
            await self.gateway.dispatch("MESSAGE_DELETE", data, guild_id=message.guild_id)

    async def set_reaction(
        self, message: FakeMessage, emoji: str, user: UserRecord, *, add: bool
    ) -> None:
        users = message.reactions.setdefault(emoji, [])
        if add == (user.id in users):
            return
        if add:
            users.append(user.id)
        else:
            users.remove(user.id)
        self.world.touch(message)
        self.notify()
        name, _, emoji_id = emoji.partition(":")
        data: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "emoji": {"id": emoji_id or None, "name": name},
            "burst": False,
            "type": 0,
        }
        if message.guild_id:
            data["guild_id"] = str(message.guild_id)
            if add:
                member = self.world.guilds[message.guild_id].members[user.id]
                data["member"] = member.to_json()
        if add:
            data["message_author_id"] = str(message.author.id)
        event = "MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE"
        await self.gateway.dispatch(event, data, guild_id=message.guild_id)

    async def create_thread(
        self,
        parent: ChannelRecord,
        body: dict[str, Any],
        kind: int = PUBLIC_THREAD,
        *,
        thread_id: int | None = None,
    ) -> ChannelRecord:
        guild = self.world.guilds[parent.guild_id]  # type: ignore[index]
        thread = self.world.add_channel(
            guild,
            body.get("name", "thread"),
            type=kind,
            parent_id=parent.id,
            owner_id=self.world.bot.id,
            channel_id=thread_id,
        )
        thread.auto_archive_duration = body.get("auto_archive_duration") or 1440
        thread.member_ids.add(self.world.bot.id)
        await self.gateway.dispatch(
            "THREAD_CREATE", {**thread.to_json(), "newly_created": True}, guild_id=guild.id
        )
        return thread
