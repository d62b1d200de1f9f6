"""notifyHook delivery: POST the task JSON on every change of status or progress.

One loop watches only the tasks that asked for a hook, so the cost does not grow with the
number of tasks. Deliveries are fire-and-forget with a short timeout, and only to loopback
addresses: the simulator must never send traffic anywhere else.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.sim.tasks import TERMINAL, SimTask, Snap

log = logging.getLogger(__name__)

SEND_TIMEOUT = 2.0


def hook_allowed(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Hooks:
    def __init__(
        self,
        snap: Callable[[SimTask], Snap],
        payload: Callable[[SimTask], dict[str, Any]],
        interval: float,
    ) -> None:
        self._snap = snap
        self._payload = payload
        self._interval = interval
        self._watched: dict[str, tuple[SimTask, tuple[str, int]]] = {}
        self._sends: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.Task[None] | None = None
        self.delivered = 0  # successful deliveries, for tests and logs

    def watch(self, task: SimTask) -> None:
        url = task.notify_hook
        if url is None:
            return
        if not hook_allowed(url):
            log.warning("notifyHook %s ignored: the simulator only calls loopback URLs", url)
            task.notify_hook = None
            return
        snap = self._snap(task)
        self._watched[task.id] = (task, (snap.status, snap.progress))

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT))
        self._loop = asyncio.create_task(self._run(), name="sim-hooks")

    async def stop(self) -> None:
        tasks: list[asyncio.Task[None]] = [*self._sends]
        if self._loop is not None:
            tasks.append(self._loop)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        self._loop = self._session = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                self.tick()
            except Exception:  # a bug here must not silence every later hook
                log.exception("notifyHook tick failed")

    def tick(self) -> None:
        for task_id, (task, last) in list(self._watched.items()):
            snap = self._snap(task)
            key = (snap.status, snap.progress)
            if key == last:
                continue
            if snap.status in TERMINAL:
                del self._watched[task_id]
            else:
                self._watched[task_id] = (task, key)
            if task.notify_hook:
                self._fire(task.notify_hook, self._payload(task))

    def _fire(self, url: str, payload: dict[str, Any]) -> None:
        send = asyncio.create_task(self._send(url, payload))
        self._sends.add(send)
        send.add_done_callback(self._sends.discard)

    async def _send(self, url: str, payload: dict[str, Any]) -> None:
        if self._session is None:
            return
        try:
            async with self._session.post(url, json=payload) as resp:
                await resp.read()
                self.delivered += 1
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.debug("notifyHook %s failed: %r", url, exc)
