"""The simulator: a loopback aiohttp server speaking CometAPI's Midjourney protocol."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from aiohttp import web
from PIL import Image

from bot.sim import actions, query, submit
from bot.sim.config import SimConfig
from bot.sim.context import RecordedRequest, Req, check_common, split_mode, task_mode
from bot.sim.engine import Engine
from bot.sim.faults import AFTER_KINDS, FaultSet, parse_fault_spec
from bot.sim.hooks import Hooks
from bot.sim.images import Images
from bot.sim.responses import (
    after_fault,
    comet_error,
    fault_response,
    not_found,
    upstream_error,
)
from bot.sim.tasks import TERMINAL, Clock, SimTask, to_dict

log = logging.getLogger(__name__)

Handler = Callable[["Simulator", Req], Awaitable[web.Response]]
# (method, route pattern, handler, needs the key)
_ROUTES: list[tuple[str, re.Pattern[str], Handler, bool]] = [
    ("POST", re.compile(r"/mj/submit/imagine"), submit.imagine, True),
    ("POST", re.compile(r"/mj/submit/action"), actions.action, True),
    ("POST", re.compile(r"/mj/submit/modal"), actions.modal, True),
    ("POST", re.compile(r"/mj/submit/blend"), submit.blend, True),
    ("POST", re.compile(r"/mj/submit/describe"), submit.describe, True),
    ("POST", re.compile(r"/mj/submit/shorten"), submit.shorten, True),
    ("POST", re.compile(r"/mj/submit/video"), submit.video, True),
    ("POST", re.compile(r"/mj/submit/edits"), submit.edits, True),
    ("GET", re.compile(r"/mj/task/(?P<id>[^/]+)/fetch"), query.fetch, True),
    ("POST", re.compile(r"/mj/task/list-by-condition"), query.list_by_condition, True),
    ("GET", re.compile(r"/mj/task/(?P<id>[^/]+)/image-seed"), query.image_seed, True),
    ("POST", re.compile(r"/mj/task/query"), query.task_query, True),
    ("GET", re.compile(r"/mj/task/list"), query.task_list, True),
    ("GET", re.compile(r"/mj/image/(?P<id>[^/]+)"), query.image, False),
    ("GET", re.compile(r"/mj/video/(?P<id>[^/]+)"), query.video, False),
]


def _parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


class Simulator:
    """See bot/sim/__init__.py for the public API."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        if self.config.speed <= 0:
            raise ValueError("speed must be > 0")
        self.clock = Clock()
        self.engine = Engine(self.config, self.clock)
        self.images = Images(self.engine.tasks)
        self.faults = FaultSet()
        for spec in self.config.faults:
            self.faults.inject(parse_fault_spec(spec))
        self.requests: list[RecordedRequest] = []
        self.received_masks: list[tuple[str, Image.Image]] = []
        interval = min(0.5, max(0.01, 0.5 / self.config.speed))
        self.hooks = Hooks(self.engine.snap, self.task_json, interval)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._closing = asyncio.Event()  # wakes fault sleeps so stop() never waits on them

    # ---- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # In-flight handlers get little grace on stop: a test's simulator must stop at once.
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        await site.start()
        self._runner = runner
        self._closing.clear()
        host, port = runner.addresses[0][:2]
        host = f"[{host}]" if ":" in host else host
        self._base_url = f"http://{host}:{port}"
        await self.hooks.start()
        log.debug("simulator started on %s (speed %s)", self._base_url, self.config.speed)

    async def stop(self) -> None:
        self._closing.set()
        await self.hooks.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the simulator is not started")
        return self._base_url

    @property
    def public_url(self) -> str:
        return (self.config.public_base_url or self.base_url).rstrip("/")

    # ---- tasks, for tests ---------------------------------------------------------------------

    @property
    def tasks(self) -> dict[str, SimTask]:
        return self.engine.tasks

    def task_json(self, task: SimTask) -> dict[str, Any]:
        """The task object as fetch shows it now."""
        return to_dict(task, self.engine.snap(task), self.clock, self.public_url)

    def status(self, task_id: str) -> str:
        return self.engine.snap(self.engine.get(task_id)).status

    def stick(self, task_id: str) -> None:
        self.engine.stick(task_id)

    def fail(self, task_id: str, reason: str = "执行超时 5 分钟") -> None:
        self.engine.fail(task_id, reason)

    def finish(self, task_id: str) -> None:
        self.engine.finish(task_id)

    # `timeout=` is the agreed test-helper API, hence the noqa.
    async def wait_for_status(
        self,
        task_id: str,
        status: str,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Wait until the task reads `status`; fail fast if it ends in another terminal one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            task = self.engine.get(task_id)
            current = self.engine.snap(task).status
            if current == status:
                return self.task_json(task)
            if current in TERMINAL:
                raise AssertionError(f"task {task_id} ended {current}, not {status}")
            if loop.time() >= deadline:
                raise TimeoutError(f"task {task_id} is {current!r}, not {status!r}")
            await asyncio.sleep(0.005)

    # ---- HTTP ---------------------------------------------------------------------------------

    def _record(self, request: web.Request, raw: bytes, route: str | None, mode: str | None) -> Any:
        data = _parse_json(raw)
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                route=route or request.path,
                mode=mode,
                query=dict(request.query),
                headers=request.headers,
                json=data,
                body=raw,
                at=time.monotonic(),
            )
        )
        excess = len(self.requests) - self.config.max_recorded_requests
        if excess > 0:
            del self.requests[:excess]
        return data

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        route, mode = split_mode(request.path)
        data = self._record(request, raw, route, mode)
        fault = self.faults.take(request.path, route or request.path, task_level=False)
        if fault is not None and fault.kind == "latency":
            await self._pause(fault.delay)
            fault = None
        if fault is not None and fault.kind not in AFTER_KINDS:
            log.debug("fault %s on %s %s", fault.kind, request.method, request.path)
            return fault_response(fault)
        response = await self._route(request, route, mode, data)
        if fault is None:
            return response
        log.debug("fault %s on %s %s", fault.kind, request.method, request.path)
        if fault.kind != "drop":
            return after_fault(fault, response)
        # drop: the work is done, the answer never arrives
        if fault.delay > 0:
            await self._pause(fault.delay)
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=204)

    async def _pause(self, seconds: float) -> None:
        """Sleep for a fault, cut short when the simulator stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def _route(
        self, request: web.Request, route: str | None, mode: str | None, data: Any
    ) -> web.Response:
        if route is None:
            return not_found(request.method, request.path)
        for method, pattern, handler, needs_key in _ROUTES:
            m = pattern.fullmatch(route)
            if m is None or method != request.method:
                continue
            if needs_key and not self._authorised(request):
                return comet_error(401, "invalid token")
            if method == "POST" and not isinstance(data, dict):
                return upstream_error("bind_request_body_failed")
            body = data if isinstance(data, dict) else {}
            problem = check_common(body) if route.startswith("/mj/submit/") else None
            if problem is not None:
                return problem
            req = Req(request.path, route, task_mode(mode, body), body, m.groupdict())
            try:
                return await handler(self, req)
            except Exception:  # a simulator bug answers like a gateway failure, loudly
                log.exception("simulator handler failed for %s %s", request.method, request.path)
                return comet_error(500, "internal error")
        return not_found(request.method, request.path)

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and token.strip() == self.config.key
