"""Components V2, select menus, DMs and sharding."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.playground.standin import FakeDiscord
from tests.harness.minibot import MiniBot


async def test_components_v2_panel(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        alice = fake_discord.user("alice")
        posted = await alice.slash("panel")
        message = posted.message
        assert message.components_v2
        assert message.text == "panel 0"
        assert message.content == ""
        await alice.click(message, "Next")
        assert message.text == "panel 1"
        await alice.click(message, "panel:1")
        assert message.text == "panel 2"


async def test_select_menu(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
        posted = await alice.slash("choose")
        chosen = await bob.select(posted.message, "Pick one", ["b"])
        assert chosen.message.content == "chose ['b']"
        assert chosen.message.ephemeral_for == bob.id


async def test_slash_in_dm(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        alice = fake_discord.user("alice")
        result = await alice.slash("ping", channel="dm")
        assert result.message.content == "pong"
        assert result.message.channel_id == alice.dm_channel.id
        assert "guild_id" not in result.payload
        assert result.payload["user"]["id"] == str(alice.id)


async def test_context_menus(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
        posted = await bob.send("general", "quote me")
        quoted = await alice.context_menu("Quote message", posted)
        assert quoted.message.content == "quoted: quote me"
        assert quoted.message.type == 23
        greeted = await alice.context_menu("Greet", bob, channel="general")
        assert greeted.message.content == "hello bob"


class ShardedBot(commands.AutoShardedBot):
    def __init__(self) -> None:
        super().__init__(command_prefix="!", intents=discord.Intents.default())
        self.seen_shards: list[int | None] = []

        @self.tree.command(description="Which shard am I on?")
        async def where(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"shard {interaction.guild.shard_id}")

        self.where: app_commands.Command = where

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s between IDENTIFYs; the fake has no identify rate limit."""


async def test_auto_sharded_bot(fake_discord: FakeDiscord, run_client) -> None:
    fake_discord.shard_count = 2
    guilds = [fake_discord.guild]
    while len({g.id >> 22 & 1 for g in guilds}) < 2:
        guilds.append(fake_discord.add_guild(f"Guild {len(guilds)}", channels=("lobby",)))
    async with run_client(ShardedBot()) as bot:
        assert bot.shard_count == 2
        assert {g.id for g in bot.guilds} == {g.id for g in guilds}
        for guild in guilds[-2:]:
            channel = fake_discord.world.channels[guild.channel_ids[0]]
            result = await fake_discord.user("alice").slash("where", channel=channel)
            assert result.message.content == f"shard {(guild.id >> 22) % 2}"
    assert fake_discord.gateway.identify_count == 2
