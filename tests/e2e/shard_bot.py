"""One bot process of tests/e2e/test_shards.py: the real MJBot with its settings from the
environment (SHARD_IDS, DATABASE_URL …), discord.py pointed at the Discord stand-in whose REST
base and gateway are the two arguments. Run as `python -m tests.e2e.shard_bot API GATEWAY`."""

from __future__ import annotations

import asyncio
import sys

import discord.gateway
import discord.http
import yarl

from bot.app import run_bot
from bot.log import setup_logging
from bot.settings import load_settings, require_discord_token


def main() -> None:
    api, gateway = sys.argv[1], sys.argv[2]
    discord.http.Route.BASE = api
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    settings = load_settings()
    setup_logging(settings.log_level, settings.secrets())
    asyncio.run(run_bot(settings, require_discord_token(settings)))


if __name__ == "__main__":
    main()
