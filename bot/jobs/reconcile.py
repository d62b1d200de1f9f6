"""Finding the upstream task of a submit whose answer was lost (faults.md 2 and 14).

Every submit carries `state` = "<instance>-<job id>" (the instance tag keeps another
deployment on the same key from ever matching). When the answer is lost (a read timeout, a
dropped connection, a 5xx, a garbled 2xx, a crash before the commit) the job is never
resubmitted: it waits in SUBMITTED without a task id for `reconcile_grace` while two ways look
for its task:
- polling: the tracker asks `find_by_state` for each such job every `poll_old` seconds, where
  the service offers a query by state (CometAPI's gateway may not: then LookupUnsupported);
- a webhook naming the task: only a hint, the task is re-fetched with our key and its state
  must name the job.
Past the grace the job is timed out and refunded ("job.lost"), but still looked for during
`late_window`: a task found then is delivered, free, once (TIMED_OUT → SUCCEEDED).
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING

from bot.cometapi import errors as api
from bot.cometapi.models import Task
from bot.db.records import JobRecord, JobStatus
from bot.errors import Refused
from bot.jobs.states import TERMINAL

if TYPE_CHECKING:
    from bot.jobs.service import JobService

log = logging.getLogger(__name__)

# Statuses of a job that may still be given its task: mid-submit, waiting, refunded as lost.
ORPHANS = (JobStatus.RESERVED, JobStatus.SUBMITTED, JobStatus.TIMED_OUT)
_JOB_NUMBER = re.compile(r"[0-9]{1,18}")
HINT_COOLDOWN = 1.0  # seconds: later hints for the same task add nothing
HINTS_REMEMBERED = 4096


def job_state(instance: str, job_id: int) -> str:
    return f"{instance}-{job_id}"


def job_id_from_state(instance: str, state: str) -> int | None:
    """The job a `state` names, if it is one of this deployment's (ASCII digits only)."""
    prefix, dash, number = state.partition("-")
    if dash and prefix == instance and _JOB_NUMBER.fullmatch(number):
        return int(number)
    return None


class Reconciler:
    def __init__(self, service: JobService) -> None:
        self.service = service
        self.db = service.db
        self._hinted: OrderedDict[str, float] = OrderedDict()  # task id → last hint

    async def await_task(self, job: JobRecord) -> JobRecord:
        """The submit's outcome is unknown: look for its task until the grace runs out."""
        until = self.service.clock() + self.service.config.reconcile_grace
        moved = await self.db.jobs.transition(
            job.id,
            from_statuses=(JobStatus.RESERVED,),
            to=JobStatus.SUBMITTED,
            meta={**job.meta, "reconcile_until": until},
            next_poll_at=self.service.clock(),
        )
        self.service.wake()
        return moved or await self.service._get(job.id)

    async def look_up(self, job: JobRecord) -> bool:
        """One polling look for an orphan's task (the tracker calls it when due)."""
        service = self.service
        state = job_state(await self.db.instance(), job.id)
        try:
            client = await service.clients.client_for(job.meta.get("key_scope"))
            task = await client.find_by_state(state)
        except api.LookupUnsupported:
            task = None  # only a webhook can find it
        except (api.CometAPIError, Refused) as exc:
            log.info("job %s: looking up its task failed: %s", job.id, exc)
            task = None
        if task is None or await self.attach(task) is None:
            await self.db.jobs.update(
                job.id, next_poll_at=service.clock() + service.config.poll_old
            )
            return False
        log.info("job %s: found its task %s by state", job.id, task.id)
        await service.apply(task)
        return True

    async def hint(self, task_id: str, state: str) -> bool:
        """A webhook named this task: look at it now. Nothing in the body is trusted.
        Upstream calls on every progress step; a task hinted a moment ago, or due for its
        poll anyway, costs no database write (the store is shared with interactions)."""
        service = self.service
        now = service.clock()
        if now - self._hinted.get(task_id, float("-inf")) < HINT_COOLDOWN:
            return True
        job = await self.db.jobs.get_by_task(task_id)
        if job is None:
            return await self._orphan_hint(task_id, state)
        if job.status == JobStatus.TIMED_OUT:
            # No longer polled often, but a late success is still delivered (refunded, never
            # charged twice): look it up now, with our key, rather than trust the body.
            task = await self._fetch(job, task_id)
            if task is not None:
                await service.apply(task)
            return task is not None
        if job.status in TERMINAL:
            return False
        self._hinted[task_id] = now
        self._hinted.move_to_end(task_id)
        if len(self._hinted) > HINTS_REMEMBERED:
            self._hinted.popitem(last=False)
        if job.next_poll_at > now + service.config.poll_young:  # else it is polled soon anyway
            await self.db.jobs.update(job.id, next_poll_at=now)
            service.wake()
            await self.db.notify()  # its poller may be another process
        return True

    async def _orphan_hint(self, task_id: str, state: str) -> bool:
        job_id = job_id_from_state(await self.db.instance(), state)
        job = await self.db.jobs.get(job_id) if job_id is not None else None
        if job is None or job.task_id is not None or job.status not in ORPHANS:
            return False
        task = await self._fetch(job, task_id)
        if task is None or await self.attach(task) is None:
            return False
        await self.service.apply(task)
        return True

    async def _fetch(self, job: JobRecord, task_id: str) -> Task | None:
        try:
            client = await self.service.clients.client_for(job.meta.get("key_scope"))
            return await client.fetch(task_id)
        except (api.CometAPIError, Refused, ValueError):
            return None

    async def attach(self, task: Task) -> JobRecord | None:
        """Give an orphan the task its `state` names (as upstream reported it)."""
        job_id = job_id_from_state(await self.db.instance(), task.state)
        job = await self.db.jobs.get(job_id) if job_id is not None else None
        if job is None or job.task_id is not None or job.status not in ORPHANS:
            return None
        late = job.status == JobStatus.TIMED_OUT
        moved = await self.db.jobs.transition(
            job.id,
            from_statuses=(job.status,),
            to=JobStatus.TIMED_OUT if late else JobStatus.SUBMITTED,
            task_id=task.id,
            next_poll_at=self.service.clock(),
        )
        self.service.wake()
        return moved
