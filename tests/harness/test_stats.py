"""fake.stats() for benchmarks, and the fake staying cheap with many stored messages."""

from __future__ import annotations

import discord

from bot.playground.standin import FakeDiscord
from tests.harness.minibot import MiniBot

CALLBACK = "POST /interactions/{interaction_id}/{interaction_token}/callback"
EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"


async def test_stats_counts_requests_interactions_and_edits(
    fake_discord: FakeDiscord, run_client
) -> None:
    fake_discord.faults.rate_limit("/channels/*/messages/*", "PATCH", retry_after=0.05)
    async with run_client(MiniBot()) as bot:
        results = [await fake_discord.user("alice").slash("ping") for _ in range(3)]
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("v0")
        await sent.edit(content="v1")  # a 429 first, then the edit
        await sent.edit(content="v2")
        late = await fake_discord.user("bob").slash("ping", wait=False)
        await late.wait_for_response()
    stats = fake_discord.stats()
    requests = stats["requests"]
    assert requests["by_route"][CALLBACK] == 4
    assert requests["by_route"][EDIT] == 3
    assert requests["by_route"]["GET /users/@me"] == 1
    assert requests["by_status"][429] == 1 == stats["rate_limits"]["total"]
    assert requests["total"] == len(fake_discord.requests) == sum(requests["by_route"].values())
    interactions = stats["interactions"]
    assert (interactions["dispatched"], interactions["answered"]) == (4, 4)
    latencies = interactions["first_response_latency"]
    assert set(latencies) == {r.id for r in results} | {late.id}
    assert all(0 < value < 3 for value in latencies.values())
    assert interactions["latency_max"] == max(latencies.values())
    assert interactions["latency_p50"] <= interactions["latency_p95"] <= interactions["latency_max"]
    messages = stats["messages"]
    assert messages["edits"] == 2
    assert messages["last_edited"] == {sent.id: fake_discord.message(sent.id).edited_timestamp}
    assert set(messages["last_edited_monotonic"]) == {sent.id}
    assert messages["created"] == 5  # three pongs, "v0", the late pong
    stats["requests"]["by_route"].clear()  # a copy: the fake's counters are untouched
    assert fake_discord.stats()["requests"]["by_route"][CALLBACK] == 4


async def test_wait_for_message_rechecks_only_what_changed(fake_discord: FakeDiscord) -> None:
    bob = fake_discord.user("bob")
    for i in range(300):
        await bob.send("general", f"old {i}")
    calls = 0
    looked_at: set[str] = set()

    def wanted(message) -> bool:
        nonlocal calls
        calls += 1
        looked_at.add(message.content)
        return message.content == "new 19"

    waiter = fake_discord.spawn(fake_discord.wait_for_message(wanted, timeout=5))
    for i in range(20):
        text = f"new {i}"
        await bob.send("general", text)
        await fake_discord.wait_until(lambda t=text: t in looked_at, what=f"a look at {text!r}")
    found = await waiter
    assert found.content == "new 19"
    assert calls < 1000  # a full scan per wake-up would make it 300 × 20


async def test_history_pages(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()) as bot:
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        sent = [await channel.send(f"m{i}") for i in range(8)]
        await sent[5].delete()

        async def contents(**kwargs) -> list[str]:
            return [m.content async for m in channel.history(**kwargs)]

        assert await contents(limit=3) == ["m7", "m6", "m4"]
        assert await contents(limit=10, before=sent[3]) == ["m2", "m1", "m0"]
        assert await contents(limit=3, after=sent[1]) == ["m2", "m3", "m4"]
        assert await contents(limit=2, after=sent[2], before=sent[7]) == ["m3", "m4"]
        assert sorted(await contents(limit=3, around=sent[3])) == ["m2", "m3", "m4"]
