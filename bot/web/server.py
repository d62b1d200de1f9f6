"""The bot's small web server: health, CometAPI's notifyHook receiver and, when a
RegionService is given, the Vary (Region) web canvas (bot/web/region_page.py).

A webhook is unsigned and sent once (mj-protocol §5b), so it is only a hint: the body names a
task, and the service re-fetches that task with our key before believing anything. The URL
carries a random secret so strangers cannot even make us poll; bodies are size-capped. Every
hostile input gets a short 4xx (bot/web/guard.py), never a 500 with a traceback.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.jobs.region import RegionService
from bot.web.guard import (
    BadBody,
    json_object,
    plain_state,
    quiet_logger,
    read_capped,
    same_secret,
)
from bot.web.region_page import RegionPage

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024
_TASK_ID = re.compile(r"[0-9]{1,32}")

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
        self.region_page = RegionPage(region) if region is not None else None
        if self.region_page is not None:
            self.region_page.mount(self.app)
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
        self._runner = web.AppRunner(self.app, access_log=None, logger=quiet_logger())
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
        if not same_secret(request.match_info["secret"], self.secret):
            return _bad("not found", 404)
        try:
            raw = await read_capped(request, MAX_BODY)
        except BadBody:
            return _bad("bad body", 400)
        if raw is None:
            return _bad("too large", 413)
        body = json_object(raw)
        if body is None:
            return _bad("bad body", 400)
        task_id, state = body.get("id"), body.get("state")
        task_id = str(task_id) if isinstance(task_id, str | int) else ""
        state = state if isinstance(state, str) else ""
        # Task ids are ASCII digits upstream; the state is the one we sent (printable ASCII
        # naming our job), so one with other characters or a number no id can be is forged.
        if not _TASK_ID.fullmatch(task_id) or not plain_state(state):
            return _bad("bad body", 400)
        known = await self.hint(task_id, state)
        return web.json_response({"ok": known}, status=200 if known else 202)


def _bad(error: str, status: int) -> web.Response:
    return web.json_response({"error": error}, status=status)
