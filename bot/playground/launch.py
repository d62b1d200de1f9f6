"""`mjbot play`: the real bot against a local Discord stand-in, with a page to use it.

The bot is MJBot as in production (unmodified discord.py, the same cogs and services); only
discord.py's REST base and gateway point at the stand-in on 127.0.0.1. The backend is the
built-in simulator, or CometAPI when COMETAPI_KEY is set. The stand-in keeps its world in
memory, so the playground starts fresh each time, on its own database file (playground.db
beside DATABASE_PATH) that a real deployment never reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import webbrowser
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bot.app import MJBot, Tuning
from bot.messages import say
from bot.playground.client import patch_discord, run_client
from bot.playground.page import Page
from bot.playground.standin import FakeDiscord
from bot.playground.standin.model import BOT_PERMISSIONS, MODERATOR_PERMISSIONS, GuildRecord
from bot.playground.view import Person
from bot.settings import Settings

log = logging.getLogger(__name__)
PLAYGROUND_SIM_SPEED = 4.0  # a job takes about 15 s: quick to try, slow enough to watch
DB_NAME = "playground.db"


@dataclass
class Playground:
    url: str
    fake: FakeDiscord
    bot: MJBot
    people: list[Person]
    guild: GuildRecord


def populate(fake: FakeDiscord) -> tuple[GuildRecord, list[Person]]:
    """A server with two members, a moderator and the owner, and three channels."""
    world = fake.world
    olivia, morgan, alex, sam = (world.add_user(n) for n in ("olivia", "morgan", "alex", "sam"))
    guild = world.add_guild("Midjourney Playground", olivia)
    moderators = world.add_role(guild, "Moderator", MODERATOR_PERMISSIONS)
    bot_role = world.add_role(guild, world.bot.username, BOT_PERMISSIONS, managed=True)
    world.add_member(guild, olivia)
    world.add_member(guild, morgan, (moderators,))
    world.add_member(guild, alex)
    world.add_member(guild, sam)
    world.add_member(guild, world.bot, (bot_role,))
    for name in ("general", "art"):
        world.add_channel(guild, name)
    world.add_channel(guild, "after-dark", nsfw=True)
    people = [
        Person("alex", "Member", fake.user(alex.id)),
        Person("sam", "Member", fake.user(sam.id)),
        Person("morgan", "Moderator", fake.user(morgan.id)),
        Person("olivia", "Server owner", fake.user(olivia.id)),
    ]
    return guild, people


def playground_settings(settings: Settings, token: str, web_port: int) -> Settings:
    database = settings.database_path.with_name(DB_NAME)
    for suffix in ("", "-wal", "-shm"):  # the stand-in's world is new: so is the database
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    update: dict[str, object] = {
        "discord_token": SecretStr(token),
        "database_path": database,
        "database_url": None,  # the playground always has a fresh SQLite file of its own
        "web_host": "127.0.0.1",
        "web_port": web_port,
        "public_base_url": f"http://127.0.0.1:{web_port}",
        "dev_guild_ids": (),
    }
    if "sim_speed" not in settings.model_fields_set:
        update["sim_speed"] = PLAYGROUND_SIM_SPEED
    return settings.model_copy(update=update)


@contextlib.asynccontextmanager
async def open_playground(
    settings: Settings, *, port: int, web_port: int | None = None, tuning: Tuning | None = None
) -> AsyncIterator[Playground]:
    """The stand-in and its page on `port`, the bot's web server on `web_port` (default
    port + 1), and the bot connected; closed on exit."""
    fake = FakeDiscord(default_guild=False)
    fake.guild, people = populate(fake)
    bot_web = web_port if web_port is not None else port + 1
    page = Page(fake, fake.guild, people, f"http://127.0.0.1:{bot_web}")
    await fake.start(port=port, routes=page.install)
    try:
        with patch_discord(fake):
            bot = MJBot(playground_settings(settings, fake.token, bot_web), tuning)
            async with run_client(bot, fake.token, timeout=60.0):
                yield Playground(f"{fake.base_url}/", fake, bot, people, fake.guild)
    finally:
        await fake.stop()


async def play(settings: Settings, *, port: int, browser: bool) -> None:
    async with open_playground(settings, port=port) as playground:
        key = "playground.ready" if settings.uses_simulator else "playground.ready_cometapi"
        sys.stdout.write(say(key, url=playground.url) + "\n")
        sys.stdout.flush()
        if browser and _has_display():
            webbrowser.open(playground.url)
        await asyncio.Event().wait()  # until Ctrl-C


def _has_display() -> bool:
    """Only where a graphical browser can open: elsewhere webbrowser would start a text
    browser in this terminal."""
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
