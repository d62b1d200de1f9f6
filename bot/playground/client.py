"""Pointing discord.py at the Discord stand-in, and running a client against it (the one
place of the playground that uses discord.py: the stand-in itself is a server)."""

# The brief's API takes timeout= on waits (fake.wait_for_message(..., timeout=10)).

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

import discord
import discord.gateway
import discord.http
import yarl

from bot.playground.standin import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.contextmanager
def patch_discord(fake: FakeDiscord) -> Iterator[FakeDiscord]:
    """Point discord.py's REST base and default gateway at the fake; restore on exit."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield fake
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def run_client(
    client: ClientT,
    token: str,
    *,
    timeout: float = 10.0,
    guild_ready_timeout: float | None = 0.05,
) -> AsyncIterator[ClientT]:
    """Start ``client.start(token)`` in a task, wait until it is ready, close it on exit.

    ``guild_ready_timeout`` shortens discord.py's 2-s wait after the last GUILD_CREATE (the
    fake sends them all at once); pass ``None`` to keep the client's own setting."""
    if guild_ready_timeout is not None:
        client._connection.guild_ready_timeout = guild_ready_timeout
    await client.__aenter__()  # the loop-bound setup that login() would do
    task = asyncio.create_task(client.start(token), name="fake-discord-client")
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when="FIRST_COMPLETED")
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # re-raises whatever stopped the client
                raise RuntimeError("the client stopped before it was ready")
            raise TimeoutError(f"the client was not ready within {timeout} s")
        yield client
    finally:
        ready.cancel()
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout=5.0)
        if not task.done():
            task.cancel()
