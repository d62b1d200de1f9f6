"""Faults on demand: 429 with Discord's headers, the edit bucket, 5xx, slowness, 403."""

from __future__ import annotations

import time

import discord

from tests.fakediscord import FakeDiscord
from tests.fakediscord.model import SEND_MESSAGES
from tests.harness.minibot import MiniBot


async def test_429_is_retried_by_discord_py(fake_discord: FakeDiscord, run_client) -> None:
    rule = fake_discord.faults.rate_limit("/channels/*/messages", "POST", retry_after=0.2)
    async with run_client(MiniBot()):
        result = await fake_discord.user("alice").slash("post", text="hello")
        await result.wait_for_followup(lambda m: m.content == "posted")
    assert rule.hits == 1
    assert [h.retry_after for h in fake_discord.faults.rate_limits] == [0.2]
    posted = [m for m in fake_discord.messages("general") if m.content == "hello"]
    assert len(posted) == 1
    statuses = [r.status for r in fake_discord.requests if r.path.endswith("/messages")]
    assert statuses[-2:] == [429, 200]


async def test_edit_bucket_throttles_channel_edits(fake_discord: FakeDiscord, run_client) -> None:
    fake_discord.faults.edit_bucket(limit=2, per=0.3)
    async with run_client(MiniBot()) as bot:
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        message = await channel.send("v0")
        started = time.monotonic()
        for i in range(1, 6):
            message = await message.edit(content=f"v{i}")
        elapsed = time.monotonic() - started
    assert fake_discord.message(message.id).content == "v5"
    assert fake_discord.message(message.id).edits == 5
    assert elapsed >= 0.3  # discord.py waited on the X-RateLimit headers (or a 429)


async def test_server_error_and_slow_answers(fake_discord: FakeDiscord, run_client) -> None:
    fake_discord.faults.server_error("/channels/*/messages", "POST", status=502)
    fake_discord.faults.slow("/channels/*/messages", "POST", delay=0.2, times=1)
    async with run_client(MiniBot()):
        result = await fake_discord.user("alice").slash("post", text="retry me")
        await result.wait_for_followup(lambda m: m.content == "posted", timeout=10)
    statuses = [r.status for r in fake_discord.requests if r.path.endswith("/messages")]
    assert statuses[-2:] == [502, 200]


async def test_missing_permissions(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()) as bot:
        await fake_discord.set_bot_denied("general", SEND_MESSAGES)
        general = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(general, discord.TextChannel)
        await fake_discord.wait_until(
            lambda: not general.permissions_for(general.guild.me).send_messages,
            what="CHANNEL_UPDATE to reach the bot",
        )
        result = await fake_discord.user("alice").slash("post", text="nope")
        answer = await result.wait_for_followup()
        assert answer.content == "forbidden 50013"
        fake_discord.faults.forbidden("/channels/*/messages", "POST", times=1)
        imagine = fake_discord.channel("imagine")
        result = await fake_discord.user("alice").slash("post", text="nope", channel=imagine)
        assert (await result.wait_for_followup()).content == "forbidden 50013"
