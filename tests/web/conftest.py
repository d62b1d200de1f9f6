"""The web canvas against the real stack: simulator, SQLite, RegionService and the bot's own
aiohttp server on a loopback port. No Discord: `on_child` records what Discord would post."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.db.records import JobRecord, JobStatus, RegionSession
from bot.jobs.events import Requester
from bot.jobs.region import RegionService
from bot.sim import SimConfig, Simulator
from bot.web.server import WebServer
from tests.jobs.conftest import ALICE, KEY, Stack, close_stack, is_, make_stack


@dataclass
class Web:
    stack: Stack
    region: RegionService
    server: WebServer
    children: list[tuple[JobRecord, RegionSession]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.bound_port}"

    async def upscaled(self, prompt: str = "a harbour --v 7") -> tuple[int, int]:
        """An upscaled job of ALICE and the index of its Vary (Region) button."""
        stack = self.stack
        grid = await stack.service.imagine(ALICE, prompt, mode="fast")
        await stack.wait_job(grid.id, is_(JobStatus.SUCCEEDED))
        up = await stack.actions.press(grid.id, 0, ALICE)
        job = await stack.wait_job(up.id, is_(JobStatus.SUCCEEDED))
        index = next(i for i, b in enumerate(job.buttons) if "Inpaint" in b["customId"])
        return job.id, index

    async def open(
        self, prompt: str = "a harbour --v 7", req: Requester = ALICE
    ) -> tuple[RegionSession, str]:
        """A fresh editor session and its web link."""
        job_id, index = await self.upscaled(prompt)
        session = await self.region.open(job_id, index, req)
        link = await self.region.link(session)
        assert link is not None
        return session, link

    def modal_requests(self) -> int:
        return sum(r.path.endswith("/submit/modal") for r in self.stack.sim.requests)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SimConfig(key=KEY, speed=300, first_poll_delay=0.5)) as s:
        yield s


@pytest.fixture
async def web(tmp_path: Path, sim: Simulator) -> AsyncIterator[Web]:
    stack = await make_stack(tmp_path, sim)
    region = RegionService(stack.actions, b"web-test-secret")
    server = WebServer("127.0.0.1", 0, stack.service.hint, region=region)
    await server.start()
    result = Web(stack, region, server)
    region.public_base_url = result.base_url

    async def on_child(child: JobRecord, session: RegionSession) -> None:
        result.children.append((child, session))

    region.on_child = on_child
    try:
        yield result
    finally:
        await server.stop()
        await close_stack(stack)
