"""Fixtures of the simulator tests: a real loopback simulator and a raw httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.sim import SimConfig, Simulator
from tests.sim.helpers import AUTH, KEY


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SimConfig(key=KEY, speed=1000, concurrency=1000)) as s:
        yield s


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.base_url, headers=AUTH, timeout=5) as c:
        yield c
