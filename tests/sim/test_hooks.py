"""notifyHook delivery to a local receiver; only loopback URLs are ever called."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from aiohttp import web

from bot.sim import Simulator
from bot.sim.hooks import hook_allowed
from tests.sim.helpers import post


async def test_hook_receives_every_change(client: httpx.AsyncClient, sim: Simulator) -> None:
    received: list[dict[str, Any]] = []
    done = asyncio.Event()

    async def receive(request: web.Request) -> web.Response:
        body = await request.json()
        received.append(body)
        if body["status"] in ("SUCCESS", "FAILURE"):
            done.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        url = f"http://127.0.0.1:{port}/hook"
        env = await post(
            client, "/mj/submit/imagine", {"prompt": "hooked", "notifyHook": url, "state": "h"}
        )
        async with asyncio.timeout(5):
            await done.wait()
    finally:
        await runner.cleanup()
    assert received[-1]["status"] == "SUCCESS"
    assert received[-1]["id"] == env["result"]
    assert received[-1]["state"] == "h"
    assert received[-1]["buttons"]
    assert len(received) >= 2  # intermediate changes too
    assert len({(r["status"], r["progress"]) for r in received}) == len(received)


async def test_unreachable_or_foreign_hooks_do_not_hurt(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    env = await post(
        client, "/mj/submit/imagine", {"prompt": "x", "notifyHook": "http://127.0.0.1:9/none"}
    )
    foreign = await post(
        client, "/mj/submit/imagine", {"prompt": "y", "notifyHook": "https://example.com/hook"}
    )
    await sim.wait_for_status(env["result"], "SUCCESS")
    await sim.wait_for_status(foreign["result"], "SUCCESS")
    assert sim.tasks[foreign["result"]].notify_hook is None


def test_hook_allowed() -> None:
    assert hook_allowed("http://127.0.0.1:8080/x")
    assert hook_allowed("http://127.5.6.7/x")
    assert hook_allowed("http://localhost/x")
    assert hook_allowed("http://[::1]:80/x")
    assert not hook_allowed("http://10.0.0.1/x")
    assert not hook_allowed("https://example.com/x")
    assert not hook_allowed("ftp://127.0.0.1/x")
    assert not hook_allowed("http://127.0.0.1.evil.com/x")
