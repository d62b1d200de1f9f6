"""create_bot(settings): wires the services, loads the cogs, starts the loops."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.cometapi.client import CometAPIPool
from bot.db import Database
from bot.db.connection import FOREGROUND
from bot.errors import Refused
from bot.jobs.actions import ActionService
from bot.jobs.events import JobConfig
from bot.jobs.guild_admin import GuildAdmin
from bot.jobs.keys import GuildClients, GuildKeys, upstream_check
from bot.jobs.limits import budget_alerts
from bot.jobs.region import RegionService
from bot.jobs.service import JobService
from bot.jobs.tracker import Tracker
from bot.messages import say
from bot.settings import Settings
from bot.sim import SimConfig, Simulator
from bot.ui.buttons import ExpiredButton, JobButton, RetryButton, ShortenButton
from bot.ui.clicks import ClickHandler, tell
from bot.ui.delivery import DeliveryPolicy
from bot.ui.modlog import ModLog, ModLogButton
from bot.ui.presenter import Presenter
from bot.ui.region import RegionUI
from bot.ui.region_view import RegionButton, RegionPresetSelect
from bot.web.server import WebServer

log = logging.getLogger(__name__)
COGS = (
    "cogs.imagine",
    "cogs.blend",
    "cogs.shorten",
    "cogs.video",
    "cogs.describe",
    "cogs.edit",
    "cogs.jobs",
    "cogs.admin",
    "cogs.report",
    "cogs.history",
)
SIM_KEY = "sk-simulator"
SHUTDOWN_STEP = 10.0
SWEEP_WINDOW = 86_400.0
SEEN_INTERACTIONS = 4096  # ids remembered to drop replays; far more than arrive in 15 min


@dataclass
class Tuning:
    """Knobs the tests turn (faster polls and edits); defaults suit the real service.
    `jobs` None: the job settings come from Settings (JOB_DEADLINE_SECONDS …)."""

    jobs: JobConfig | None = None
    edit_interval: float = 3.0
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    janitor_interval: float = 3600.0
    sim: SimConfig | None = None
    sync_commands: bool = True


class MJBot(commands.AutoShardedBot):
    db: Database
    clients: GuildClients
    keys: GuildKeys
    admin: GuildAdmin
    modlog: ModLog
    jobs: JobService
    actions: ActionService
    region: RegionService
    tracker: Tracker
    presenter: Presenter
    clicks: ClickHandler
    region_ui: RegionUI
    web: WebServer | None

    def __init__(self, settings: Settings, tuning: Tuning | None = None) -> None:
        # Unset: one process runs the shard count Discord recommends.
        shards: dict[str, Any] = {"shard_count": settings.shard_count}
        if settings.shard_ids:
            shards["shard_ids"] = list(settings.shard_ids)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            **shards,
        )
        self.settings = settings
        self.tuning = tuning or Tuning()
        self.sim: Simulator | None = None
        self.pool: CometAPIPool | None = None
        self.web: WebServer | None = None
        self._janitor: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        self.db = await Database.open(
            self.settings.database,
            owner=self.settings.owner,
            lease_seconds=self.settings.job_lease_seconds,
        )
        base_url, key = await self._backend()
        self.pool = CometAPIPool(base_url, timeout=self.settings.cometapi_timeout)
        master = self.settings.master_key
        self.keys = GuildKeys(
            self.db, master.get_secret_value() if master else None, upstream_check(self.pool)
        )
        self.clients = GuildClients(self.pool, key, self.keys)
        self.admin = GuildAdmin(self.db, self.keys)
        self.modlog = ModLog(self)
        unreadable = await self.keys.unreadable(await self.db.guilds.with_api_key())
        if unreadable:  # loudly: these guilds' jobs are refused until their key is set again
            log.error("%d guilds have a CometAPI key that cannot be read", len(unreadable))
        self.presenter = Presenter(
            self, min_interval=self.tuning.edit_interval, delivery=self.tuning.delivery
        )
        self.jobs = JobService(self.db, self.clients, self.presenter, self._job_config())
        self.jobs.on_budget = self._budget_alerts
        self.jobs.policy.on_hit = self._moderation_hit
        self.actions = ActionService(self.jobs)
        self.region = RegionService(
            self.actions,
            self._derived_secret(b"mjbot-region-links").encode(),
            public_base_url=self.settings.public_base_url,
        )
        self.web = WebServer(
            self.settings.web_host,
            self.settings.web_port,
            self.jobs.hint,
            secret=self._derived_secret(b"mjbot-webhook"),
            region=self.region,
        )
        try:
            await self.web.start()
        except OSError as exc:  # not a network outage: retrying login would not help
            where = f"{self.settings.web_host}:{self.settings.web_port}"
            raise StartupError(say("startup.web_port", where=where, error=_brief(exc))) from None
        self.jobs.config = replace(self.jobs.config, notify_hook=self._hook_url())
        self.clicks = ClickHandler(self)
        self.region_ui = RegionUI(self)
        self.region.on_child = self.region_ui.post_child  # also posts web-editor children
        self.tracker = Tracker(self.jobs, self.clients)
        await self.db.listen(self.tracker.wake)  # a webhook that reached another process
        self.tree.on_error = self._on_command_error  # type: ignore[method-assign]
        self._ignore_replayed_interactions()
        self.add_dynamic_items(
            # ExpiredButton last: it answers any custom id the others do not claim.
            JobButton,
            RetryButton,
            ShortenButton,
            RegionButton,
            RegionPresetSelect,
            ModLogButton,
            ExpiredButton,
        )
        for name in COGS:
            await self.load_extension(name)
        resumed = await self.jobs.resume()
        self.tracker.start()
        self._janitor = asyncio.create_task(self._tidy(), name="janitor")
        # Results whose final render never landed (a crash, a Discord error) are posted now.
        swept = await self.presenter.sweep(since=time.time() - SWEEP_WINDOW)
        if swept:
            log.info("re-rendered %d finished jobs", swept)
        log.info("resumed %d pending jobs", resumed)
        if self.tuning.sync_commands and self.settings.syncs_commands:
            await self._sync()  # once per deployment, not once per process

    async def _backend(self) -> tuple[str, str]:
        if self.settings.cometapi_key is not None:
            return self.settings.cometapi_base_url, self.settings.cometapi_key.get_secret_value()
        config = self.tuning.sim or SimConfig(key=SIM_KEY, speed=self.settings.sim_speed)
        self.sim = Simulator(config)
        await self.sim.start()
        log.info("%s", say("startup.simulator"))
        return self.sim.base_url, config.key

    def _ignore_replayed_interactions(self) -> None:
        """A gateway RESUME can replay an interaction this process already handled (faults.md
        15): answering it again fails (40060) and must not start work twice, so a repeated id
        is dropped. discord.py has no hook before its own dispatch, hence the wrapped parser
        (which also marks the interaction's work as foreground for the database)."""
        parsers = self._connection.parsers
        parse = parsers["INTERACTION_CREATE"]
        seen: OrderedDict[str, None] = OrderedDict()

        def once(data: Any) -> None:
            key = str(data.get("id"))
            if key in seen:
                log.info("ignored interaction %s: already handled (a gateway replay)", key)
                return
            seen[key] = None
            if len(seen) > SEEN_INTERACTIONS:
                seen.popitem(last=False)
            # The tasks discord.py starts for it inherit this: their reads skip the queue of
            # background reads (tracker, renders), so the first answer stays quick.
            foreground = FOREGROUND.set(1)
            try:
                parse(data)
            finally:
                FOREGROUND.reset(foreground)

        parsers["INTERACTION_CREATE"] = once

    async def on_interaction(self, interaction: discord.Interaction[MJBot]) -> None:
        """Answer a submit of a modal this process no longer holds (opened before a restart or
        past its timeout): discord.py drops those silently."""
        if interaction.type != discord.InteractionType.modal_submit or interaction.data is None:
            return
        custom_id = str(interaction.data.get("custom_id", ""))
        store = getattr(self._connection, "_view_store", None)
        modals = getattr(store, "_modals", None)
        if isinstance(modals, dict) and custom_id not in modals:
            await tell(interaction, say("modal.expired"))

    async def _on_command_error(
        self, interaction: discord.Interaction[MJBot], error: app_commands.AppCommandError
    ) -> None:
        """The one place a command's unexpected error becomes a sentence (and a log entry)."""
        original = getattr(error, "original", error)
        if isinstance(original, Refused):
            await tell(interaction, say(original.key, **original.fields))
            return
        log.error(
            "command %s failed", interaction.command and interaction.command.name, exc_info=original
        )
        await tell(interaction, say("internal"))

    async def _moderation_hit(self, guild_id: int, user_id: int, kind: str, detail: str) -> None:
        self.modlog.hit(guild_id, user_id, kind, detail)

    async def _budget_alerts(self, guild_id: int, channel_id: int, cost: int, now: float) -> None:
        for alert in await budget_alerts(self.db, guild_id, channel_id, cost, now):
            where = f"<#{alert.channel_id}>'s" if alert.channel_id else "The server's"
            key = "modlog.budget_full" if alert.threshold >= 100 else "modlog.budget"
            text = say(
                key, where=where, percent=alert.threshold, spent=alert.spent, budget=alert.budget
            )
            await self.modlog.post(guild_id, "budget", text)

    def _job_config(self) -> JobConfig:
        base = self.tuning.jobs or JobConfig(deadline_seconds=self.settings.job_deadline_seconds)
        return replace(
            base,
            relax_enabled=self.settings.relax_enabled,
            dm_daily_jobs=self.settings.dm_daily_jobs,
            require_guild_keys=self.settings.require_guild_keys,
            action_costs=dict(self.settings.action_costs),
            costs={
                "fast": self.settings.cost_fast,
                "turbo": self.settings.cost_turbo,
                "relax": self.settings.cost_relax,
            },
        )

    def _derived_secret(self, label: bytes) -> str:
        """A secret that survives restarts (webhook URLs, editor links): WEBHOOK_SECRET, else
        derived from MASTER_KEY or the API key. Only the in-process simulator, which restarts
        with the bot, gets a random one."""
        s = self.settings
        for source in (s.webhook_secret, s.master_key, s.cometapi_key):
            if source is not None:
                key = source.get_secret_value().encode()
                return hmac.new(key, label, hashlib.sha256).hexdigest()[:40]
        return secrets.token_hex(20)

    async def _tidy(self) -> None:
        """Hourly: drop what a long-running bot no longer needs (closed editor sessions, the
        edit counts of quiet channels)."""
        while True:
            await asyncio.sleep(self.tuning.janitor_interval)
            try:
                pruned = await self.region.prune()
                log.debug("janitor: %d region sessions pruned", pruned)
                await self.db.edits.prune(time.time() - 60)
            except Exception:  # the next round tries again
                log.exception("janitor round failed")

    def _hook_url(self) -> str | None:
        assert self.web is not None
        if self.settings.public_base_url:
            return self.settings.public_base_url + self.web.hook_path
        host = urlsplit(self.settings.cometapi_base_url).hostname
        if self.sim is not None or host in ("127.0.0.1", "localhost"):
            # A simulator on this machine (it posts to loopback only) reaches us directly.
            return f"http://127.0.0.1:{self.web.bound_port}{self.web.hook_path}"
        return None

    async def _sync(self) -> None:
        for guild_id in self.settings.dev_guild_ids:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        if not self.settings.dev_guild_ids:
            await self.tree.sync()

    async def close(self) -> None:
        """Stop in the order data flows: no new polls, no new interactions, then the rest.
        Each step is bounded so one stuck part cannot keep the process alive."""
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        if self._janitor is not None:
            self._janitor.cancel()
        if hasattr(self, "tracker"):
            steps.append(("tracker", self.tracker.stop))
        steps.append(("discord", super().close))
        if hasattr(self, "presenter"):
            steps.append(("presenter", self.presenter.close))
        if self.web is not None:
            steps.append(("web server", self.web.stop))
        if self.pool is not None:
            steps.append(("CometAPI client", self.pool.aclose))
        if self.sim is not None:
            steps.append(("simulator", self.sim.stop))
        if hasattr(self, "db"):
            steps.append(("database", self.db.close))
        for name, step in steps:
            try:
                async with asyncio.timeout(SHUTDOWN_STEP):
                    await step()
            except TimeoutError:
                log.error("shutdown: the %s did not stop within %.0f s", name, SHUTDOWN_STEP)
            except Exception:
                log.exception("shutdown: the %s failed to stop", name)


class StartupError(Exception):
    """The bot cannot start, for a reason one sentence explains (no traceback)."""


# Network failures at start that may pass: retried with backoff instead of exiting.
_TRANSIENT = (OSError, aiohttp.ClientError, TimeoutError, discord.DiscordServerError)


async def run_bot(settings: Settings, token: str) -> None:
    async with MJBot(settings) as bot:
        await start_bot(bot, token)


async def start_bot(
    bot: MJBot, token: str, *, backoff: float = 1.0, max_backoff: float = 60.0
) -> None:
    """Log in (retrying with backoff while Discord is unreachable), then stay connected.
    Raises StartupError for what retrying cannot fix: a wrong token, missing intents."""
    delay = backoff
    while True:
        try:
            await bot.login(token)
            break
        except discord.LoginFailure:
            raise StartupError(say("startup.bad_token")) from None
        except _TRANSIENT as exc:
            log.warning("%s", say("startup.offline", seconds=f"{delay:g}", error=_brief(exc)))
            await asyncio.sleep(delay)
            delay = min(max_backoff, delay * 2)
    try:
        await bot.connect(reconnect=True)
    except discord.PrivilegedIntentsRequired:
        raise StartupError(say("startup.intents")) from None
    except discord.LoginFailure:
        raise StartupError(say("startup.bad_token")) from None


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]
