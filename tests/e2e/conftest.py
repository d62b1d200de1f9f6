"""End-to-end: the real bot (unmodified discord.py) + the fake Discord + the simulator.

The simulator runs outside the bot here so that a restarted bot finds the same upstream tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import MJBot, Tuning
from bot.jobs.events import JobConfig
from bot.playground.standin.server import FakeDiscord
from bot.settings import load_settings
from bot.sim import SimConfig, Simulator
from bot.ui.delivery import DeliveryPolicy
from bot.ui.render import job_id_in_footer

KEY = "sk-e2e-test-key"
FAST_JOBS = JobConfig(poll_young=0.05, poll_old=0.05, reconcile_grace=2.0, deadline_seconds=60)
# Result downloads retried quickly: three tries within about a second.
FAST_DELIVERY = DeliveryPolicy(attempts=3, base=0.1, cap=0.5, post_grace=0.5)


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[Simulator]:
    """The simulator; `@pytest.mark.sim_speed(20)` slows it for a test that watches progress."""
    marker = request.node.get_closest_marker("sim_speed")
    speed = marker.args[0] if marker else 200
    async with Simulator(SimConfig(key=KEY, speed=speed, first_poll_delay=0.2)) as s:
        yield s


@pytest.fixture
def make_bot(tmp_path: Path, sim: Simulator) -> Callable[..., MJBot]:
    """A new bot on the same database and simulator each call (a restart is a second call)."""

    def factory(
        jobs: JobConfig = FAST_JOBS,
        edit_interval: float = 0.2,
        delivery: DeliveryPolicy = FAST_DELIVERY,
        **settings: Any,
    ) -> MJBot:
        values: dict[str, Any] = {
            "cometapi_key": KEY,
            "cometapi_base_url": sim.base_url,
            "database_path": tmp_path / "bot.db",
            "web_port": 0,
            "discord_token": "unused-here",
            **settings,
        }
        tuning = Tuning(jobs=jobs, edit_interval=edit_interval, delivery=delivery)
        return MJBot(load_settings(**values), tuning)

    return factory


@pytest.fixture
async def bot(
    make_bot: Callable[..., MJBot], run_client: Callable[..., Any], fake_discord: FakeDiscord
) -> AsyncIterator[MJBot]:
    async with run_client(make_bot()) as client:
        yield client


def final(message: Any) -> bool:
    """A job message that shows its result: an attachment and buttons."""
    return bool(message.attachments) and bool(message.buttons)


def upstream(sim: Simulator, endpoint: str) -> list[Any]:
    return [r for r in sim.requests if r.path.endswith(endpoint)]


def replies_to(message: Any, parent: Any) -> bool:
    ref = message.message_reference or {}
    return str(ref.get("message_id")) == str(parent.id)


def job_id_of(message: Any) -> int:
    """The job a message shows, from its footer ("Imagine · fast · 3 s · job 12")."""
    found = job_id_in_footer(message.embeds[0]["footer"]["text"])
    assert found is not None, message.embeds[0]["footer"]
    return found


def result_messages(fake: FakeDiscord, job_id: int) -> list[Any]:
    """Every live message showing the job's result (one, when delivery is exactly once)."""
    return [
        m
        for m in fake.world.messages.values()
        if not m.deleted
        and final(m)
        and job_id_in_footer(str((m.embeds[0].get("footer") or {}).get("text", ""))) == job_id
    ]


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 20) -> Any:
    """Wait until the async `check` (usually the bot's own store) returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (value := await check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return value
