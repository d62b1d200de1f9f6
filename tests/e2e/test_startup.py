"""Start-up failures are one sentence and a non-zero exit, never a traceback; a network
outage at start is waited out (issue: start-up failures are tracebacks)."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path
from typing import Any

import discord.http
import pytest

from bot.app import MJBot, StartupError, start_bot
from bot.cli import main
from bot.messages import say
from bot.playground.standin.server import FakeDiscord


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens here once the socket closes


@pytest.mark.fault(27)
async def test_a_wrong_token_is_one_sentence_and_exit_code_3(
    fake_discord: FakeDiscord,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("DISCORD_TOKEN", "not-the-right-token")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.db"))
    monkeypatch.setenv("WEB_PORT", "0")
    code = await asyncio.to_thread(main, ["run"])
    err = capsys.readouterr().err
    assert code == 3
    assert say("startup.bad_token") in err
    assert "Traceback" not in err
    assert "not-the-right-token" not in err


async def test_missing_privileged_intents_are_one_sentence(
    make_bot: Any, fake_discord: FakeDiscord
) -> None:
    fake_discord.privileged_intents = 0  # none enabled in the "Developer Portal"
    bot: MJBot = make_bot()
    bot._connection._intents.members = True  # a bot asking for one (ours asks for none)
    async with bot:
        with pytest.raises(StartupError) as caught:
            await start_bot(bot, fake_discord.token)
    assert str(caught.value) == say("startup.intents")


async def test_a_network_outage_at_start_is_retried_with_backoff(
    make_bot: Any, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.app")
    real = discord.http.Route.BASE
    discord.http.Route.BASE = f"http://127.0.0.1:{closed_port()}/api/v10"
    bot: MJBot = make_bot()
    bot._connection.guild_ready_timeout = 0.05
    async with bot:
        running = asyncio.create_task(start_bot(bot, fake_discord.token, backoff=0.05))

        def attempts() -> int:
            return sum("Discord is unreachable" in r.getMessage() for r in caplog.records)

        await fake_discord.wait_until(lambda: attempts() >= 3, what="three refused logins")
        discord.http.Route.BASE = real  # the network is back
        await asyncio.wait_for(bot.wait_until_ready(), timeout=10)
        delays = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
        assert "0.05 s" in delays[0] and "0.1 s" in delays[1]  # backing off, not a tight loop
        assert not [r for r in caplog.records if r.exc_info]  # one line each, no traceback
        await bot.close()
        await running
