"""Faults on demand: 429 with Discord's headers, the edit bucket, 5xx, slowness, 403."""

from __future__ import annotations

import time

import aiohttp
import discord

from bot.playground.standin import FakeDiscord
from bot.playground.standin.model import SEND_MESSAGES
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


async def _post(
    fake: FakeDiscord, path: str, body: dict, *, method: str = "POST"
) -> tuple[int, dict]:
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.request(method, fake.api_base + path, json=body) as response,
    ):
        return response.status, await response.json() if response.status != 204 else {}


async def test_enforce_nonce_returns_the_first_message(fake_discord: FakeDiscord) -> None:
    general = fake_discord.channel("general")
    path = f"/channels/{general.id}/messages"
    body = {"content": "once", "nonce": "n-1", "enforce_nonce": True}
    status, first = await _post(fake_discord, path, body)
    assert status == 200
    status, again = await _post(fake_discord, path, {**body, "content": "twice"})
    assert (status, again["id"], again["content"]) == (200, first["id"], "once")
    assert [m.content for m in fake_discord.messages(general)] == ["once"]
    # Without enforce_nonce the nonce is only echoed; after 5 minutes it is forgotten.
    await _post(fake_discord, path, {"content": "loose", "nonce": "n-1"})
    fake_discord.clock.advance(301)
    status, later = await _post(fake_discord, path, {**body, "content": "later"})
    assert status == 200 and later["id"] != first["id"]
    assert [m.content for m in fake_discord.messages(general)] == ["once", "loose", "later"]
    assert fake_discord.stats()["messages"]["nonce_reused"] == 1
    # A nonce whose message was deleted meanwhile: 404 Unknown Message (discord.py: NotFound).
    await _post(fake_discord, f"{path}/{later['id']}", {}, method="DELETE")
    status, error = await _post(fake_discord, path, body)
    assert (status, error["code"]) == (404, 10008)


async def test_server_error_after_the_work_is_done(fake_discord: FakeDiscord) -> None:
    """The create happens, the answer is a 500; a re-post with a new nonce duplicates it."""
    general = fake_discord.channel("general")
    path = f"/channels/{general.id}/messages"
    rule = fake_discord.faults.server_error("/channels/*/messages", "POST", after=True)
    status, _ = await _post(fake_discord, "/channels/1/messages", {"content": "x"})
    assert status == 404 and rule.hits == 0  # an error answer does not use the rule up
    status, _ = await _post(fake_discord, path, {"content": "job done", "nonce": "a"})
    assert status == 500 and rule.hits == 1
    assert [m.content for m in fake_discord.messages(general)] == ["job done"]
    await _post(fake_discord, path, {"content": "job done", "nonce": "b", "enforce_nonce": True})
    assert [m.content for m in fake_discord.messages(general)] == ["job done", "job done"]


async def test_discord_py_retry_after_a_late_500_posts_once(
    fake_discord: FakeDiscord, run_client
) -> None:
    fake_discord.faults.server_error("/channels/*/messages", "POST", after=True)
    fake_discord.faults.server_error("/channels/*/messages/*", "PATCH", status=502, after=True)
    async with run_client(MiniBot()) as bot:
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("exactly once")  # 500, retried with the same nonce
        edited = await sent.edit(content="edited")  # 502 after the edit, retried
    stored = [m for m in fake_discord.messages("general") if m.author.id == fake_discord.bot.id]
    assert [m.id for m in stored] == [sent.id] == [edited.id]
    assert stored[0].content == "edited"
    statuses = [r.status for r in fake_discord.requests if "/messages" in r.path]
    assert statuses == [500, 200, 502, 200]
