"""Restarts of the real bot (faults.md 2, 13, 14): jobs in flight finish once, nothing is
submitted again, a crash between CometAPI's answer and the commit is reconciled at start,
and a webhook keeps working across a restart."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest

from bot.app import MJBot
from bot.db.records import ChargeState, JobStatus
from bot.jobs.events import Requester
from bot.jobs.reconcile import job_state
from bot.playground.standin.server import FakeDiscord
from bot.sim import Fault, SimConfig, Simulator
from tests.e2e.conftest import KEY, eventually, final, job_id_of, result_messages, upstream


@pytest.mark.fault(13)
async def test_a_restart_with_fifty_jobs_in_flight_delivers_each_once(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
    sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine", times=None))
    async with run_client(make_bot()) as bot:
        for n in range(50):
            user = alice if n % 2 else bob
            await user.slash("imagine", prompt=f"boat number {n}", channel="imagine")

        async def all_running() -> bool:
            jobs = [await bot.db.jobs.get(i) for i in range(1, 51)]
            return all(j is not None and j.task_id and j.message_id for j in jobs)

        await eventually(all_running, "fifty jobs under way")
    sim.faults.clear()
    async with run_client(make_bot()) as again:
        for task in list(sim.tasks.values()):
            sim.finish(task.id)

        async def all_delivered() -> bool:
            jobs = [await again.db.jobs.get(i) for i in range(1, 51)]
            return all(j is not None and j.meta.get("delivered") == "succeeded" for j in jobs)

        await eventually(all_delivered, "fifty results", timeout=60)
    assert [len(result_messages(fake_discord, i)) for i in range(1, 51)] == [1] * 50
    assert len(upstream(sim, "/submit/imagine")) == 50  # none submitted again


@pytest.mark.fault(14)
async def test_a_crash_before_the_commit_is_reconciled_when_the_bot_starts(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    channel = fake_discord.channel("imagine")
    req = Requester(user_id=alice.id, channel_id=channel.id, guild_id=channel.guild_id)
    async with run_client(make_bot()) as bot:
        job = await bot.jobs.reserve(req, kind="imagine", prompt="a crashed boat", mode="fast")
        # CometAPI accepted the submit; the process died before the task id was written.
        state = job_state(await bot.db.instance(), job.id)
        assert bot.pool is not None
        await bot.pool.client(KEY).imagine("a crashed boat", state=state)
        assert (await bot.db.jobs.get(job.id)).status == JobStatus.RESERVED  # type: ignore[union-attr]
    async with run_client(make_bot()) as again:  # setup_hook resumes it

        async def delivered() -> Any:
            found = await again.db.jobs.get(job.id)
            return found if found and found.meta.get("delivered") == "succeeded" else None

        done = await eventually(delivered, "the reconciled job's result")
    assert done.charge_state == ChargeState.CHARGED
    assert len(upstream(sim, "/submit/imagine")) == 1  # never resubmitted
    assert len(result_messages(fake_discord, job.id)) == 1


MESSAGE_EDITS = "/channels/*/messages/*"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.fault(2)
async def test_a_webhook_still_reconciles_after_a_restart(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord
) -> None:
    """The stock gateway: no lookup by state, only webhooks. The submit's answer is lost,
    the bot restarts, and the task's webhook (to the URL given before the restart) still
    finds the job: the hook's secret survives restarts."""
    config = SimConfig(key=KEY, speed=200, first_poll_delay=0.2, task_query=False)
    async with Simulator(config) as sim:
        port = free_port()
        settings = {"cometapi_base_url": sim.base_url, "web_port": port}
        sim.faults.inject(Fault(kind="drop", match="/mj/submit/imagine"))
        sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
        alice = fake_discord.user("alice")
        async with run_client(make_bot(**settings)) as bot:
            result = await alice.slash("imagine", prompt="a boat in the dark")
            message = await result.wait_for_message(lambda m: bool(m.embeds))
            job_id = job_id_of(message)
            hook = bot.web.hook_path if bot.web else ""
        async with run_client(make_bot(**settings)) as again:
            assert again.web is not None and again.web.hook_path == hook
            (task,) = sim.tasks.values()
            sim.finish(task.id)  # its webhook fires at the URL given before the restart

            async def attached() -> Any:
                job = await again.db.jobs.get(job_id)
                return job if job and job.status == JobStatus.SUCCEEDED else None

            await eventually(attached, "the job found through its webhook")
            await fake_discord.wait_for_edit(message.id, final)
        assert len(upstream(sim, "/submit/imagine")) == 1


@pytest.mark.fault(15)
async def test_an_interaction_replayed_after_a_reconnect_is_ignored(
    bot: MJBot,
    fake_discord: FakeDiscord,
    sim: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = fake_discord.user("alice")
    grid = await (await alice.slash("imagine", prompt="a harbour")).wait_for_message(final)
    click = await alice.click(grid, "U1")
    assert click.deferred
    caplog.set_level(logging.INFO, logger="bot.app")
    resumes = fake_discord.gateway.resume_count
    await fake_discord.gateway.request_reconnect()
    await fake_discord.wait_until(
        lambda: fake_discord.gateway.resume_count > resumes, what="the bot to resume"
    )
    for payload in (click.payload, click.payload):  # replayed, twice for good measure
        await fake_discord.gateway.dispatch("INTERACTION_CREATE", payload, guild_id=grid.guild_id)

    def ignored() -> int:
        return sum("already handled" in r.getMessage() for r in caplog.records)

    await fake_discord.wait_until(lambda: ignored() >= 2, what="both replays ignored")
    # The press itself may still be on its way to CometAPI (deferred, then reserved).
    await fake_discord.wait_until(lambda: upstream(sim, "/submit/action"), what="the submit")
    assert len(upstream(sim, "/submit/action")) == 1  # one paid action, no retry loop
    # The fake's teardown fails the test if the bot answered the interaction a second time.


@pytest.mark.fault(13)
async def test_results_refused_by_discord_do_not_keep_a_restarted_bot_offline(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine", times=3))
    async with run_client(make_bot()) as bot:
        messages = [
            await (await alice.slash("imagine", prompt=f"a boat {n}")).wait_for_message(
                lambda m: bool(m.embeds)
            )
            for n in range(3)
        ]
        refusing = fake_discord.faults.server_error(MESSAGE_EDITS, "PATCH", status=502, times=None)
        for task in list(sim.tasks.values()):
            sim.finish(task.id)  # their final edits meet 502s

        async def finished() -> bool:
            jobs = [await bot.db.jobs.get(n) for n in (1, 2, 3)]
            return all(j is not None and j.status == JobStatus.SUCCEEDED for j in jobs)

        await eventually(finished, "three finished jobs")
    # discord.py retries each 502 for about 25 s: a sweep before going online would take
    # minutes. The restarted bot must be online at once and render in the background.
    async with run_client(make_bot(), timeout=5):
        fake_discord.faults.remove(refusing)
        for message in messages:
            await fake_discord.wait_for_edit(message.id, final, timeout=60)
