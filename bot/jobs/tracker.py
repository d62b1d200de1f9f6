"""The Tracker: one loop that polls every pending task in batches.

Each round takes the jobs this process may poll (its own leases, or lapsed ones: several
processes share the jobs, bot/db/leases.py) whose `next_poll_at` has come (those due soon
fill the round's last request, see `filling`), asks CometAPI about them with
list-by-condition (≤ batch_size ids a request, grouped by API key), folds each answer into
its job through JobService.apply and schedules the next poll: often for young jobs, less
often for old ones. A webhook or a new submit wakes the loop at once. When polling fails
(5xx, 429, timeouts) the round backs off, capped, and jobs say "delayed" once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

from bot.cometapi import errors as api
from bot.cometapi.client import CometAPIClient
from bot.cometapi.retry import retry_delay
from bot.db.records import JobRecord
from bot.jobs.events import ClientProvider, EventKind, JobEvent
from bot.jobs.service import JobService

log = logging.getLogger(__name__)
POLL_EARLY = 0.25  # of `poll_young`: how early a job may be polled to fill a request


def filling(jobs: list[JobRecord], now: float, size: int) -> list[JobRecord]:
    """Of `jobs` (most overdue first), the due ones and as many due soon as fill their last
    request of `size`: an early poll rides in a request that is made anyway, never in one of
    its own (it would only shorten the job's interval)."""
    due = sum(1 for job in jobs if job.next_poll_at <= now)
    return jobs[: -(-due // size) * size]


class Tracker:
    def __init__(
        self,
        service: JobService,
        clients: ClientProvider,
        *,
        clock: Callable[[], float] = time.time,
        idle: float = 5.0,
    ) -> None:
        self.service = service
        self.db = service.db
        self.clients = clients
        self.clock = clock
        self.idle = idle  # longest sleep when nothing is due
        self.failures = 0  # consecutive failed rounds: drives the backoff
        self.requests = 0  # upstream poll requests made (the benchmark reads it)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        service.wake = self.wake

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="tracker")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                delay = await self.round()
            except Exception:  # the loop must outlive any one bad round
                log.exception("tracker round failed")
                delay = self.idle
            if delay > 0:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that
                # races with the event being set, and the loop would never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()

    async def round(self) -> float:
        """Poll what is due once; return how long to sleep before the next round."""
        await self.service.expire_overdue()
        now = self.clock()
        await self.db.leases.renew(now)  # this process is alive: its jobs stay its own
        config = self.service.config
        late_since = now - config.late_window
        for orphan in await self.db.leases.claim_orphans(now, late_since):
            await self._isolated(orphan, self.service.reconciler.look_up(orphan))
        # Jobs due soon may fill a request that goes out anyway: several processes each
        # waking for a few due jobs would otherwise send many part-filled ones.
        due = await self.db.leases.claim_due(
            now,
            limit=config.batch_size * 10,
            late_since=late_since,
            early=config.poll_young * POLL_EARLY,
        )
        groups: dict[object, list[JobRecord]] = defaultdict(list)
        for job in due:
            groups[job.meta.get("key_scope")].append(job)
        ok = True
        for scope, candidates in groups.items():
            jobs = filling(candidates, now, config.batch_size)
            if not jobs:
                continue
            try:
                client = await self.clients.client_for(scope if isinstance(scope, int) else None)
            except Exception:  # an unreadable guild key: its jobs wait for their deadline
                log.exception("no CometAPI client for key scope %s", scope)
                await self.db.jobs.reschedule([j.id for j in jobs], now + config.poll_old)
                continue
            for start in range(0, len(jobs), config.batch_size):
                batch = jobs[start : start + config.batch_size]
                ok = await self._poll(client, batch) and ok
        if not ok:
            self.failures += 1
            return retry_delay(
                self.failures, retry_after=None, base=1.0, cap=60.0, rand=random.random
            )
        self.failures = 0
        return await self._sleep_for()

    async def _poll(self, client: CometAPIClient, batch: list[JobRecord]) -> bool:
        ids = [j.task_id for j in batch if j.task_id]
        self.requests += 1
        try:
            tasks = await client.list_by_condition(ids)
        except api.CometAPIError as exc:
            log.warning("poll of %d tasks failed: %s", len(ids), exc)
            await self._delayed(batch)
            return False
        except Exception:  # never let one batch stop the round (nor the others' polls)
            log.exception("poll of %d tasks failed unexpectedly", len(ids))
            await self._delayed(batch)
            return False
        # Reschedule the whole batch first; apply() may pull a job earlier (after a modal).
        now = self.clock()
        young = [j.id for j in batch if now - j.created_at < self.service.config.young_age]
        old = [j.id for j in batch if now - j.created_at >= self.service.config.young_age]
        await self.db.jobs.reschedule(young, now + self.service.config.poll_young)
        await self.db.jobs.reschedule(old, now + self.service.config.poll_old)
        by_task = {j.task_id: j for j in batch}
        seen = {t.id for t in tasks}
        for task in tasks:
            job = by_task.get(task.id)
            await self._isolated(job, self.service.apply(task, job))
        for job in batch:
            if job.task_id not in seen:
                await self._isolated(job, self.service.unknown(job))
        return True

    async def _isolated(self, job: JobRecord | None, work: Awaitable[bool | None]) -> None:
        """One job's error is logged and costs no other job its poll."""
        try:
            await work
        except Exception:
            log.exception("job %s: tracking failed", job.id if job else "?")

    async def _delayed(self, batch: list[JobRecord]) -> None:
        """Tell each job's owner once that the upstream is slow (faults.md #5)."""
        now = self.clock()
        backoff = retry_delay(
            self.failures + 1, retry_after=None, base=1.0, cap=60.0, rand=random.random
        )
        for job in batch:
            await self.db.jobs.update(job.id, next_poll_at=now + backoff)
            if not job.meta.get("delayed_notice"):
                fresh = await self.db.jobs.merge_meta(job.id, {"delayed_notice": True})
                if fresh is not None:
                    await self.service.events(JobEvent(EventKind.NOTICE, fresh, "job.delayed"))

    async def _sleep_for(self) -> float:
        nxt = await self.db.leases.next_due(self.clock())
        if nxt is None:
            return self.idle
        return max(0.0, min(self.idle, nxt - self.clock()))
