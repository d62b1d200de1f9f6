"""Fixtures for the loopback tests against the simulator. `bot.sim` is imported inside the
fixtures so the unit tests of this package never depend on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.cometapi.client import CometAPIClient

SIM_KEY = "sk-test"


class SleepRecorder:
    """Stands in for asyncio.sleep in the client: records each back-off, waits for nothing."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
async def sim() -> AsyncIterator[Any]:
    from bot.sim import SimConfig, Simulator

    async with Simulator(SimConfig(key=SIM_KEY, speed=200)) as simulator:
        yield simulator


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def client(sim: Any, sleeps: SleepRecorder) -> AsyncIterator[CometAPIClient]:
    async with CometAPIClient(sim.base_url, SIM_KEY, timeout=5.0, sleep=sleeps) as api:
        yield api
