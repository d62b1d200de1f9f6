"""faults.md cases through Discord (numbers in the test names)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.app import MJBot
from bot.playground.standin.server import FakeDiscord
from bot.sim import Fault, Simulator
from tests.e2e.conftest import final, upstream


@pytest.mark.fault(1)
async def test_01_slow_submit_is_deferred_and_made_once(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    sim.faults.inject(Fault(kind="latency", match="/mj/submit/imagine", delay=3.5))
    result = await fake_discord.user("alice").slash("imagine", prompt="a slow boat")
    assert result.deferred  # answered within the fake's 3 s deadline
    await result.wait_for_message(final, timeout=15)
    assert len(upstream(sim, "/submit/imagine")) == 1


@pytest.mark.fault(2)
async def test_02_lost_submit_answer_is_reconciled_by_its_webhook(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    # The request reaches CometAPI but the answer is lost; the task's notifyHook carries our
    # job id in `state`, so the job is found and finished without a second submit.
    sim.faults.inject(Fault(kind="drop", match="/mj/submit/imagine"))
    result = await fake_discord.user("alice").slash("imagine", prompt="a lost boat")
    await result.wait_for_message(final, timeout=15)
    assert len(upstream(sim, "/submit/imagine")) == 1


@pytest.mark.fault(16)
async def test_16_result_after_the_token_expired_uses_the_bot_token(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
    alice = fake_discord.user("alice")
    result = await alice.slash("imagine", prompt="a long job")
    message = await result.wait_for_message(lambda m: bool(m.embeds))
    # Sixteen minutes pass, for Discord and for the bot alike.
    fake_discord.clock.advance(16 * 60)
    (job,) = await bot.db.jobs.list_for_user(message.guild_id, alice.id)
    await bot.db.jobs.update(job.id, interaction_expires_at=time.time() - 60)
    (task,) = sim.tasks.values()
    sim.finish(task.id)
    await fake_discord.wait_for_edit(message.id, final, timeout=10)


@pytest.mark.fault(17)
@pytest.mark.sim_speed(40)
async def test_17_ten_jobs_in_one_channel_under_the_edit_limit(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    fake_discord.faults.edit_bucket(limit=5, per=5.0)
    alice = fake_discord.user("alice")
    results = [await alice.slash("imagine", prompt=f"boat {i}") for i in range(10)]
    for result in results:
        await result.wait_for_message(final, timeout=40)


@pytest.mark.fault(13)
async def test_13_a_final_render_refused_by_discord_is_posted_after_a_restart(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    async with run_client(make_bot()):
        sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
        result = await alice.slash("imagine", prompt="a stubborn boat")
        message = await result.wait_for_message(lambda m: bool(m.embeds))
        for route in ("*/channels/*/messages/*", "*/webhooks/*/*/messages/*"):
            fake_discord.faults.server_error(route, "PATCH", status=503, times=None)
        (task,) = sim.tasks.values()
        sim.finish(task.id)
        await fake_discord.wait_until(
            lambda: any(r.status == 503 for r in fake_discord.requests), what="a refused edit"
        )
        assert not final(fake_discord.message(message.id))
    fake_discord.faults.clear()
    async with run_client(make_bot()):
        await fake_discord.wait_for_edit(message.id, final, timeout=10)
    assert len(upstream(sim, "/submit/imagine")) == 1
