"""Who a message pings: allowed_mentions on creates, edits, replies, interactions, webhooks."""

from __future__ import annotations

import discord
import pytest

from bot.playground.standin import FakeDiscord
from bot.playground.standin.mentions import check_allowed_mentions, compute_pings
from tests.harness.minibot import MiniBot

CONTENT = "@everyone @here <@11> <@!12> <@&21>"


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [
        (None, {"everyone", "here", "user:11", "user:12", "role:21"}),
        ({"parse": []}, set()),
        ({}, set()),
        ({"parse": ["everyone"]}, {"everyone", "here"}),
        ({"parse": ["users"]}, {"user:11", "user:12"}),
        ({"parse": [], "users": ["12"], "roles": [21]}, {"user:12", "role:21"}),
        ({"parse": ["roles"]}, {"role:21"}),
    ],
)
def test_pings_follow_allowed_mentions(allowed: dict | None, expected: set[str]) -> None:
    assert compute_pings(CONTENT, allowed) == expected


def test_replies_escapes_and_self_mentions() -> None:
    assert compute_pings("hi", None, author_id=1, replied_author_id=7) == {"replied:7"}
    assert compute_pings("hi", {"parse": []}, replied_author_id=7) == set()
    assert compute_pings("hi", {"replied_user": True}, replied_author_id=7) == {"replied:7"}
    assert compute_pings("@\u200beveryone <@1>", None, author_id=1) == set()
    problems = check_allowed_mentions({"allowed_mentions": {"parse": ["users"], "users": ["1"]}})
    assert [(p.path, p.rule) for p in problems] == [("allowed_mentions.parse", "allowed-mentions")]


async def test_channel_messages_edits_and_replies(fake_discord: FakeDiscord, run_client) -> None:
    alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
    moderator = fake_discord.guild.role("Moderator")
    text = f"@everyone {alice.mention} <@&{moderator.id}>"
    async with run_client(MiniBot()) as bot:
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        quiet = await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        just_alice = discord.AllowedMentions(everyone=False, roles=False, users=[alice.record])
        only_alice = await channel.send(text, allowed_mentions=just_alice)
        loud = await channel.send(text)
        assert [m.id for m in only_alice.mentions] == [alice.id]  # the message object agrees
        assert loud.mention_everyone and [r.id for r in loud.role_mentions] == [moderator.id]
        await quiet.edit(content=f"{text}!", allowed_mentions=discord.AllowedMentions.none())
        await only_alice.edit(content="@here")  # allowed_mentions are not kept: all parse
        await quiet.edit(embed=discord.Embed(description="no content, no new parse"))
        await loud.edit(embed=discord.Embed(description="no content, no new parse"))
        asked = await bob.send("general", "make me a fox")
        target = channel.get_partial_message(asked.id)
        silent = await target.reply("here it is", mention_author=False)
        pinged = await target.reply("here it is", mention_author=True)
    stored = fake_discord.message
    assert stored(quiet.id).all_pings == set()
    assert stored(quiet.id).allowed_mentions is None  # the last edit sent none
    assert stored(only_alice.id).pings == {"here"}
    assert stored(only_alice.id).all_pings == {"here", f"user:{alice.id}"}
    assert stored(only_alice.id).allowed_mentions is None
    assert stored(loud.id).pings == {"everyone", f"user:{alice.id}", f"role:{moderator.id}"}
    assert stored(loud.id).allowed_mentions is None
    assert stored(silent.id).pings == set()
    assert stored(pinged.id).pings == {f"replied:{bob.id}"}


async def test_interaction_responses_and_followups(fake_discord: FakeDiscord, run_client) -> None:
    alice = fake_discord.user("alice")
    async with run_client(MiniBot()):
        loud = await alice.slash("say", text=f"hey {alice.mention} @everyone")
        loud_followup = await loud.wait_for_followup()
        quiet = await alice.slash("say", text=f"hey {alice.mention} @everyone", quiet=True)
        quiet_followup = await quiet.wait_for_followup()
    assert loud.message.pings == {"everyone", f"user:{alice.id}"}
    assert loud_followup.pings == {"everyone", f"user:{alice.id}"}
    assert quiet.message.all_pings == set() == quiet_followup.all_pings
