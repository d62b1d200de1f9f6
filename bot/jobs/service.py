"""JobService: the one place where jobs are created, submitted, advanced and settled.

Data goes one way (design.md): the Discord side calls in, the service writes the store and
calls CometAPI, and changes go out as JobEvents. The service never calls Discord.

Money rule (faults.md): a job is charged when its row is reserved, before the upstream submit,
and every charged job ends delivered or refunded exactly once; the ledger's unique rows make a
second refund a no-op, so every failure path may call `_refund` without coordination.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from bot.cometapi import errors as api
from bot.cometapi.models import SpeedMode, Task
from bot.cometapi.retry import submit_outcome_unknown
from bot.db import Database
from bot.db.records import JobRecord, JobStatus
from bot.errors import Refused
from bot.jobs import submits
from bot.jobs.events import ClientProvider, EventKind, EventSink, JobConfig, JobEvent, Requester
from bot.jobs.prompts import DEFAULT_BANNED, check_prompt
from bot.jobs.states import PENDING, TERMINAL, job_status_for, may_move, sources_for
from bot.jobs.submits import Submit

log = logging.getLogger(__name__)

DAY = 86_400.0
UNFINISHED = (*PENDING, JobStatus.MODAL)


class JobService:
    def __init__(
        self,
        db: Database,
        clients: ClientProvider,
        events: EventSink,
        config: JobConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.clients = clients
        self.events = events
        self.config = config or JobConfig()
        self.clock = clock
        self.wake: Callable[[], None] = lambda: None  # set by the Tracker

    # -- creating and submitting ---------------------------------------------------------

    async def reserve(
        self,
        req: Requester,
        *,
        kind: str,
        prompt: str,
        mode: str,
        private: bool = False,
        parent: JobRecord | None = None,
        button_index: int | None = None,
        action: str = "",
        meta: dict[str, Any] | None = None,
    ) -> JobRecord:
        """Write the job row and charge it within the guild's quotas; nothing upstream yet."""
        now = self.clock()
        job = await self.db.jobs.create(
            guild_id=req.guild_id,
            channel_id=req.channel_id,
            user_id=req.user_id,
            parent_id=parent.id if parent else None,
            button_index=button_index,
            kind=kind,
            action=action,
            prompt=prompt,
            mode=mode,
            private=private,
            interaction_token=req.interaction_token,
            interaction_expires_at=req.interaction_expires_at,
            deadline_at=now + self.config.deadline_seconds,
            next_poll_at=now,
            meta={"key_scope": self.clients.scope_for(req.guild_id), **(meta or {})},
        )
        cost = self.config.costs.get(mode, 1)
        settings = await self.db.guilds.get(req.guild_id) if req.guild_id else None
        user_limit = settings.daily_quota_per_user if settings else None
        guild_limit = settings.monthly_budget if settings else None
        ok = await self.db.ledger.reserve_within_quota(
            job.id,
            req.guild_id,
            req.user_id,
            cost,
            user_limit=user_limit,
            guild_limit=guild_limit,
            since_user=now - DAY,
            since_guild=now - 30 * DAY,
        )
        if not ok:
            await self.db.jobs.transition(
                job.id,
                from_statuses=(JobStatus.RESERVED,),
                to=JobStatus.FAILED,
                fail_reason="quota",
                finished_at=now,
            )
            raise Refused("quota.exhausted", limit=user_limit or guild_limit or 0)
        await self.db.ledger.confirm(job.id)
        return await self._get(job.id)

    async def checked_prompt(self, guild_id: int | None, prompt: str) -> str:
        """Every prompt a user typed (command, remix, zoom, region) passes the same checks
        before anything is charged: length, parameters, built-in and guild banned words."""
        banned = list(DEFAULT_BANNED)
        if guild_id is not None:
            banned.extend((await self.db.guilds.get(guild_id)).banned_words)
        return check_prompt(prompt, banned)

    async def launch(self, job: JobRecord, submit: Submit) -> JobRecord:
        """Submit a reserved job once. Raises Refused (refunded) when upstream says no."""
        client = self.clients.client_for(job.meta.get("key_scope"))
        try:
            result = await submit(client, str(job.id))
        except api.CometAPIError as exc:
            if submit_outcome_unknown(exc):
                log.warning("job %s: submit outcome unknown (%s); reconciling", job.id, exc)
                return await self._await_reconcile(job)
            await self._fail(job, reason=str(exc), from_statuses=(JobStatus.RESERVED,))
            raise submits.refusal_for(exc) from exc
        if not result.task_id:
            return await self._await_reconcile(job)
        now = self.clock()
        status = {21: JobStatus.MODAL, 22: JobStatus.QUEUED}.get(result.code, JobStatus.SUBMITTED)
        moved = await self.db.jobs.transition(
            job.id,
            from_statuses=(JobStatus.RESERVED,),
            to=status,
            task_id=result.task_id,
            queue_position=result.queue_ahead,
            next_poll_at=now + self.config.poll_young,
        )
        job = moved or await self._get(job.id)
        if job.status == JobStatus.MODAL:
            job = await self.send_modal(job)
        await self._emit(EventKind.CHANGED, job)
        self.wake()
        return job

    async def imagine(
        self,
        req: Requester,
        prompt: str,
        *,
        mode: str,
        private: bool = False,
        images: Sequence[str] = (),
        meta: dict[str, Any] | None = None,
    ) -> JobRecord:
        """Reserve, charge and submit one /imagine; Refused (refunded) when it can't run."""
        job = await self.reserve(
            req, kind="imagine", prompt=prompt, mode=mode, private=private, meta=meta
        )
        return await self.launch(job, submits.imagine(prompt, images, mode, self.config))

    async def describe(
        self,
        req: Requester,
        image: str,
        *,
        mode: str,
        private: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> JobRecord:
        """Four prompts for an image (a data URL); its 1️⃣–4️⃣ buttons imagine one."""
        job = await self.reserve(
            req, kind="describe", prompt="", mode=mode, private=private, meta=meta
        )
        return await self.launch(job, submits.describe(image, mode, self.config))

    async def _await_reconcile(self, job: JobRecord) -> JobRecord:
        until = self.clock() + self.config.reconcile_grace
        moved = await self.db.jobs.transition(
            job.id,
            from_statuses=(JobStatus.RESERVED,),
            to=JobStatus.SUBMITTED,
            meta={**job.meta, "reconcile_until": until},
        )
        return moved or await self._get(job.id)

    async def send_modal(self, job: JobRecord) -> JobRecord:
        """Answer a MODAL task with the prompt (and mask) stored when the user asked."""
        assert job.task_id is not None
        client = self.clients.client_for(job.meta.get("key_scope"))
        prompt = job.meta.get("modal_prompt") or job.prompt
        mask = job.meta.get("modal_mask")
        meta = {k: v for k, v in job.meta.items() if k != "modal_mask"}
        try:
            await client.modal(
                job.task_id,
                prompt=prompt,
                mask_base64=mask,
                mode=SpeedMode(job.mode),
                state=str(job.id),
            )
        except api.CometAPIError as exc:
            if not submit_outcome_unknown(exc):
                key = "region.expired" if job.meta.get("region") else None
                await self._fail(job, reason=str(exc), from_statuses=(JobStatus.MODAL,), key=key)
                return await self._get(job.id)
            log.warning("job %s: modal outcome unknown (%s)", job.id, exc)
        moved = await self.db.jobs.transition(
            job.id,
            from_statuses=(JobStatus.MODAL,),
            to=JobStatus.SUBMITTED,
            meta={**meta, "modal_sent": True},
            next_poll_at=self.clock(),
        )
        return moved or await self._get(job.id)

    # -- applying upstream news ------------------------------------------------------------

    async def apply(self, task: Task) -> None:
        """Fold one task snapshot (poll or webhook) into its job; never goes backwards."""
        job = await self.db.jobs.get_by_task(task.id)
        if job is None:
            return
        await self.db.jobs.update(job.id, unknown_polls=0) if job.unknown_polls else None
        new = job_status_for(task.status)
        modal_sent = bool(job.meta.get("modal_sent"))
        progress = max(job.progress, task.progress or 0)
        if new is None or new == job.status:
            await self._progress(job, task, progress)
            return
        if not may_move(job.status, new, modal_sent=modal_sent):
            return
        now = self.clock()
        fields: dict[str, Any] = {}
        if new == JobStatus.SUCCEEDED:
            fields.update(
                progress=100,
                image_url=task.image_url or job.image_url,
                video_url=task.video_url or None,
                final_prompt=task.final_prompt or job.prompt,
                buttons=[b.to_dict() for b in task.buttons],
                finished_at=now,
            )
        elif new == JobStatus.FAILED:
            fields.update(fail_reason=task.fail_reason or "failed upstream", finished_at=now)
        elif new in (JobStatus.QUEUED, JobStatus.RUNNING):
            fields.update(progress=progress, image_url=task.image_url or job.image_url)
        async with self.db.transaction():  # the failure and its refund land together
            moved = await self.db.jobs.transition(
                job.id, from_statuses=sources_for(new, modal_sent=modal_sent), to=new, **fields
            )
            if moved is not None and new == JobStatus.FAILED:
                await self._refund(moved, moved.fail_reason or "failed")
        if moved is None:
            return  # another update won the race; it has emitted
        if new == JobStatus.FAILED:
            await self._emit(EventKind.FAILED, await self._get(job.id))
        elif new == JobStatus.SUCCEEDED:
            await self._emit(EventKind.FINISHED, moved)
        elif new == JobStatus.MODAL:
            await self._emit(EventKind.CHANGED, await self.send_modal(moved))
        else:
            await self._emit(EventKind.CHANGED, moved)

    async def _progress(self, job: JobRecord, task: Task, progress: int) -> None:
        if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUBMITTED):
            return
        preview = task.image_url or job.image_url
        if progress <= job.progress and preview == job.image_url:
            return
        moved = await self.db.jobs.transition(
            job.id,
            from_statuses=(job.status,),
            to=job.status,
            progress=progress,
            image_url=preview,
        )
        if moved is not None:
            await self._emit(EventKind.CHANGED, moved)

    async def unknown(self, job: JobRecord) -> None:
        """The upstream left the task out of a poll; give up after a few such polls."""
        if job.status == JobStatus.TIMED_OUT:
            return  # already settled; it simply stops being looked at after the late window
        count = job.unknown_polls + 1
        if count < self.config.max_unknown_polls:
            await self.db.jobs.update(job.id, unknown_polls=count)
            return
        await self._fail(job, reason="the task is unknown upstream", from_statuses=PENDING)

    async def expire_overdue(self) -> None:
        """Time out jobs past their deadline, and submits that never showed up upstream."""
        now = self.clock()
        for job in await self.db.jobs.overdue(now):
            until = job.meta.get("reconcile_until")
            if job.task_id is None and until is not None and now >= float(until):
                await self._fail(job, reason="the submit was lost", from_statuses=PENDING)
            elif job.deadline_at is not None and now > job.deadline_at:
                await self._fail(
                    job, reason="timed out", from_statuses=UNFINISHED, to=JobStatus.TIMED_OUT
                )

    async def resume(self) -> int:
        """At start: a RESERVED row means we died mid-submit; reconcile it, never resubmit."""
        now = self.clock()
        count = 0
        for job in await self.db.jobs.pending(limit=10_000):
            count += 1
            if job.status == JobStatus.RESERVED:
                await self._await_reconcile(job)
            else:
                await self.db.jobs.update(job.id, next_poll_at=now)
        self.wake()
        return count

    async def hint(self, task_id: str, state: str) -> bool:
        """A webhook named this task: poll it now. Nothing in the body is trusted."""
        job = await self.db.jobs.get_by_task(task_id)
        if job is None and state.isdigit():
            reconciling = await self.db.jobs.get(int(state))
            if reconciling is None or reconciling.task_id is not None:
                return False
            client = self.clients.client_for(reconciling.meta.get("key_scope"))
            try:
                task = await client.fetch(task_id)
            except api.CometAPIError:
                return False
            job = await self.attach_by_state(task) if task is not None else None
        if job is None:
            return False
        if job.status == JobStatus.TIMED_OUT and job.task_id:
            # No longer polled, but a late success is still delivered (refunded, never
            # charged twice): look it up now, with our key, rather than trust the body.
            client = self.clients.client_for(job.meta.get("key_scope"))
            try:
                task = await client.fetch(job.task_id)
            except api.CometAPIError:
                return False
            if task is not None:
                await self.apply(task)
            return True
        if job.status in TERMINAL:
            return False
        await self.db.jobs.update(job.id, next_poll_at=self.clock())
        self.wake()
        return True

    async def attach_by_state(self, task: Task) -> JobRecord | None:
        """A task found by its `state` (our job id) for a submit whose answer was lost."""
        if not task.state.isdigit():
            return None
        job = await self.db.jobs.get(int(task.state))
        if job is None or job.task_id is not None or job.status in TERMINAL:
            return None
        moved = await self.db.jobs.transition(
            job.id,
            from_statuses=(JobStatus.SUBMITTED, JobStatus.RESERVED),
            to=JobStatus.SUBMITTED,
            task_id=task.id,
            next_poll_at=self.clock(),
        )
        self.wake()
        return moved

    # -- settling ------------------------------------------------------------------------

    async def _fail(
        self,
        job: JobRecord,
        *,
        reason: str,
        from_statuses: tuple[JobStatus, ...],
        to: JobStatus = JobStatus.FAILED,
        key: str | None = None,
    ) -> None:
        meta = {**job.meta, "notice_key": key} if key else job.meta
        async with self.db.transaction():  # the failure and its refund land together
            moved = await self.db.jobs.transition(
                job.id,
                from_statuses=from_statuses,
                to=to,
                fail_reason=reason,
                finished_at=self.clock(),
                meta=meta,
            )
            if moved is not None:
                await self._refund(moved, reason)
        if moved is None:
            return
        await self._emit(EventKind.FAILED, await self._get(job.id))

    async def _refund(self, job: JobRecord, reason: str) -> None:
        """Idempotent: the ledger's unique row refuses a second refund (and sets charge_state).
        The parent's button is freed too, so a failed Vary/Zoom/Region can be tried again."""
        await self.db.ledger.refund(job.id, reason)
        if job.parent_id is not None and job.button_index is not None:
            await self.db.claims.release(job.parent_id, job.button_index)

    async def _get(self, job_id: int) -> JobRecord:
        job = await self.db.jobs.get(job_id)
        assert job is not None
        return job

    async def _emit(self, kind: EventKind, job: JobRecord) -> None:
        try:
            await self.events(JobEvent(kind, job))
        except Exception:  # the Discord side must never break the job loop
            log.exception("job %s: event handler failed", job.id)
