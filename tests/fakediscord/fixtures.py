"""Pytest plugin: the fake Discord for any test.

Enabled in tests/conftest.py with ``pytest_plugins = ["tests.fakediscord.fixtures"]``.

Fixtures:
- ``fake_discord``: a started :class:`FakeDiscord` with the default guild, discord.py pointed at
  it; teardown fails the test if the bot broke a Discord rule (``fake_discord.violations``).
- ``run_client``: ``async with run_client(client) as client:`` runs a discord.py client against
  the fake until the block ends (token defaults to the fake's).
- ``discord_spec``: session-wide access to the OpenAPI validators (``validate(schema, body)``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.playground.client import patch_discord
from bot.playground.client import run_client as _run_client
from bot.playground.standin import spec
from bot.playground.standin.server import FakeDiscord


@pytest.fixture(scope="session")
def discord_spec() -> Any:
    spec.registry()  # load once per session; validators compile lazily per schema
    return spec


@pytest.fixture
async def fake_discord(discord_spec: Any) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    try:
        with patch_discord(fake):
            yield fake
    finally:
        await fake.stop()
    if fake.violations:
        lines = "\n".join(f"  - {v}" for v in fake.violations)
        pytest.fail(f"the bot broke Discord's rules:\n{lines}", pytrace=False)


@pytest.fixture
def run_client(fake_discord: FakeDiscord) -> Callable[..., Any]:
    def runner(client: Any, token: str | None = None, **kwargs: Any) -> Any:
        return _run_client(client, token or fake_discord.token, **kwargs)

    return runner
