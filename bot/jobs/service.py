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
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.cometapi import errors as api
from bot.cometapi.models import SpeedMode, Task
from bot.cometapi.retry import submit_outcome_unknown
from bot.db import Database
from bot.db.records import JobRecord, JobStatus, QuotaOutcome
from bot.errors import Refused
from bot.jobs import submits
from bot.jobs.escalation import is_moderation_refusal
from bot.jobs.events import ClientProvider, EventKind, EventSink, JobConfig, JobEvent, Requester
from bot.jobs.limits import DAY, Limits, check_running, month_start, over_quota
from bot.jobs.policy import Policy
from bot.jobs.reconcile import Reconciler, job_state
from bot.jobs.states import PENDING, job_status_for, may_move, sources_for
from bot.jobs.submits import Submit

log = logging.getLogger(__name__)

# After a charge (cost > 0) or a budget refusal (cost 0): the budget alerts (set by the bot).
BudgetHook = Callable[[int, int, int, float], Awaitable[None]]
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
        self.on_budget: BudgetHook | None = None
        self.policy = Policy(db, lambda: self.config)
        self.reconciler = Reconciler(self)

    # -- creating and submitting ---------------------------------------------------------

    async def admit(
        self,
        req: Requester,
        *,
        mode: str,
        prompt: str | None = None,
        typed: bool = True,
        several: bool = False,
    ) -> str | None:
        """Every check `reserve` makes but the quotas, without writing anything: a cog may ask
        first to refuse at once. Returns the typed prompt as it will be sent. `several`: the
        caller expands a multiplied prompt into its jobs (each then reserved on its own)."""
        text = prompt or None
        checked, _ = await self.policy.admit(
            req,
            mode=mode,
            typed_prompt=text if typed else None,
            prompt=None if typed else text,
            several=several,
        )
        return checked

    async def reserve(
        self,
        req: Requester,
        *,
        kind: str,
        prompt: str,
        mode: str,
        typed: bool = True,
        private: bool = False,
        parent: JobRecord | None = None,
        button_index: int | None = None,
        action: str = "",
        meta: dict[str, Any] | None = None,
    ) -> JobRecord:
        """The one way to a paid job: every check (Policy), then the job row and its charge
        within the quotas in one transaction, so a refused job leaves nothing behind and
        nothing is charged. `typed`: the prompt is the user's (all prompt checks apply)."""
        checked, limits = await self._admit(req, mode=mode, prompt=prompt, typed=typed)
        scope = await self.clients.scope_for(req.guild_id)  # refuses an unreadable guild key
        now = self.clock()
        cost = self.config.cost_of(mode, action)
        async with self.db.transaction():
            job = await self.db.jobs.create(
                guild_id=req.guild_id,
                channel_id=req.channel_id,
                user_id=req.user_id,
                parent_id=parent.id if parent else None,
                button_index=button_index,
                kind=kind,
                action=action,
                prompt=checked if checked is not None else prompt,
                mode=mode,
                private=private,
                interaction_token=req.interaction_token,
                interaction_expires_at=req.interaction_expires_at,
                deadline_at=now + self.config.deadline_seconds,
                next_poll_at=now,
                meta={"key_scope": scope, **(meta or {})},
            )
            outcome = await self.db.ledger.reserve_within_quota(
                job.id,
                req.guild_id,
                req.user_id,
                cost,
                user_limit=limits.user_limit,
                guild_limit=limits.guild_limit,
                since_user=now - DAY,
                since_guild=month_start(now),
                channel_id=req.channel_id,
                channel_limit=limits.channel_limit,
            )
            if outcome != QuotaOutcome.CHARGED:
                if outcome != QuotaOutcome.USER_LIMIT and req.guild_id and self.on_budget:
                    await self.on_budget(req.guild_id, req.channel_id, 0, now)  # the 100 % alert
                raise await over_quota(self.db, outcome, req, limits, now)  # rolls back the row
            await check_running(self.db, req, limits, now)  # rolls back too
            await self.db.ledger.confirm(job.id)
        if req.guild_id is not None and self.on_budget is not None:
            await self.on_budget(req.guild_id, req.channel_id, cost, now)
        return await self._get(job.id)

    async def _admit(
        self, req: Requester, *, mode: str, prompt: str | None, typed: bool
    ) -> tuple[str | None, Limits]:
        text = prompt or None
        return await self.policy.admit(
            req, mode=mode, typed_prompt=text if typed else None, prompt=None if typed else text
        )

    async def launch(self, job: JobRecord, submit: Submit) -> JobRecord:
        """Submit a reserved job once. Raises Refused (refunded) when upstream says no."""
        try:
            client = await self.clients.client_for(job.meta.get("key_scope"))
        except Refused as exc:  # the guild's key became unreadable since it was charged
            await self._fail(job, reason=exc.key, from_statuses=(JobStatus.RESERVED,), told=True)
            raise
        try:
            result = await submit(client, job_state(await self.db.instance(), job.id))
        except api.CometAPIError as exc:
            if submit_outcome_unknown(exc):
                log.warning("job %s: submit outcome unknown (%s); reconciling", job.id, exc)
                return await self.reconciler.await_task(job)
            await self._fail(job, reason=str(exc), from_statuses=(JobStatus.RESERVED,), told=True)
            if isinstance(exc, api.BannedPrompt) and job.guild_id is not None:
                await self.policy.hit(job.guild_id, job.user_id, "upstream_moderation", str(exc))
            raise submits.refusal_for(exc) from exc
        except Exception:  # anything unforeseen after the charge: the request may have left
            log.exception("job %s: submit failed unexpectedly; reconciling", job.id)
            return await self.reconciler.await_task(job)
        now = self.clock()
        status = {21: JobStatus.MODAL, 22: JobStatus.QUEUED}.get(result.code, JobStatus.SUBMITTED)
        extra = list(result.task_ids[1:])
        if extra:  # one job tracks one task; keep the others on record rather than lose them
            log.warning("job %s: the submit answered %d task ids", job.id, len(extra) + 1)
        moved = await self.db.jobs.transition(
            job.id,
            from_statuses=(JobStatus.RESERVED,),
            to=status,
            task_id=result.task_id,
            queue_position=result.queue_ahead,
            next_poll_at=now + self.config.poll_young,
            meta={**job.meta, "extra_task_ids": extra} if extra else job.meta,
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
        return await self.start(
            req,
            "imagine",
            lambda job: submits.imagine(job.prompt, images, mode, self.config),
            prompt=prompt,
            mode=mode,
            private=private,
            meta=meta,
        )

    async def start(
        self,
        req: Requester,
        kind: str,
        submit: Callable[[JobRecord], Submit],
        *,
        prompt: str,
        mode: str,
        private: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> JobRecord:
        """Any new job (not a button's): reserve and charge, then submit what `submit` builds
        from the reserved job (its prompt as checked). Refused (refunded) when it can't run."""
        job = await self.reserve(
            req, kind=kind, prompt=prompt, mode=mode, private=private, meta=meta, typed=bool(prompt)
        )
        return await self.launch(job, submit(job))

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
        link = image.startswith(("http://", "https://"))
        return await self.start(
            req,
            "describe",
            lambda _: submits.describe(image, mode, self.config, link=link),
            prompt="",
            mode=mode,
            private=private,
            meta=meta,
        )

    async def send_modal(self, job: JobRecord) -> JobRecord:
        """Answer a MODAL task with the prompt (and mask) stored when the user asked."""
        assert job.task_id is not None
        try:
            client = await self.clients.client_for(job.meta.get("key_scope"))
        except Refused as exc:
            await self._fail(job, reason=exc.key, from_statuses=(JobStatus.MODAL,), key=exc.key)
            return await self._get(job.id)
        prompt = job.prompt  # the checked prompt the user gave (remix, zoom, region)
        mask = job.meta.get("modal_mask")
        meta = {k: v for k, v in job.meta.items() if k != "modal_mask"}
        try:
            await client.modal(
                job.task_id,
                prompt=prompt,
                mask_base64=mask,
                mode=SpeedMode(job.mode),
                state=job_state(await self.db.instance(), job.id),
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

    async def apply(self, task: Task, known: JobRecord | None = None) -> None:
        """Fold one task snapshot (poll or webhook) into its job; never goes backwards.
        `known`: the job as the tracker just claimed it, which saves a read (every change
        below is guarded by the status it expects, so a stale copy changes nothing)."""
        fresh = known is not None and known.task_id == task.id
        job = known if fresh else await self.db.jobs.get_by_task(task.id)
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
            if job.guild_id is not None and is_moderation_refusal(None, task.fail_reason):
                await self.policy.hit(
                    job.guild_id, job.user_id, "upstream_moderation", task.fail_reason or ""
                )
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
        # A new preview link alone is kept but not shown: not worth one of the channel's few
        # edits (the next progress step shows it).
        if moved is not None and progress > job.progress:
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
        """Time out jobs past their deadline, and submits that never showed up upstream (those
        are refunded but still looked for: one found later is delivered free)."""
        now = self.clock()
        for job in await self.db.jobs.overdue(now):
            until = job.meta.get("reconcile_until")
            if job.task_id is None and until is not None and now >= float(until):
                await self._fail(
                    job,
                    reason="the submit was lost",
                    from_statuses=PENDING,
                    to=JobStatus.TIMED_OUT,
                    key="job.lost",
                )
            elif job.deadline_at is not None and now > job.deadline_at:
                await self._fail(
                    job, reason="timed out", from_statuses=UNFINISHED, to=JobStatus.TIMED_OUT
                )

    async def resume(self) -> int:
        """At start: a RESERVED row means we died mid-submit; reconcile it, never resubmit."""
        now = self.clock()
        count = 0
        for job in await self.db.leases.claim_pending():  # not another live process's
            count += 1
            if job.status == JobStatus.RESERVED:
                await self.reconciler.await_task(job)
            else:
                await self.db.jobs.update(job.id, next_poll_at=now)
        self.wake()
        return count

    async def hint(self, task_id: str, state: str) -> bool:
        """A webhook named this task: look at it now (the web server's entry point)."""
        return await self.reconciler.hint(task_id, state)

    # -- settling ------------------------------------------------------------------------

    async def _fail(
        self,
        job: JobRecord,
        *,
        reason: str,
        from_statuses: tuple[JobStatus, ...],
        to: JobStatus = JobStatus.FAILED,
        key: str | None = None,
        told: bool = False,
    ) -> None:
        """Fail (or time out) and refund in one transaction. `told`: the caller tells the user
        (a refused submit), so the job has no message of its own to render."""
        meta = {**job.meta, "notice_key": key} if key else dict(job.meta)
        if told:
            meta["delivered"] = to.value
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

    async def refund_undeliverable(self, job: JobRecord, reason: str) -> bool:
        """A finished job whose result cannot be delivered at all (not an image, gone
        upstream): give the charge back. True the first time."""
        refunded = await self.db.ledger.refund(job.id, reason)
        if refunded:
            log.warning("job %s: result undeliverable (%s); refunded", job.id, reason)
        return refunded

    async def _get(self, job_id: int) -> JobRecord:
        job = await self.db.jobs.get(job_id)
        assert job is not None
        return job

    async def _emit(self, kind: EventKind, job: JobRecord) -> None:
        try:
            await self.events(JobEvent(kind, job))
        except Exception:  # the Discord side must never break the job loop
            log.exception("job %s: event handler failed", job.id)
