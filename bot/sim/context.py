"""What a handler receives, what the simulator records, and the common end of every submit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sim.engine import QueueFull
from bot.sim.responses import DESC_QUEUE_FULL, envelope, invalid, submit_ok
from bot.sim.tasks import SimTask

if TYPE_CHECKING:
    from bot.sim.server import Simulator

MODES = {"/mj-fast": "FAST", "/mj-turbo": "TURBO", "/mj-relax": "RELAX"}
_ACCOUNT_MODES = ("FAST", "TURBO", "RELAX")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # as sent, speed prefix included
    route: str  # without the speed prefix ("/mj/submit/imagine")
    mode: str | None  # FAST / TURBO / RELAX from the prefix; None for plain /mj/...
    query: Mapping[str, str]
    headers: Mapping[str, str]
    json: Any  # the parsed body, or None
    body: bytes = field(repr=False)
    at: float = 0.0  # time.monotonic() when it arrived


@dataclass(frozen=True)
class Req:
    path: str
    route: str
    mode: str  # the speed mode the task runs in
    body: dict[str, Any]
    params: Mapping[str, str]


def split_mode(path: str) -> tuple[str | None, str | None]:
    """("/mj/...", mode) for a known prefix; (None, None) for anything else."""
    for prefix, mode in MODES.items():
        if path.startswith(prefix + "/mj/"):
            return path[len(prefix) :], mode
    if path.startswith("/mj/"):
        return path, None
    return None, None


def task_mode(prefix_mode: str | None, body: Mapping[str, Any]) -> str:
    """The prefix decides; plain /mj/ honours accountFilter.modes, else FAST."""
    if prefix_mode is not None:
        return prefix_mode
    account = body.get("accountFilter")
    modes = account.get("modes") if isinstance(account, dict) else None
    if isinstance(modes, list):
        for m in modes:
            if isinstance(m, str) and m.upper() in _ACCOUNT_MODES:
                return m.upper()
    return "FAST"


def check_common(body: Mapping[str, Any]) -> web.Response | None:
    """`state` and `notifyHook` limits (mj-protocol.md §3)."""
    state = body.get("state")
    if state is not None and (not isinstance(state, str) or len(state) > 255):
        return invalid("state参数错误: a string of at most 255 characters")
    hook = body.get("notifyHook")
    if hook is not None and (not isinstance(hook, str) or len(hook) > 2000):
        return invalid("notifyHook参数错误: a URL of at most 2000 characters")
    return None


def text_field(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value))  # old clients send task ids as numbers
    return value.strip() if isinstance(value, str) else ""


def launch(sim: Simulator, task: SimTask, req: Req, banned: bool = False) -> web.Response:
    """Put a task on its timeline and answer the submit: code 1, 22 (queued) or 23 (full)."""
    fault = sim.faults.take(req.path, req.route, task_level=True)
    try:
        ahead = sim.engine.schedule(task, fault, banned=banned)
    except QueueFull:
        sim.engine.tasks.pop(task.id, None)
        return envelope(23, DESC_QUEUE_FULL, task.id)
    sim.hooks.watch(task)
    if ahead is None:
        return submit_ok(task.id)
    code = 1 if sim.config.rewrite_queued_code else 22
    return envelope(code, f"排队中，前面还有{ahead}个任务", task.id, {"numberOfQueues": ahead})
