"""Channel messages with attachments, threads, reactions and DMs, both directions."""

from __future__ import annotations

from bot.playground.standin import FakeDiscord
from tests.harness.minibot import MiniBot


async def test_attachment_thread_reaction_dm(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        alice = fake_discord.user("alice")
        result = await alice.slash("social")
        done = await result.wait_for_followup(lambda m: m.content == "social done")
        assert done.ephemeral
        assert result.deferred
        starter = await fake_discord.wait_for_message(lambda m: m.content == "thread starter")
        assert starter.attachment().filename == "hello.txt"
        assert starter.attachment().data == b"hello"
        assert starter.reaction_users("👍") == [fake_discord.bot.id]
        thread = fake_discord.channel(starter.thread_id)
        assert thread.name == "discussion"
        assert thread.parent_id == starter.channel_id
        assert [m.content for m in fake_discord.messages(thread)] == ["inside the thread"]
        dm = fake_discord.messages(alice.dm_channel)
        assert [m.content for m in dm] == ["a direct message"]


async def test_user_messages_and_reactions_reach_the_bot(
    fake_discord: FakeDiscord, run_client
) -> None:
    async with run_client(MiniBot()) as bot:
        bob = fake_discord.user("bob")
        posted = await bob.send("general", "hello bot", files=[("a.txt", b"abc")])
        await bob.dm("psst")
        await bob.react(posted, "🔥")
        await fake_discord.wait_until(lambda: len(bot.events) >= 3, timeout=5, what="3 events")
        assert ("message", "hello bot", ["a.txt"]) in bot.events
        assert ("message", "psst", []) in bot.events
        assert ("reaction", "🔥", bob.id) in bot.events
