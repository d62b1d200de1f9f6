"""Gateway lifecycle: RECONNECT → RESUME, invalid session → IDENTIFY, dropped sockets."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from bot.playground.standin import FakeDiscord
from tests.harness.minibot import MiniBot


async def test_reconnect_resumes(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        await fake_discord.gateway.request_reconnect()
        await fake_discord.wait_until(lambda: fake_discord.gateway.resume_count == 1, what="RESUME")
        result = await fake_discord.user("alice").slash("ping")
        assert result.message.content == "pong"
    assert fake_discord.gateway.identify_count == 1


class QuickBot(MiniBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every IDENTIFY but the first; not worth it here."""


async def test_invalid_session_identifies_again(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(QuickBot()):
        await fake_discord.gateway.invalidate_sessions()
        await fake_discord.wait_until(
            lambda: (
                fake_discord.gateway.identify_count == 2 and fake_discord.gateway.live_sessions()
            ),
            what="a new IDENTIFY",
        )
        result = await fake_discord.user("bob").slash("ping")
        assert result.message.content == "pong"


async def test_events_missed_while_disconnected_are_replayed(
    fake_discord: FakeDiscord, run_client
) -> None:
    async with run_client(MiniBot()):
        await fake_discord.gateway.drop_connections()
        result = await fake_discord.user("alice").slash("ping")  # buffered, replayed on RESUME
        assert result.message.content == "pong"
        assert fake_discord.gateway.resume_count == 1


async def test_zlib_stream_frames(fake_discord: FakeDiscord, run_client) -> None:
    fake_discord.gateway.honor_compression = True
    async with run_client(MiniBot()):
        result = await fake_discord.user("alice").slash("ping")
        assert result.message.content == "pong"


async def test_disallowed_privileged_intent_closes_with_4014(
    fake_discord: FakeDiscord, run_client
) -> None:
    fake_discord.privileged_intents = {"members", "presences"}  # MESSAGE_CONTENT is off
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with run_client(MiniBot()):  # asks for message_content
            pass
    assert fake_discord.gateway.identify_count == 0
    fake_discord.privileged_intents = 0
    async with run_client(discord.Client(intents=discord.Intents.default())) as client:
        assert client.is_ready()


async def test_wrong_token_is_a_login_failure(fake_discord: FakeDiscord, run_client) -> None:
    async with aiohttp.ClientSession() as session:
        url = fake_discord.api_base + "/users/@me"
        async with session.get(url, headers={"Authorization": "Bot nope"}) as response:
            assert response.status == 401
            assert await response.json() == {"message": "401: Unauthorized", "code": 0}
    with pytest.raises(discord.LoginFailure):
        async with run_client(MiniBot(), token="nope"):
            pass
