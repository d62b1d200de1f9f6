"""Login, command sync and slash commands against the fake Discord."""

from __future__ import annotations

from bot.playground.standin import FakeDiscord
from tests.harness.minibot import MiniBot


async def test_login_and_sync(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()) as bot:
        assert bot.user is not None
        assert bot.user.id == fake_discord.bot.id
        assert bot.application_id == fake_discord.application_id
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None
        assert {c.name for c in guild.text_channels} >= {"general", "nsfw"}
        assert guild.get_channel(fake_discord.channel("nsfw").id).is_nsfw()
    names = {c["name"] for c in fake_discord.commands()}
    assert {"ping", "slow", "settings", "upload", "counter", "form"} <= names
    assert fake_discord.sync_count == 1


async def test_ping(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        result = await fake_discord.user("alice").slash("ping")
        assert result.callback_type == 4
        assert result.message.content == "pong"
        assert not result.ephemeral


async def test_deferred_edit_and_followup(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        result = await fake_discord.user("alice").slash("slow")
        assert result.callback_type == 5
        assert result.deferred
        original = await result.wait_for_message(lambda m: m.content == "done")
        followup = await result.wait_for_followup()
        assert followup.content == "and a follow-up"
        assert not original.loading
        assert original.edits == 1


async def test_ephemeral_visibility(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
        result = await alice.slash("slow", private=True)
        followup = await result.wait_for_followup()
        assert result.ephemeral
        assert followup.ephemeral
        general = fake_discord.channel("general")
        assert followup in fake_discord.visible_to(alice, general)
        assert followup not in fake_discord.visible_to(bob, general)
        assert result.message in fake_discord.messages(general)


async def test_subcommand_and_autocomplete(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        alice = fake_discord.user("alice")
        shown = await alice.slash("settings show", key="speed")
        assert shown.message.content == "speed is unset"
        assert shown.ephemeral
        completed = await alice.autocomplete("pick", "fruit", fruit="ap")
        assert [c["value"] for c in completed.choices] == ["apple", "apricot"]


async def test_slash_attachment_roundtrip(fake_discord: FakeDiscord, run_client) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    async with run_client(MiniBot()):
        result = await fake_discord.user("alice").slash("upload", image=("cat.png", png), count=2)
        message = await result.wait_for_message()
        assert message.content == f"cat.png: {len(png)} bytes x2"
        assert message.attachment().data == png
        assert len(fake_discord.cdn_downloads) == 1
