"""The job layer wired to a real simulator and a real SQLite file; no Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.cometapi.client import CometAPIPool
from bot.db import Database
from bot.db.records import JobRecord, JobStatus
from bot.jobs.actions import ActionService
from bot.jobs.events import JobConfig, JobEvent, Requester, SingleClient
from bot.jobs.service import JobService
from bot.jobs.tracker import Tracker
from bot.sim import SimConfig, Simulator

KEY = "sk-test-jobs"
ALICE = Requester(user_id=11, channel_id=100, guild_id=1)
BOB = Requester(user_id=12, channel_id=100, guild_id=1)
MOD = Requester(user_id=13, channel_id=100, guild_id=1, is_moderator=True)
FAST = JobConfig(poll_young=0.05, poll_old=0.05, reconcile_grace=1.0, deadline_seconds=30)


def is_(status: JobStatus) -> Callable[[JobRecord], bool]:
    return lambda job: job.status == status


@dataclass
class Stack:
    sim: Simulator
    db: Database
    service: JobService
    actions: ActionService
    tracker: Tracker
    pool: CometAPIPool
    events: list[JobEvent] = field(default_factory=list)

    async def wait_job(
        self, job_id: int, cond: Callable[[JobRecord], bool], timeout: float = 10.0
    ) -> JobRecord:
        """Poll the store until the job meets `cond` (a condition wait, not a fixed sleep)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            job = await self.db.jobs.get(job_id)
            assert job is not None
            if cond(job):
                return job
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"job {job_id} never met the condition: {job}")
            await asyncio.sleep(0.02)

    def events_for(self, job_id: int, kind: str) -> list[JobEvent]:
        return [e for e in self.events if e.job.id == job_id and e.kind == kind]

    async def wait_event(self, job_id: int, kind: str, timeout: float = 10.0) -> JobEvent:
        """Wait until the job's first `kind` event was sent (it follows the store's change)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.events_for(job_id, kind):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"job {job_id} never sent a {kind} event")
            await asyncio.sleep(0.02)
        return self.events_for(job_id, kind)[0]


async def make_stack(
    tmp_path: Path, sim: Simulator, config: JobConfig = FAST, *, start: bool = True
) -> Stack:
    db = await Database.open(tmp_path / "jobs.db")
    pool = CometAPIPool(sim.base_url, timeout=2.0)
    clients = SingleClient(pool.client(KEY))
    events: list[JobEvent] = []

    async def sink(event: JobEvent) -> None:
        events.append(event)

    service = JobService(db, clients, sink, config)
    tracker = Tracker(service, clients, idle=0.1)
    stack = Stack(sim, db, service, ActionService(service), tracker, pool, events)
    if start:
        tracker.start()
    return stack


async def close_stack(stack: Stack) -> None:
    await stack.tracker.stop()
    await stack.pool.aclose()
    await stack.db.close()


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SimConfig(key=KEY, speed=300, first_poll_delay=0.5)) as s:
        yield s


@pytest.fixture
async def stack(tmp_path: Path, sim: Simulator) -> AsyncIterator[Stack]:
    s = await make_stack(tmp_path, sim)
    yield s
    await close_stack(s)
