"""FakeDiscord: an aiohttp server on 127.0.0.1 that unmodified discord.py talks to.

async with FakeDiscord() as fake:
    Route.BASE = fake.api_base; DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    ... run a bot; alice = fake.user("alice"); result = await alice.slash("imagine", ...)
"""

# The brief's API takes timeout= on waits (fake.wait_for_message(..., timeout=10)).

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from aiohttp import web

from . import routes_core, routes_interactions, routes_messages
from .attachments import StoredAttachment, Upload
from .clock import FakeClock
from .errors import Problem, Violation, form_body_error
from .faults import Faults
from .gateway import PRIVILEGED_INTENTS, Gateway, intent_bits
from .interactions import InteractionRecord, InteractionResult, new_record
from .limits import check_message
from .mentions import check_allowed_mentions
from .messages import FakeMessage
from .model import BOT_PERMISSIONS, ChannelRecord, GuildRecord, UserRecord
from .publishing import Publishing
from .rest import API_PREFIX, RequestRecord, RestServer
from .spec import validate
from .stats import Counters
from .user import FakeUser
from .waiting import Waiting
from .world import World

MiB = 1024 * 1024


class _Expectation:
    def __init__(self, needle: str) -> None:
        self.needle = needle
        self.matched: list[Violation] = []


