"""A real loopback HTTP server for tests that need answers the simulator never gives (gzip
bombs, arbitrary JSON shapes, a proxy that ignores filters). Each test passes a handler."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Tiny:
    base_url: str
    seen: list[tuple[str, str]] = field(default_factory=list)  # (method, path)

    def count(self, method: str, path: str) -> int:
        return self.seen.count((method, path))


@asynccontextmanager
async def tiny_server(handler: Handler) -> AsyncIterator[Tiny]:
    tiny = Tiny("")

    async def recording(request: web.Request) -> web.StreamResponse:
        tiny.seen.append((request.method, request.path))
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recording)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    tiny.base_url = f"http://{host}:{port}"
    try:
        yield tiny
    finally:
        await runner.cleanup()
