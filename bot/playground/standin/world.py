"""The fake's state, independent of any bot client: it survives a bot restart."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .attachments import AttachmentStore
from .clock import FakeClock, Snowflakes
from .errors import UNKNOWN_CHANNEL, UNKNOWN_MESSAGE, UNKNOWN_USER, not_found
from .messages import FakeMessage
from .model import (
    ALL_PERMISSIONS,
    BOT_PERMISSIONS,
    DM,
    EVERYONE_PERMISSIONS,
    GUILD_TEXT,
    MODERATOR_PERMISSIONS,
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    RoleRecord,
    UserRecord,
    iso,
)
from .nonces import NonceIndex

if TYPE_CHECKING:
    from .interactions import InteractionRecord


class World:
    def __init__(self, clock: FakeClock, base_url: Callable[[], str], *, bot_name: str) -> None:
        self.clock = clock
        self.ids = Snowflakes(clock)
        self.users: dict[int, UserRecord] = {}
        self.guilds: dict[int, GuildRecord] = {}
        self.channels: dict[int, ChannelRecord] = {}
        self.messages: dict[int, FakeMessage] = {}
        self.channel_messages: dict[int, list[int]] = {}  # ids, ascending
        self.journal: list[int] = []  # ids of messages created or changed, in order
        self.nonces = NonceIndex()
        self.attachments = AttachmentStore(base_url, clock.time, self.ids)
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.dm_channels: dict[int, int] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.tokens: dict[str, InteractionRecord] = {}
        self.bot = self.add_user(bot_name, bot=True)
        self.application_id = self.bot.id
        self.owner: UserRecord | None = None

    # --- building ---------------------------------------------------------------------
    def add_user(self, name: str, *, bot: bool = False) -> UserRecord:
        if self.find_user(name) is not None:
            raise ValueError(f"user {name!r} exists")
        user = UserRecord(self.ids.next(), name, bot=bot, global_name=None if bot else name.title())
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, owner: UserRecord) -> GuildRecord:
        guild = GuildRecord(self.ids.next(), name, owner.id, joined_at=iso(self.clock.time()))
        guild.roles[guild.id] = RoleRecord(guild.id, "@everyone", EVERYONE_PERMISSIONS)
        self.guilds[guild.id] = guild
        self.add_member(guild, owner)
        return guild

    def add_role(self, guild: GuildRecord, name: str, permissions: int, **kw: Any) -> RoleRecord:
        role = RoleRecord(self.ids.next(), name, permissions, position=len(guild.roles), **kw)
        guild.roles[role.id] = role
        return role

    def add_member(
        self, guild: GuildRecord, user: UserRecord, roles: tuple[RoleRecord, ...] = ()
    ) -> MemberRecord:
        member = MemberRecord(user, [r.id for r in roles], iso(self.clock.time()))
        guild.members[user.id] = member
        return member

    def add_channel(
        self,
        guild: GuildRecord,
        name: str,
        *,
        type: int = GUILD_TEXT,
        nsfw: bool = False,
        parent_id: int | None = None,
        owner_id: int | None = None,
        channel_id: int | None = None,
    ) -> ChannelRecord:
        channel = ChannelRecord(
            channel_id or self.ids.next(),
            type,
            name,
            guild_id=guild.id,
            nsfw=nsfw,
            parent_id=parent_id,
            position=len(guild.channel_ids),
            owner_id=owner_id,
            created=self.clock.time(),
        )
        self.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        self.channel_messages[channel.id] = []
        return channel

    def populate_default(self) -> GuildRecord:
        """One guild: @everyone, Moderator, the bot's role; owner, moderator, alice, bob;
        #general, #imagine (threads) and the age-restricted #nsfw."""
        owner = self.add_user("owner")
        self.owner = owner
        moderator, alice, bob = (self.add_user(n) for n in ("moderator", "alice", "bob"))
        guild = self.add_guild("Test Guild", owner)
        mod_role = self.add_role(guild, "Moderator", MODERATOR_PERMISSIONS)
        bot_role = self.add_role(guild, self.bot.username, BOT_PERMISSIONS, managed=True)
        self.add_member(guild, moderator, (mod_role,))
        self.add_member(guild, alice)
        self.add_member(guild, bob)
        self.add_member(guild, self.bot, (bot_role,))
        self.add_channel(guild, "general")
        self.add_channel(guild, "imagine")
        self.add_channel(guild, "nsfw", nsfw=True)
        return guild

    # --- lookups ----------------------------------------------------------------------
    def find_user(self, key: Any) -> UserRecord | None:
        if isinstance(key, UserRecord):
            return key
        user_id = getattr(key, "id", key)
        if isinstance(user_id, int) and user_id in self.users:
            return self.users[user_id]
        for user in self.users.values():
            if user.username == key:
                return user
        return None

    def user(self, key: Any) -> UserRecord:
        user = self.find_user(key)
        if user is None:
            raise not_found(UNKNOWN_USER, "User")
        return user

    def channel(self, key: Any, guild: GuildRecord | None = None) -> ChannelRecord:
        if isinstance(key, ChannelRecord):
            return key
        channel_id = getattr(key, "id", key)
        if isinstance(channel_id, str) and channel_id.isdigit():
            channel_id = int(channel_id)
        if isinstance(channel_id, int) and channel_id in self.channels:
            return self.channels[channel_id]
        for channel in self.channels.values():
            if channel.name == key and (guild is None or channel.guild_id == guild.id):
                return channel
        raise not_found(UNKNOWN_CHANNEL, "Channel")

    def message(self, message_id: Any) -> FakeMessage:
        message_id = int(getattr(message_id, "id", message_id))
        message = self.messages.get(message_id)
        if message is None or message.deleted:
            raise not_found(UNKNOWN_MESSAGE, "Message")
        return message

    def guild_of(self, channel: ChannelRecord) -> GuildRecord | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def dm_channel(self, user: UserRecord) -> ChannelRecord:
        channel_id = self.dm_channels.get(user.id)
        if channel_id is None:
            channel = ChannelRecord(self.ids.next(), DM, recipient=user, created=self.clock.time())
            self.channels[channel.id] = channel
            self.channel_messages[channel.id] = []
            self.dm_channels[user.id] = channel.id
            return channel
        return self.channels[channel_id]

    def permissions(self, channel: ChannelRecord, user: UserRecord) -> int:
        """Effective permissions of a user in a channel (threads inherit their parent)."""
        guild = self.guild_of(channel)
        if guild is None:
            return ALL_PERMISSIONS & ~(1 << 3) if channel.recipient is not None else 0
        base = guild.base_permissions(user.id)
        if base == ALL_PERMISSIONS:
            return base
        parent = channel.parent_id
        source = self.channels.get(parent) if channel.is_thread and parent else channel
        if user.id == self.bot.id and source is not None:
            base &= ~source.bot_deny
        return base

    def commands_for(self, guild_id: int | None) -> list[dict[str, Any]]:
        local = self.guild_commands.get(guild_id, []) if guild_id else []
        return local + self.global_commands

    def touch(self, message: FakeMessage) -> None:
        """Note that a message was created or changed (waiters re-check only those)."""
        self.journal.append(message.id)

    def register_message(self, message: FakeMessage) -> None:
        self.messages[message.id] = message
        ids = self.channel_messages.setdefault(message.channel_id, [])
        if ids and ids[-1] > message.id:
            bisect.insort(ids, message.id)
        else:
            ids.append(message.id)
        self.touch(message)
        channel = self.channels.get(message.channel_id)
        if channel is not None and not message.ephemeral:
            channel.last_message_id = message.id
            channel.message_count += 1

    def channel_history(self, channel_id: int) -> list[FakeMessage]:
        ids = self.channel_messages.get(channel_id, [])
        return [self.messages[i] for i in ids if not self.messages[i].deleted]

    def history_page(
        self,
        channel_id: int,
        limit: int,
        *,
        before: int | None = None,
        after: int | None = None,
        around: int | None = None,
    ) -> list[FakeMessage]:
        """``GET /channels/{id}/messages``: live, non-ephemeral messages, newest first; reads
        only about ``limit`` messages next to the cursor, however long the channel is."""
        ids = self.channel_messages.get(channel_id, [])

        def walk(start: int, step: int, count: int) -> list[FakeMessage]:
            found: list[FakeMessage] = []
            index = start
            while 0 <= index < len(ids) and len(found) < count:
                message = self.messages[ids[index]]
                if not message.deleted and not message.ephemeral:
                    found.append(message)
                index += step
            return found

        if around is not None:
            pivot = bisect.bisect_right(ids, around)
            older = walk(pivot - 1, -1, limit // 2 + 1)
            newer = walk(pivot, 1, limit - len(older))
            return list(reversed(newer)) + older
        if after is not None:
            newer = walk(bisect.bisect_right(ids, after), 1, limit)
            return [m for m in reversed(newer) if before is None or m.id < before]
        end = len(ids) if before is None else bisect.bisect_left(ids, before)
        return walk(end - 1, -1, limit)
