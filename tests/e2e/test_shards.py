"""Two bot processes, shards 0 and 1 of 2, on one PostgreSQL: jobs in both guilds complete, a
double click that reaches both processes makes one job, and when one process is killed
(SIGKILL) with jobs in flight the other delivers each of them exactly once. No task is polled
by both processes in one interval. Real processes (tests/e2e/shard_bot.py), the Discord
stand-in and the simulator of this test, a throwaway PostgreSQL (tests/pg.py)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.db import ChargeState, Database, JobStatus
from bot.messages import say
from bot.playground.standin.server import FakeDiscord
from bot.sim import Simulator
from bot.ui.render import job_id_in_footer
from tests.e2e.conftest import KEY, final

pytestmark = [pytest.mark.timeout(240), pytest.mark.sim_speed(12)]
ROOT = Path(__file__).resolve().parents[2]
LEASE = 3.0  # JOB_LEASE_SECONDS: how soon a killed process's jobs are taken over
POLL = 3.0  # the tracker's young-job poll interval (JobConfig.poll_young)


def shard_of(guild_id: int) -> int:
    return (guild_id >> 22) % 2


def job_of(message: Any) -> int | None:
    footer = (message.embeds[0].get("footer") or {}).get("text", "") if message.embeds else ""
    return job_id_in_footer(footer)


class Processes:
    def __init__(self, fake: FakeDiscord, sim: Simulator, database: str, logs: Path) -> None:
        self.fake, self.sim, self.database, self.logs = fake, sim, database, logs
        self.running: dict[int, subprocess.Popen[bytes]] = {}

    def start(self, shard: int) -> None:
        env = {
            **os.environ,
            "DISCORD_TOKEN": self.fake.token,
            "COMETAPI_KEY": KEY,
            "COMETAPI_BASE_URL": self.sim.base_url,
            "DATABASE_URL": self.database,
            "SHARD_COUNT": "2",
            "SHARD_IDS": str(shard),
            "JOB_LEASE_SECONDS": str(LEASE),
            "WEB_PORT": "0",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
        }
        log = (self.logs / f"shard{shard}.log").open("ab")
        self.running[shard] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.e2e.shard_bot",
                self.fake.api_base,
                self.fake.gateway_url,
            ],
            cwd=self.logs,  # no .env of the repository
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self, shard: int) -> None:
        process = self.running.pop(shard)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.running.clear()

    def log(self, shard: int) -> str:
        return (self.logs / f"shard{shard}.log").read_text(errors="replace")


@pytest.fixture
def guilds(fake_discord: FakeDiscord) -> Iterator[dict[int, Any]]:
    """A guild on each shard, alice and bob members of both."""
    fake_discord.shard_count = 2
    assert fake_discord.guild is not None
    found = {shard_of(fake_discord.guild.id): fake_discord.guild}
    n = 0
    while len(found) < 2:
        n += 1
        guild = fake_discord.add_guild(f"Guild {n}", members=("alice", "bob"))
        found.setdefault(shard_of(guild.id), guild)
    yield found
    fake_discord.gateway.moved.clear()


@pytest.fixture
async def processes(
    fake_discord: FakeDiscord, sim: Simulator, pg_url: str, tmp_path: Path, guilds: Any
) -> AsyncIterator[Processes]:
    both = Processes(fake_discord, sim, pg_url, tmp_path)
    both.start(0)
    both.start(1)
    try:
        await fake_discord.wait_until(
            lambda: len(fake_discord.gateway.live_sessions()) == 2 and fake_discord.commands(),
            timeout=60,
            what="both shards connected and the commands synced",
        )
        yield both
    finally:
        both.stop()


def channel(guild: Any) -> int:
    return int(guild.channel_ids[0])


async def test_two_processes_share_the_work_and_survive_a_kill(
    fake_discord: FakeDiscord, sim: Simulator, pg_url: str, guilds: Any, processes: Processes
) -> None:
    alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
    assert fake_discord.sync_count == 1  # commands are synced once, by shard 0's process

    # Jobs in both guilds complete, each handled by its shard's process.
    grids = {}
    for shard, user in ((0, alice), (1, bob)):
        started = await user.slash(
            "imagine", prompt=f"a lighthouse {shard}", channel=channel(guilds[shard])
        )
        grids[shard] = await started.wait_for_message(final, timeout=60)

    # A double click that reaches both processes (the guild moves to the other shard between
    # the two presses, as while Discord reshards) makes one job; the second press is told.
    grid = grids[0]
    await alice.click(grid, "V1")
    fake_discord.gateway.moved[guilds[0].id] = 1
    second = await alice.click(grid, "V1")
    fake_discord.gateway.moved.clear()
    told = await second.wait_for_followup(lambda m: bool(m.text), timeout=20)
    # Told where it went: on its way (the first press still being submitted), or its link.
    assert told.text == say("button.on_its_way") or "just pressed" in told.text, told.text
    variation = await fake_discord.wait_for_message(
        lambda m: m.id != grid.id and final(m) and "Variations" in m.text, timeout=60
    )
    assert len([r for r in sim.requests if r.route == "/mj/submit/action"]) == 1

    # Jobs in flight in shard 1's guild; its process is killed before they finish.
    in_flight = []
    for n in range(3):
        started = await bob.slash("imagine", prompt=f"a storm {n}", channel=channel(guilds[1]))
        in_flight.append(
            await started.wait_for_message(lambda m: job_of(m) is not None, timeout=30)
        )
    processes.kill(1)
    ids = {job_of(m) for m in in_flight}
    assert None not in ids

    # Shard 0's process takes them over once their leases lapse and delivers each once (into
    # the command's message, or, where the killed process had not yet recorded that message,
    # a new one: the command's then goes as a stray copy).
    def delivered() -> set[int | None]:
        shown = fake_discord.messages(channel(guilds[1]))
        return {job_of(m) for m in shown if final(m)} & ids

    await fake_discord.wait_until(lambda: delivered() == ids, timeout=60, what="the results")
    async with await Database.open(pg_url, owner="auditor") as db:
        for job_id in ids:
            assert job_id is not None
            job = await db.jobs.get(job_id)
            assert job is not None and job.status == JobStatus.SUCCEEDED
            assert job.charge_state == ChargeState.CHARGED
    # One message per job in every channel: nothing posted twice by the two processes.
    per_job: dict[int, int] = defaultdict(int)
    for guild in guilds.values():
        for message in fake_discord.messages(channel(guild)):
            if (job_id := job_of(message)) is not None and not message.ephemeral:
                per_job[job_id] += 1
    assert per_job and all(count == 1 for count in per_job.values()), per_job
    assert job_of(variation) in per_job

    # No task was polled by both processes in one interval: polls of a task are a poll
    # interval apart (a little less: the round's own time), never two at once.
    polls: dict[str, list[float]] = defaultdict(list)
    for request in sim.requests:
        if request.route == "/mj/task/list-by-condition":
            for task_id in request.json.get("ids", []):
                polls[task_id].append(request.at)
    gaps = [b - a for times in polls.values() for a, b in itertools.pairwise(times)]
    assert gaps and min(gaps) > POLL / 2, sorted(gaps)[:5]
