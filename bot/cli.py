"""The command line: `mjbot run | play | sim | check | migrate`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.errors import SettingsError
from bot.log import setup_logging
from bot.messages import say
from bot.settings import Settings, load_settings, require_discord_token

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    from bot.sim.cli import add_sim_arguments

    parser = argparse.ArgumentParser(prog="mjbot", description="Midjourney in Discord via CometAPI")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the bot (the default; the playground without a token)")
    run.add_argument("--shards", help="the shards this process runs, like 0-3 (SHARD_IDS)")
    run.add_argument("--shard-count", type=int, help="the bot's total shards (SHARD_COUNT)")
    play = sub.add_parser("play", help="the bot in a local playground, no Discord account")
    play.add_argument("--port", type=int, default=None, help="the page's port (8765)")
    play.add_argument("--no-browser", action="store_true", help="do not open a browser")
    sim = sub.add_parser("sim", help="run the CometAPI simulator on its own")
    add_sim_arguments(sim)
    sub.add_parser("check", help="check the settings and say what the bot would use")
    sub.add_parser("migrate", help="create or upgrade the database, then exit")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    """Command-line options win over the environment."""
    found: dict[str, object] = {}
    if getattr(args, "shards", None):
        found["shard_ids"] = args.shards
    if getattr(args, "shard_count", None) is not None:
        found["shard_count"] = args.shard_count
    return found


def _run(settings: Settings) -> int:
    from bot.app import StartupError, run_bot

    if settings.discord_token is None:
        sys.stdout.write(say("playground.no_token") + "\n")
        return _play(settings, port=None, browser=True)
    token = require_discord_token(settings)
    try:
        asyncio.run(run_bot(settings, token))
    except StartupError as exc:
        sys.stderr.write(f"{exc}\n")
        return 3
    return 0


def _play(settings: Settings, *, port: int | None, browser: bool) -> int:
    from bot.app import StartupError
    from bot.playground.launch import play

    chosen = port or settings.playground_port
    try:
        asyncio.run(play(settings, port=chosen, browser=browser))
    except OSError as exc:
        sys.stderr.write(say("playground.port", port=chosen, error=exc.strerror or exc) + "\n")
        return 3
    except StartupError as exc:
        sys.stderr.write(f"{exc}\n")
        return 3
    return 0


def _check(settings: Settings) -> int:
    from bot.db.url import DatabaseURL

    backend = "the built-in simulator" if settings.uses_simulator else settings.cometapi_base_url
    token = "set" if settings.discord_token else "NOT set"
    database = DatabaseURL.parse(settings.database).safe  # never the password
    sys.stdout.write(
        f"CometAPI backend: {backend}\nDiscord token: {token}\n"
        f"Database: {database}\nDefault mode: {settings.default_mode.value}\n"
    )
    return 0


def _migrate(settings: Settings) -> int:
    from bot.db import Database

    async def go() -> int:
        db = await Database.open(settings.database)
        await db.close()
        return 0

    return asyncio.run(go())


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings(**_overrides(args))
        setup_logging(settings.log_level, settings.secrets())
        if command == "sim":
            from bot.sim.cli import run_from_args

            asyncio.run(run_from_args(args))
            return 0
        if command == "play":
            return _play(settings, port=args.port, browser=not args.no_browser)
        return {"run": _run, "check": _check, "migrate": _migrate}[command](settings)
    except SettingsError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
