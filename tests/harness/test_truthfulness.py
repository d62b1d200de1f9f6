"""Proofs that the fake fails the test when the bot breaks Discord's rules."""

from __future__ import annotations

import pytest

from bot.playground.standin import FakeDiscord
from tests.harness.minibot import MiniBot


async def test_overlong_custom_id_is_a_violation(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        async with fake_discord.expect_violation("custom_id") as seen:
            result = await fake_discord.user("alice").slash("badid")
        assert not result.responded
        assert [(e.status, e.code) for e in result.errors] == [(400, 50035)]
        fields = {v.field for v in seen.matched}
        assert "data.components[0].components[0].custom_id" in fields
        assert any("101" in v.message for v in seen.matched)
    assert fake_discord.violations == []


async def test_sixth_action_row_is_a_violation(fake_discord: FakeDiscord, run_client) -> None:
    async with run_client(MiniBot()):
        async with fake_discord.expect_violation("action-rows") as seen:
            await fake_discord.user("alice").slash("sixrows")
        assert seen.matched[0].field == "data.components"
        assert "6 action rows" in seen.matched[0].message


async def test_late_first_response_is_a_violation(fake_discord: FakeDiscord, run_client) -> None:
    fake_discord.interaction_deadline = 0.3
    async with run_client(MiniBot()) as bot:
        bot.slow_delay = 0.5
        async with fake_discord.expect_violation("interaction-deadline") as seen:
            result = await fake_discord.user("alice").slash("late")
            await fake_discord.wait_until(lambda: "late_error" in bot.store, what="the 404")
        assert bot.store["late_error"] == 10062
        assert result.failed
        messages = [v.message for v in seen.matched]
        assert any(m.startswith("first response after 0.5") for m in messages), messages


async def test_expect_violation_fails_when_nothing_happens(fake_discord: FakeDiscord) -> None:
    with pytest.raises(AssertionError, match="violation matching 'custom_id'"):
        async with fake_discord.expect_violation("custom_id", timeout=0.05):
            pass


async def test_unexpected_violations_are_collected(discord_spec) -> None:
    """What the fixture's teardown checks: an unexpected violation is kept and reported."""
    async with FakeDiscord() as fake:
        fake.violate("content-length", "content", "has 2001 characters; at most 2000")
        with pytest.raises(AssertionError, match="content: has 2001 characters"):
            fake.assert_no_violations()