class FakeDiscord(Waiting, Publishing):
    """The fake Discord: REST + gateway + CDN on one loopback port, plus scripted users."""

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        bot_name: str = "MJBot",
        default_guild: bool = True,
        host: str = "127.0.0.1",
    ) -> None:
        self.token = token
        self.host = host
        self.port = 0
        self.clock = FakeClock()
        self.faults = Faults(self.clock)
        self.world = World(self.clock, lambda: self.base_url, bot_name=bot_name)
        self.gateway = Gateway(self)
        self.rest = RestServer(self)
        self.interaction_deadline = 3.0
        self.token_lifetime = 15 * 60.0
        self.attachment_size_limit = 10 * MiB
        self.require_answers = True
        self.shard_count = 1
        self._privileged_intents = PRIVILEGED_INTENTS
        self.counters = Counters()
        self.violations: list[Violation] = []
        self.expected_violations: list[Violation] = []
        self.requests: list[RequestRecord] = []
        self.cdn_downloads: list[int] = []
        self.sync_count = 0
        self._expectations: list[_Expectation] = []
        self._wakers: set[asyncio.Event] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self.guild: GuildRecord | None = self.world.populate_default() if default_guild else None
        routes_core.install(self)
        routes_messages.install(self)
        routes_interactions.install(self)

    # --- lifecycle ---------------------------------------------------------------------
    async def start(
        self, *, port: int = 0, routes: Callable[[web.Application], None] | None = None
    ) -> FakeDiscord:
        """Listen on ``port`` (0: any free one); ``routes`` adds more (the playground's page)."""
        app = web.Application(client_max_size=200 * MiB)
        app.router.add_get("/gw", self.gateway.handle)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self.rest.handle)
        routes_messages.install_cdn(self, app)
        if routes is not None:
            routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gw"

    # --- the world, for tests ------------------------------------------------------------
    @property
    def bot(self) -> UserRecord:
        return self.world.bot

    @property
    def application_id(self) -> int:
        return self.world.application_id

    def user(self, name: str | int) -> FakeUser:
        """A scripted user (see :class:`bot.playground.standin.user.FakeUser`)."""
        return FakeUser(self, self.world.user(name))

    def add_user(self, name: str, *, roles: tuple[str, ...] = (), guild: Any = None) -> FakeUser:
        """A new member of ``guild`` (default: the default guild) with the named roles."""
        target = self._guild(guild)
        user = self.world.add_user(name)
        self.world.add_member(target, user, tuple(target.role(r) for r in roles))
        return self.user(user.id)

    def add_guild(
        self,
        name: str,
        *,
        owner: str = "owner",
        members: tuple[str, ...] = ("alice", "bob"),
        channels: tuple[str, ...] = ("general",),
    ) -> GuildRecord:
        """Another guild (before the bot connects) with existing users as members; the bot
        joins with the same role as in the default guild."""
        world = self.world
        guild = world.add_guild(name, world.user(owner))
        for member in members:
            world.add_member(guild, world.user(member))
        bot_role = world.add_role(guild, world.bot.username, BOT_PERMISSIONS, managed=True)
        world.add_member(guild, world.bot, (bot_role,))
        for channel in channels:
            world.add_channel(guild, channel)
        return guild

    def add_channel(self, name: str, *, nsfw: bool = False, guild: Any = None) -> ChannelRecord:
        """A new text channel; add channels before the bot connects (no CHANNEL_CREATE)."""
        return self.world.add_channel(self._guild(guild), name, nsfw=nsfw)

    def channel(self, key: Any) -> ChannelRecord:
        return self.world.channel(key)

    def message(self, message_id: Any) -> FakeMessage:
        return self.world.message(message_id)

    def messages(self, channel: Any) -> list[FakeMessage]:
        """Every live message in the channel, oldest first (ephemeral ones too)."""
        return self.world.channel_history(self.world.channel(channel).id)

    def visible_to(self, user: Any, channel: Any) -> list[FakeMessage]:
        """The messages ``user`` sees in ``channel``: others' ephemeral messages are hidden."""
        record = self.world.user(getattr(user, "record", user))
        return [
            m
            for m in self.messages(channel)
            if m.ephemeral_for is None or m.ephemeral_for == record.id
        ]

    def commands(self, guild: Any = None) -> list[dict[str, Any]]:
        """The synced command tree (global, or a guild's own commands)."""
        if guild is None:
            return list(self.world.global_commands)
        return list(self.world.guild_commands.get(self._guild(guild).id, []))

    def attachment(self, attachment_id: int) -> StoredAttachment:
        return self.world.attachments.by_id[int(attachment_id)]

    def _guild(self, guild: Any) -> GuildRecord:
        if guild is None:
            if self.guild is None:
                raise LookupError("the fake has no default guild")
            return self.guild
        if isinstance(guild, GuildRecord):
            return guild
        for record in self.world.guilds.values():
            if guild in (record.id, record.name):
                return record
        raise LookupError(f"no guild {guild!r}")

    async def set_bot_denied(self, channel: Any, permissions: int) -> None:
        """Deny the bot these permission bits in a channel (a member overwrite), and tell the
        connected bot with CHANNEL_UPDATE."""
        record = self.world.channel(channel)
        record.bot_deny = permissions
        await self.gateway.dispatch(
            "CHANNEL_UPDATE", record.to_json(bot_id=self.bot.id), guild_id=record.guild_id
        )

    @property
    def privileged_intents(self) -> int:
        """The privileged intents the application has enabled (a bitmask; default: all of
        GUILD_MEMBERS, GUILD_PRESENCES and MESSAGE_CONTENT). Assign a bitmask or an iterable of
        bits or names ("members", "presences", "message_content"); an IDENTIFY asking for one
        that is off is closed with 4014 (discord.py: ``PrivilegedIntentsRequired``)."""
        return self._privileged_intents

    @privileged_intents.setter
    def privileged_intents(self, value: int | Iterable[int | str]) -> None:
        self._privileged_intents = intent_bits(value)

    def stats(self) -> dict[str, Any]:
        """Counters for benchmarks, as a plain dict (see the README)."""
        return self.counters.snapshot(self.faults.rate_limits)

    # --- violations --------------------------------------------------------------------
    def violate(self, rule: str, field: str, message: str, request: str = "") -> Violation:
        violation = Violation(rule, field, message, request)
        self._record([violation])
        return violation

    def _record(self, violations: list[Violation]) -> None:
        """Keep violations; those of one request all count as expected if any one matches an
        active :meth:`expect_violation`."""
        expectation = next(
            (e for e in self._expectations for v in violations if v.matches(e.needle)), None
        )
        if expectation is not None:
            expectation.matched.extend(violations)
            self.expected_violations.extend(violations)
        else:
            self.violations.extend(violations)
        self.notify()

    @staticmethod
    def problem(path: str, message: str, rule: str) -> Problem:
        return Problem(path, message, rule)

    def check(self, req: Any, problems: list[Problem]) -> None:
        """Record each problem as a violation and answer 400 Invalid Form Body."""
        if not problems:
            return
        self._record([Violation(p.rule, p.path, p.message, req.label) for p in problems])
        raise form_body_error(problems)

    def message_problems(
        self,
        schema: str | None,
        body: dict[str, Any],
        *,
        prefix: str = "",
        uploads: list[Upload] | tuple[()] = (),
        size_limit: int | None = None,
        old_flags: int = 0,
    ) -> list[Problem]:
        problems = validate(schema, body, prefix=prefix) if schema else []
        problems += check_allowed_mentions(body, prefix)
        return problems + check_message(
            body,
            prefix=prefix,
            old_flags=old_flags,
            file_sizes=[(u.filename, len(u.data)) for u in uploads],
            size_limit=size_limit if size_limit is not None else self.attachment_size_limit,
        )

    @contextlib.asynccontextmanager
    async def expect_violation(self, needle: str, *, timeout: float = 5.0) -> AsyncIterator[Any]:
        """Within the block, violations whose rule/field/message contain ``needle`` are expected
        (they do not fail the test); on exit, wait until at least one was recorded."""
        expectation = _Expectation(needle)
        self._expectations.append(expectation)
        try:
            yield expectation
            await self.wait_until(
                lambda: expectation.matched,
                timeout=timeout,
                what=f"a violation matching {needle!r}",
            )
        finally:
            self._expectations.remove(expectation)

    def assert_no_violations(self) -> None:
        if self.violations:
            lines = "\n".join(f"  - {v}" for v in self.violations)
            raise AssertionError(f"the bot broke Discord's rules:\n{lines}")

    # --- tasks -------------------------------------------------------------------------
    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- interactions ------------------------------------------------------------------
    async def start_interaction(
        self,
        *,
        type: int,
        user: UserRecord,
        channel: ChannelRecord,
        data: dict[str, Any],
        message: FakeMessage | None = None,
        parent: InteractionRecord | None = None,
    ) -> InteractionResult:
        """Record an interaction, send INTERACTION_CREATE, and watch its 3-s deadline."""
        if not self.gateway.sessions_for(channel.guild_id):
            raise RuntimeError("no bot is connected to the fake gateway (is the client running?)")
        record = new_record(
            self, type=type, user=user, channel=channel, data=data, message=message, parent=parent
        )
        self.world.interactions[record.id] = record
        self.world.tokens[record.token] = record
        self.spawn(self._watch_deadline(record))
        self.counters.dispatched(record)
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload, guild_id=channel.guild_id)
        return InteractionResult(self, record)

    async def _watch_deadline(self, record: InteractionRecord) -> None:
        await self.clock.sleep_until(record.created + self.interaction_deadline)
        if record.responded:
            return
        record.expired = True
        what = record.data.get("name") or record.data.get("custom_id")
        if self.require_answers:
            self.violate(
                "interaction-deadline",
                "interaction",
                f"no response within {self.interaction_deadline} s "
                f"(the user sees 'This interaction failed')",
                f"interaction {record.id} ({what})",
            )
        self.notify()
