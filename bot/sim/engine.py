"""Task bookkeeping: ids, pace, the upstream account's queue, and forced lifecycle for tests."""

from __future__ import annotations

import heapq
import random
import uuid
import zlib
from typing import Any

from bot.sim.config import SimConfig
from bot.sim.faults import DEFAULT_FAIL_REASON, Fault
from bot.sim.tasks import TERMINAL, Clock, Recipe, SimTask, Snap, Timeline, snapshot

# Seconds at speed 1 in FAST mode after the gateway's first poll (SimConfig.first_poll_delay,
# 3 s by default), (shortest, longest); the job's seed picks within.
_DURATIONS = {
    "grid": (27.0, 42.0),
    "upsample": (6.0, 10.0),
    "hd": (20.0, 30.0),
    "video": (60.0, 75.0),
    "describe": (8.0, 12.0),
    "text": (6.0, 10.0),
}
_MODE_FACTOR = {"FAST": 1.0, "TURBO": 0.4, "RELAX": 2.4}  # turbo ≈ 15 s, relax ≈ 90 s
_PICKUP = 0.04  # share of the job spent before an account picks it up
_SUBMITTED = 0.1  # share spent in SUBMITTED ("0%")
BANNED_REASON = "可能包含敏感词"


class QueueFull(Exception):
    """The account's queue is full: code 23."""


class Engine:
    def __init__(self, config: SimConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.tasks: dict[str, SimTask] = {}
        self._slots: list[float] = []  # heap of the times busy slots free up
        self._waiting: list[tuple[float, str]] = []  # (start, id) of queued tasks
        self._rng = random.Random()

    # ---- creation -------------------------------------------------------------------------

    def new_id(self) -> str:
        while True:
            task_id = f"{self.clock.ms(self.clock.now())}{self._rng.randrange(1000):03d}"
            if task_id not in self.tasks:
                return task_id

    def seed_for(self, task_id: str, prompt_seed: int | None) -> int:
        return prompt_seed if prompt_seed is not None else zlib.crc32(task_id.encode())

    def add(
        self,
        *,
        task_id: str,
        action: str,
        mode: str,
        prompt: str,
        bot_type: str,
        recipe: Recipe,
        body: dict[str, Any],
        **extra: Any,
    ) -> SimTask:
        state = body.get("state")
        hook = body.get("notifyHook")
        task = SimTask(
            id=task_id,
            action=action,
            mode=mode,
            prompt=prompt,
            bot_type=bot_type,
            recipe=recipe,
            created=self.clock.now(),
            hash=str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            state=state if isinstance(state, str) else "",
            notify_hook=hook if isinstance(hook, str) and hook else None,
            **extra,
        )
        self.tasks[task_id] = task
        if len(self.tasks) > self.config.max_tasks:
            self._forget_oldest()
        return task

    def _forget_oldest(self) -> None:
        excess = len(self.tasks) - self.config.max_tasks
        for old_id in list(self.tasks)[: excess * 2]:  # dicts keep insertion (age) order
            if excess <= 0:
                break
            if self.snap(self.tasks[old_id]).status in TERMINAL:
                del self.tasks[old_id]
                excess -= 1

    def to_modal(self, task: SimTask, kind: str) -> None:
        task.modal_kind = kind
        task.modal_deadline = self.clock.now() + self.config.modal_ttl

    # ---- pace and queue -------------------------------------------------------------------

    def _total(self, task: SimTask) -> float:
        r = task.recipe
        key = r.op if r.op in ("upsample", "hd") else r.layout
        low, high = _DURATIONS.get(key, _DURATIONS["grid"])
        pick = random.Random(task.seed ^ zlib.crc32(task.id.encode())).random()
        return (low + (high - low) * pick) * _MODE_FACTOR.get(task.mode, 1.0) / self.config.speed

    def schedule(
        self, task: SimTask, fault: Fault | None = None, banned: bool = False
    ) -> int | None:
        """Start a task's timeline now. None: an account takes it at once; otherwise it is
        queued and the number is how many queued tasks are ahead of it (code 22)."""
        now = self.clock.now()
        total = self._total(task)
        visible = now + self.config.first_poll_delay / self.config.speed
        # An account picks the job up a little after the gateway first sees it, so that a
        # poller can observe "" -> NOT_START -> SUBMITTED in order.
        earliest = visible + total * _PICKUP
        run = total - total * _PICKUP
        conc = self.config.effective_concurrency()
        self._waiting = [w for w in self._waiting if w[0] > now]
        ahead = 0
        start = earliest
        if conc is not None:
            while len(self._slots) > conc:  # the limit may have been lowered
                heapq.heappop(self._slots)
            if len(self._slots) >= conc and self._slots[0] > earliest:
                ahead = len(self._waiting)
                if self.config.queue_size is not None and ahead >= self.config.queue_size:
                    raise QueueFull
            if len(self._slots) >= conc:
                start = max(earliest, heapq.heappop(self._slots))
        running = start + run * _SUBMITTED
        finish = start + run
        task.timeline = Timeline(
            submit=now,
            visible=visible,
            start=start,
            running=running,
            finish=finish,
        )
        if banned:
            task.fail_at, task.fail_reason = running, BANNED_REASON
        elif fault is not None and fault.kind == "fail":
            task.fail_at = running + (finish - running) * 0.5
            task.fail_reason = fault.body or DEFAULT_FAIL_REASON
        elif fault is not None and fault.kind == "stick":
            task.stick_at = running + (finish - running) * 0.45
        task.slot_end = min(finish, task.fail_at) if task.fail_at is not None else finish
        if conc is not None:
            heapq.heappush(self._slots, task.slot_end)
        if start > earliest:
            self._waiting.append((start, task.id))
            return ahead
        return None

    # ---- looking ------------------------------------------------------------------------------

    def snap(self, task: SimTask) -> Snap:
        return snapshot(task, self.clock.now())

    def get(self, task_id: str) -> SimTask:
        try:
            return self.tasks[task_id]
        except KeyError:
            raise KeyError(f"no simulator task {task_id!r}") from None

    # ---- forcing (tests) ----------------------------------------------------------------------

    def stick(self, task_id: str) -> None:
        """Freeze a pending task at IN_PROGRESS n% (finished tasks are left alone)."""
        task = self.get(task_id)
        tl = task.timeline
        if tl is None or self.snap(task).status in TERMINAL:
            return
        now = self.clock.now()
        floor = tl.running + (tl.finish - tl.running) * 0.3
        task.stick_at = min(max(now, floor), tl.finish - 1e-6)

    def fail(self, task_id: str, reason: str = DEFAULT_FAIL_REASON) -> None:
        task = self.get(task_id)
        if self.snap(task).status in TERMINAL:
            return
        now = self.clock.now()
        task.fail_at, task.fail_reason = now, reason
        if task.timeline is not None:
            task.timeline.visible = min(task.timeline.visible, now)

    def finish(self, task_id: str) -> None:
        task = self.get(task_id)
        tl = task.timeline
        if tl is None:
            raise ValueError(f"task {task_id} waits in MODAL: submit the modal first")
        if self.snap(task).status in TERMINAL:
            return
        now = self.clock.now()
        tl.visible, tl.start = min(tl.visible, now), min(tl.start, now)
        tl.running, tl.finish = min(tl.running, now), now
        task.stick_at = task.fail_at = None
