"""The simulator's task: a record plus a timeline; its status is computed from the clock.

No task has a coroutine of its own: `snapshot(task, now)` derives status and progress from the
timestamps, so thousands of running tasks cost nothing until somebody looks at them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bot.sim.buttons import Button

PENDING = ("", "NOT_START", "SUBMITTED", "IN_PROGRESS")
TERMINAL = ("SUCCESS", "FAILURE", "CANCEL")
MODAL_EXPIRED = "上游任务超时（超过1小时）"  # upstream task timed out (over 1 hour)
PROGRESS_STEPS = 8  # progress moves in jumps, as Midjourney's does


class Clock:
    """Monotonic seconds for arithmetic, converted to wall-clock milliseconds for the wire.

    Tests may `pause` it (every task then holds its status however busy the machine is) and
    `advance` it by exact steps; `resume` lets it run on from where it stands. It never goes
    backwards."""

    def __init__(self) -> None:
        self._mono0 = time.monotonic()
        self._wall0 = time.time()
        self._offset = 0.0
        self._paused_at: float | None = None

    def now(self) -> float:
        if self._paused_at is not None:
            return self._paused_at
        return time.monotonic() - self._mono0 + self._offset

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = self.now()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._offset = self._paused_at - (time.monotonic() - self._mono0)
            self._paused_at = None

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock never goes backwards")
        if self._paused_at is not None:
            self._paused_at += seconds
        else:
            self._offset += seconds

    def ms(self, t: float) -> int:
        return int((self._wall0 + t) * 1000)


@dataclass
class Timeline:
    """Clock seconds of each transition (mj-protocol.md §4 lifecycle)."""

    submit: float
    visible: float  # the gateway's first upstream poll: status "" before this
    start: float  # NOT_START -> SUBMITTED
    running: float  # SUBMITTED -> IN_PROGRESS
    finish: float  # IN_PROGRESS -> SUCCESS


@dataclass
class Recipe:
    """How to draw a task's result; drawing is deterministic, so bytes can be re-made."""

    op: str  # fresh, upsample, hd, variation, zoom, square, custom_zoom, pan, inpaint, blend,
    # edits, video, describe, none
    layout: str  # grid, single, video, describe, text
    size: tuple[int, int]  # the whole result (a grid is 2x2 tiles)
    tile: tuple[int, int]
    seed: int
    text: str
    parent: str | None = None
    index: int = 1
    factor: float = 1.0  # zoom factor, upscale factor, or variation strength
    arg: str = ""  # pan direction, video motion, "creative"
    inputs: list[bytes] = field(default_factory=list)  # normalised PNG bytes
    mask: bytes | None = None


@dataclass(eq=False)
class SimTask:
    id: str
    action: str
    mode: str  # FAST, TURBO, RELAX
    prompt: str
    bot_type: str
    recipe: Recipe
    created: float
    hash: str
    state: str = ""
    custom_id: str = ""
    description: str = "提交成功"
    notify_hook: str | None = None
    parent_id: str | None = None
    buttons: list[Button] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)  # describe's four prompts
    timeline: Timeline | None = None  # None while the task waits in MODAL
    modal_kind: str | None = None  # INPAINT, CUSTOM_ZOOM, REMIX, PICREADER
    modal_deadline: float | None = None
    modal_submitted: bool = False
    stick_at: float | None = None
    fail_at: float | None = None
    fail_reason: str = ""
    slot_end: float = 0.0  # when its upstream slot frees (queue bookkeeping)

    @property
    def seed(self) -> int:
        return self.recipe.seed


@dataclass(frozen=True)
class Snap:
    status: str
    progress: int  # 0..100
    started: float | None
    ended: float | None
    fail_reason: str = ""


def snapshot(task: SimTask, now: float) -> Snap:
    tl = task.timeline
    if tl is None:
        deadline = task.modal_deadline
        if task.fail_at is not None and now >= task.fail_at:
            return Snap("FAILURE", 100, None, task.fail_at, task.fail_reason)
        if deadline is not None and now >= deadline:
            return Snap("FAILURE", 100, None, deadline, MODAL_EXPIRED)
        return Snap("MODAL", 0, None, None)
    if now < tl.visible:
        return Snap("", 0, None, None)
    if task.fail_at is not None and now >= task.fail_at and task.fail_at < tl.finish:
        started = tl.start if task.fail_at >= tl.start else None
        return Snap("FAILURE", 100, started, task.fail_at, task.fail_reason)
    t = now if task.stick_at is None else min(now, task.stick_at)
    if t < tl.start:
        return Snap("NOT_START", 0, None, None)
    if t < tl.running:
        return Snap("SUBMITTED", 0, tl.start, None)
    if t < tl.finish:
        frac = (t - tl.running) / max(1e-9, tl.finish - tl.running)
        steps = int(frac * PROGRESS_STEPS)
        return Snap("IN_PROGRESS", min(99, steps * 100 // PROGRESS_STEPS), tl.start, None)
    return Snap("SUCCESS", 100, tl.start, tl.finish)


def modal_snapshot(task: SimTask) -> Snap:
    """The gateway's stale row of a task whose modal was answered."""
    return Snap("MODAL", 0, None, None)


def to_dict(task: SimTask, snap: Snap, clock: Clock, public_url: str) -> dict[str, Any]:
    """The task object of fetch / list-by-condition / webhooks (mj-protocol.md §4)."""
    status = snap.status
    image_url = ""
    video_url = ""
    layout = task.recipe.layout
    has_image = layout in ("grid", "single", "video", "describe")
    if status == "SUCCESS" and has_image:
        image_url = f"{public_url}/mj/image/{task.id}"
        if layout == "video":
            video_url = f"{public_url}/mj/video/{task.id}"
    elif status == "IN_PROGRESS" and snap.progress > 0 and layout in ("grid", "single"):
        # a progress preview; `rand` only defeats caches, like the gateway's
        image_url = f"{public_url}/mj/image/{task.id}?rand={time.time_ns()}"
    first_poll = status == ""
    properties: dict[str, Any] | None = None
    if not first_poll:
        final = task.properties.get("finalPrompt", task.prompt)
        properties = {"finalZhPrompt": "", **task.properties, "finalPrompt": final}
    body: dict[str, Any] = {
        "id": task.id,
        "action": task.action,
        "customId": task.custom_id,
        "botType": task.bot_type,
        "prompt": task.prompt,
        "promptEn": task.prompt,
        "description": task.description,
        "state": task.state,
        "mode": task.mode,
        "submitTime": clock.ms(task.created),
        "startTime": clock.ms(snap.started) if snap.started is not None else 0,
        "finishTime": clock.ms(snap.ended) if snap.ended is not None else 0,
        "imageUrl": image_url,
        "videoUrl": video_url,
        "status": status,
        "progress": f"{snap.progress}%",
        "failReason": snap.fail_reason,
        "buttons": None if first_poll else (task.buttons if status == "SUCCESS" else []),
        "maskBase64": "",
        "properties": properties,
    }
    if video_url:
        body["videoUrls"] = [{"url": video_url}]
    return body
