"""The bot's small web server: health, CometAPI's notifyHook receiver and, when a
RegionService is given, the Vary (Region) web canvas (bot/web/region_page.py).

A webhook is unsigned and sent once (mj-protocol §5b), so it is only a hint: the body names a
task, and the service re-fetches that task with our key before believing anything. The URL
carries a random secret so strangers cannot even make us poll; bodies are size-capped.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.jobs.region import RegionService
from bot.web.region_page import RegionPage

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024

Hint = Callable[[str, str], Awaitable[bool]]


class WebServer:
    def __init__(
        self,
        host: str,
        port: int,
        hint: Hint,
        *,
        secret: str | None = None,
        region: RegionService | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.hint = hint
        self.secret = secret or secrets.token_urlsafe(24)
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_get("/healthz", self._health)
        self.app.router.add_post("/hooks/mj/{secret}", self._webhook)
        if region is not None:
            RegionPage(region).mount(self.app)
        self._runner: web.AppRunner | None = None

    @property
    def hook_path(self) -> str:
        return f"/hooks/mj/{self.secret}"

    @property
    def bound_port(self) -> int:
        assert self._runner is not None
        site = next(iter(self._runner.sites))
        server: Any = site._server  # aiohttp keeps the bound socket here
        return int(server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("web server listening on %s:%d", self.host, self.bound_port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def _webhook(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.match_info["secret"], self.secret):
            return web.json_response({"error": "not found"}, status=404)
        try:
            body = json.loads(await request.read())
        except (ValueError, web.HTTPRequestEntityTooLarge):
            return web.json_response({"error": "bad body"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "bad body"}, status=400)
        task_id, state = body.get("id"), body.get("state")
        task_id = str(task_id) if isinstance(task_id, str | int) else ""
        state = state if isinstance(state, str) else ""
        if not task_id.isdigit() or len(task_id) > 32 or len(state) > 255:
            return web.json_response({"error": "bad body"}, status=400)
        known = await self.hint(task_id, state)
        return web.json_response({"ok": known}, status=200 if known else 202)
