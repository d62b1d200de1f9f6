"""Interaction rules the fake enforces, driven by a bot and by raw HTTP calls."""

from __future__ import annotations

import json

import aiohttp
import discord

from bot.playground.standin import FakeDiscord
from bot.playground.standin.interactions import APPLICATION_COMMAND
from tests.harness.minibot import MiniBot


async def test_modal_cannot_answer_a_modal_submit(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()) as bot:
        alice = fake_discord.user("alice")
        opened = await alice.slash("chain")
        async with fake_discord.expect_violation("modal submit"):
            submitted = await alice.submit_modal(opened, {"Answer": "42"})
        assert not submitted.responded
        await fake_discord.wait_until(lambda: "chain_error" in bot.store, what="the 400")
        assert bot.store["chain_error"] == 50035


async def test_expired_token(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()) as bot:
        result = await fake_discord.user("alice").slash("longjob")
        assert result.deferred
        assert result.message.loading
        fake_discord.clock.advance(16 * 60)
        async with fake_discord.expect_violation("token-expired"):
            bot.release.set()
            await fake_discord.wait_for_message(lambda m: m.content.startswith("finished ("))
        assert bot.store["longjob_error"] == (401, 50027)


async def _raw(fake: FakeDiscord, method: str, path: str, body: object) -> tuple[int, dict, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, fake.api_base + path, json=body) as response,
    ):
        text = await response.text()
        return (
            response.status,
            json.loads(text) if text else {},
            response.headers.get("Content-Type", ""),
        )


async def test_raw_callback_rules(fake_discord: FakeDiscord, run_client) -> None:
    fake_discord.require_answers = False
    async with run_client(discord.Client(intents=discord.Intents.default())):
        alice = fake_discord.world.user("alice")
        general = fake_discord.channel("general")
        result = await fake_discord.start_interaction(
            type=APPLICATION_COMMAND, user=alice, channel=general, data={"name": "x", "type": 1}
        )
        callback = f"/interactions/{result.id}/{result.token}/callback"
        webhook = f"/webhooks/{fake_discord.application_id}/{result.token}"
        async with fake_discord.expect_violation("followup-before-response"):
            status, body, _ = await _raw(fake_discord, "POST", webhook, {"content": "early"})
        assert (status, body["code"]) == (404, 10015)
        async with fake_discord.expect_violation("content-length") as seen:
            status, body, ctype = await _raw(
                fake_discord, "POST", callback, {"type": 4, "data": {"content": "x" * 2001}}
            )
        assert (status, body["code"], ctype) == (400, 50035, "application/json")
        assert "data" in body["errors"]
        assert seen.matched[0].field == "data.content"
        v2 = {"type": 4, "data": {"flags": 1 << 15, "content": "no", "components": []}}
        async with fake_discord.expect_violation("components-v2"):
            status, _, _ = await _raw(fake_discord, "POST", callback, v2)
        assert status == 400
        status, _, _ = await _raw(
            fake_discord, "POST", callback, {"type": 4, "data": {"content": "ok"}}
        )
        assert status == 204
        assert result.message.content == "ok"
        async with fake_discord.expect_violation("interaction-responded"):
            status, body, _ = await _raw(fake_discord, "POST", callback, {"type": 5})
        assert (status, body["code"]) == (400, 40060)


async def test_unknown_route_is_reported(fake_discord: FakeDiscord) -> None:
    async with fake_discord.expect_violation("fake-unsupported"):
        status, _body, _ = await _raw(fake_discord, "GET", "/stickers/1", None)
    assert status == 404


async def test_cdn_links_expire(fake_discord: FakeDiscord) -> None:
    message = await fake_discord.user("bob").send("general", "file", files=[("a.txt", b"abc")])
    url = fake_discord.world.attachments.url(message.attachment())
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            assert await response.read() == b"abc"
        fake_discord.clock.advance(25 * 3600)
        async with session.get(url) as response:
            assert response.status == 404
