"""The Presenter turns JobEvents into edits of each job's one message.

Progress edits are coalesced to at most one per `min_interval` per message (a channel takes
about 5 edits per 5 s); the final edit is never dropped. Results are re-uploaded as
attachments (bot/ui/delivery.py). Public job messages are edited with the bot token (it never
expires); private ones through the interaction webhook while its token lives, then by DM.

A finished job is marked delivered (meta "delivered" = its status) only once its render
landed: a failed download is retried with backoff, a render Discord refused for now (429,
5xx) too, and the start-up sweep renders whatever is still undelivered. A channel that is
gone or forbids the bot gets the result by DM once, never a stream of 403s.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.db.records import JobRecord, JobStatus
from bot.imaging.fit import VIDEO_TYPES
from bot.jobs.coalesce import ChannelBudget, EditCoalescer, KeyedLocks, SharedChannelBudget
from bot.jobs.events import EventKind, JobEvent
from bot.ui import finding
from bot.ui.delivery import DeliveryPolicy, Result, RetryLater, fetch_result, send_by_dm
from bot.ui.render import NO_PINGS, job_embed, job_view

if TYPE_CHECKING:
    from bot.app import MJBot

log = logging.getLogger(__name__)
EXPIRED_TOKEN_CODES = (50027, 10015, 10062)  # invalid webhook token, unknown webhook/interaction
FETCHES_AT_ONCE = 4  # results downloaded and fitted at once


class Presenter:
    def __init__(
        self,
        bot: MJBot,
        *,
        min_interval: float = 3.0,
        delivery: DeliveryPolicy | None = None,
    ) -> None:
        self.bot = bot
        self.edits = EditCoalescer(self._progress, min_interval=min_interval)
        # Several processes on one PostgreSQL share the channel's budget through the database.
        shared = bot.db.dialect == "postgresql"
        self.budget = SharedChannelBudget(bot.db.edits) if shared else ChannelBudget()
        self.delivery = delivery or DeliveryPolicy()
        self._jobs = KeyedLocks()
        self._channels = KeyedLocks()
        self._fetching = asyncio.Semaphore(FETCHES_AT_ONCE)  # see _deliver
        self._tasks: set[asyncio.Task[None]] = set()
        self._posting: set[int] = set()  # jobs whose command or click is posting the message

    async def __call__(self, event: JobEvent) -> None:
        job = event.job
        if event.kind in (EventKind.CHANGED, EventKind.NOTICE):
            if job.message_id is not None:  # else the command renders the state on posting
                self.edits.schedule(job.id)
            return
        # A final render downloads, re-encodes and uploads: never inside the tracker's loop.
        self.edits.cancel(job.id)
        self._spawn(self.refresh(job.id), f"deliver-{job.id}")

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _retry_later(self, job: JobRecord, attempt: int) -> None:
        async def later() -> None:
            await asyncio.sleep(self.delivery.delay(attempt))  # the backoff itself
            await self.refresh(job.id)

        self._spawn(later(), f"retry-{job.id}")

    @contextmanager
    def posting(self, job_id: int) -> Iterator[None]:
        """Around a command's or click's post of the job's message and its `adopt`: the final
        render waits for it rather than post a second message, or render into one whose post
        Discord is still retrying (the retry would put the old state back)."""
        self._posting.add(job_id)
        try:
            yield
        finally:
            self._posting.discard(job_id)

    async def adopt(
        self, rendered: JobRecord, message: discord.Message, *, response: bool = False
    ) -> None:
        """The command posted the job's message (`response`: as its interaction response):
        it becomes the job's one message, unless a fallback post won the race (the command
        took longer than `post_grace`); then the command's copy is deleted."""
        if await self.bot.db.jobs.attach_message(rendered.id, message.id):
            if response:
                await self.bot.db.jobs.merge_meta(rendered.id, {"command_message": True})
            await self.attached(rendered)
            return
        log.info("job %s: its result was already posted; removing the command's copy", rendered.id)
        try:
            await message.delete()
        except discord.HTTPException as exc:
            log.warning("job %s: could not remove a duplicate message (%s)", rendered.id, exc)

    async def attached(self, rendered: JobRecord) -> None:
        """The job's message was just posted showing `rendered`: catch up on what happened
        meanwhile (events before the message existed were skipped), without a needless edit."""
        job = await self.bot.db.jobs.get(rendered.id)
        if job is None:
            return
        changed = (job.status, job.progress) != (rendered.status, rendered.progress)
        if job.status.is_terminal:
            self.edits.cancel(job.id)
            if changed:
                await self.refresh(job.id)
            return
        self.edits.rendered(job.id)  # the next progress edit waits a whole interval
        if changed:
            self.edits.schedule(job.id)

    async def sweep(self, since: float) -> int:
        """At start: render, in the background and one after another, every finished job
        whose final render never landed; returns how many. The bot goes online meanwhile:
        Discord refusing these renders must not keep it offline."""
        jobs = await self.bot.db.jobs.undelivered(since)

        async def render_all() -> None:
            for job in jobs:
                await self.refresh(job.id)

        if jobs:
            self._spawn(render_all(), "sweep")
        return len(jobs)

    async def _progress(self, job_id: int) -> None:
        """An intermediate edit: dropped when its channel is at its edit budget."""
        job = await self.bot.db.jobs.get(job_id)
        if job is None or job.status.is_terminal or job.message_id is None:
            return
        if await self.budget.allow(job.channel_id):
            await self.refresh(job_id, counted=True)

    async def close(self) -> None:
        await self.edits.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def sizes(self) -> dict[str, int]:
        """What the presenter holds in memory (a long-running bot must stay flat)."""
        return {
            "edits": len(self.edits),
            "channels_budgeted": len(self.budget),
            "job_locks": len(self._jobs),
            "channel_locks": len(self._channels),
            "tasks": len(self._tasks),
        }

    async def refresh(self, job_id: int, *, counted: bool = False) -> None:
        """Render the job's current state into its message (idempotent)."""
        async with self._jobs.hold(job_id):
            job = await self.bot.db.jobs.get(job_id)
            if job is None:
                return
            if not counted and not self._by_webhook(job):
                await self.budget.record(job.channel_id)
            try:
                await self._render(job)
            except discord.HTTPException as exc:
                await self._refused(job, exc)
            except (aiohttp.ClientError, TimeoutError) as exc:
                # No answer (a kept-alive connection closed under the request): discord.py
                # does not retry that, and an edit or a nonce'd post is safe to send again.
                log.warning("job %s: render got no answer (%r)", job.id, exc)
                await self._again(job)
            except Exception:  # one job's render must not take the others down
                log.exception("job %s: render failed", job.id)
                await self._again(job)

    async def _render(self, job: JobRecord) -> None:
        delivered = job.meta.get("delivered") in (job.status.value, True)
        if job.status.is_terminal and delivered:
            if job.status == JobStatus.SUCCEEDED and not job.meta.get("dm"):
                await self._edit(job, view=await self._view(job))  # buttons only
        elif job.status == JobStatus.SUCCEEDED:
            await self._deliver(job)
        elif job.status.is_terminal:  # failed: 🔄 Try again where its inputs allow it
            if await self._edit(job, embed=self._embed(job), view=job_view(job)):
                await self._mark_delivered(job)
        elif job.message_id is not None:
            await self._edit(job, embed=self._embed(job), view=None)

    async def _refused(self, job: JobRecord, exc: discord.HTTPException) -> None:
        """Discord refused a render. Progress edits are simply dropped; a final one is tried
        again later (429, 5xx) or, if the channel is gone or closed to the bot, sent by DM."""
        log.warning("job %s: edit refused (%s %s)", job.id, exc.status, exc.code)
        if not job.status.is_terminal:
            return
        if exc.status == 429 or exc.status >= 500:
            await self._again(job)
            return
        if isinstance(exc, discord.Forbidden | discord.NotFound):
            # The result stays retrievable with /show; one DM, then no more 403s.
            if not job.meta.get("dm"):
                if job.status == JobStatus.SUCCEEDED:
                    result = await self._result(job)
                    if result is None:
                        return  # the download is retried; that render lands here again
                else:
                    result = Result()
                embed = self._embed(job, result)
                await send_by_dm(
                    self.bot, job, result.file, embed=embed, view=await self._view(job)
                )
            await self._mark_delivered(job, undeliverable=True)

    async def _again(self, job: JobRecord) -> None:
        """A final render that failed for now is tried again later, a few times (then the
        next start's sweep). A progress edit is simply dropped: the next one follows."""
        if not job.status.is_terminal:
            return
        attempt = int(job.meta.get("render_attempts", 0)) + 1
        await self.bot.db.jobs.merge_meta(job.id, {"render_attempts": attempt})
        if attempt < self.delivery.attempts:
            self._retry_later(job, attempt)

    def _embed(self, job: JobRecord, result: Result | None = None) -> discord.Embed:
        if job.status == JobStatus.SUCCEEDED:
            file = result.file if result is not None else None
            if file is None or file.filename.rsplit(".", 1)[-1] in VIDEO_TYPES:
                return job_embed(job)  # a video plays as the attachment itself
            return job_embed(job, image_url=f"attachment://{file.filename}")
        preview = job.image_url if job.status == JobStatus.RUNNING and not job.private else None
        embed = job_embed(job, image_url=preview)
        if job.meta.get("delayed_notice") and not job.status.is_terminal:
            embed.add_field(name="Note", value="CometAPI is slow to answer; still tracking.")
        return embed

    async def _result(self, job: JobRecord) -> Result | None:
        """The job's result, or None when the download failed and will be tried again."""
        attempt = int(job.meta.get("delivery_attempts", 0)) + 1
        client = await self.bot.clients.client_for(None)  # result links need no key
        try:
            result = await fetch_result(job, client, last_try=attempt >= self.delivery.attempts)
        except RetryLater:
            await self.bot.db.jobs.merge_meta(job.id, {"delivery_attempts": attempt})
            self._retry_later(job, attempt)
            return None
        if result.unusable is not None:
            await self.bot.jobs.refund_undeliverable(job, result.unusable)
        return result

    async def _deliver(self, job: JobRecord) -> None:
        # Downloading and fitting is the CPU-heavy part: a few at a time, so a burst of
        # finished jobs cannot starve interactions. The upload is outside the slot: Discord's
        # 5xx retries hold one for up to 25 s and must never stop the other deliveries.
        async with self._fetching:
            result = await self._result(job)
        if result is None:
            return  # retried with backoff; the message keeps its last state meanwhile
        job = await self.bot.db.jobs.get(job.id) or job  # fresh: a fallback post may have run
        # Just before the final render: the smallest window for a copy to appear after.
        await finding.remove_strays(self.bot, job)
        if result.link is not None or result.unusable is not None:
            marks = {"result_link": result.link, "result_unusable": result.unusable}
            job = await self.bot.db.jobs.merge_meta(job.id, marks) or job
        view = None if result.unusable else await self._view(job)
        embed = self._embed(job, result)
        if await self._edit(job, embed=embed, view=view, file=result.file):
            await self._mark_delivered(job)

    async def _mark_delivered(self, job: JobRecord, *, undeliverable: bool = False) -> None:
        marks: dict[str, object] = {"delivered": job.status.value}
        if undeliverable:
            marks["undeliverable"] = True
        await self.bot.db.jobs.merge_meta(job.id, marks)

    async def _view(self, job: JobRecord) -> discord.ui.View | None:
        if job.meta.get("result_unusable"):
            return None
        pressed = {c.button_index for c in await self.bot.db.claims.for_job(job.id)}
        return job_view(job, pressed=pressed, refused=set(job.meta.get("refused", ())))

    async def _edit(self, job: JobRecord, **kwargs: Any) -> bool:
        """Show `kwargs` in the job's message; False when nothing was shown yet (the message
        is still being posted by its command: a later render will land)."""
        file = kwargs.pop("file", None)
        if file is not None or "embed" in kwargs:  # a full render replaces the attachments
            kwargs["attachments"] = [file] if file else []
        if job.message_id is None:
            return await self._post(job, file, **kwargs)
        if self._by_webhook(job):
            assert job.interaction_token is not None
            hook = discord.Webhook.partial(
                self.bot.application_id or 0, job.interaction_token, client=self.bot
            )
            try:
                await hook.edit_message(job.message_id, allowed_mentions=NO_PINGS, **kwargs)
                return True
            except discord.HTTPException as exc:
                if exc.code not in EXPIRED_TOKEN_CODES:
                    raise
                # The token died early: forget it so no later edit retries it (no 50027 loop).
                await self.bot.db.jobs.update(job.id, interaction_token=None)
        if job.private:
            if job.status.is_terminal and "embed" in kwargs:  # token gone: result by DM
                await send_by_dm(self.bot, job, file, **kwargs)
            return True
        # One channel edit at a time per channel: ten results finishing together queue up
        # behind Discord's per-channel limit instead of exhausting discord.py's retries.
        async with self._channels.hold(job.channel_id):
            channel = self.bot.get_partial_messageable(job.channel_id)
            await channel.get_partial_message(job.message_id).edit(
                allowed_mentions=NO_PINGS, **kwargs
            )
        return True

    def _by_webhook(self, job: JobRecord) -> bool:
        """Edit through the interaction's webhook while its token lives: the only way to a
        private message, and for a command's own public message it is not held back by the
        channel's edit limit (ten results in one channel show at once)."""
        mine = job.private or bool(job.meta.get("command_message"))
        return finding.token_alive(job) and mine

    async def _post(self, job: JobRecord, file: discord.File | None, **kwargs: Any) -> bool:
        """The job has no message at its final render (its command or click failed to post
        it, is slow, or the process stopped in between): adopt one already in Discord
        (bot/ui/finding.py), else post one with a nonce Discord enforces; a private job's
        result goes by DM. One result message, ever."""
        if not job.status.is_terminal or "embed" not in kwargs:
            return True  # a progress edit has nothing to show without the message
        young = time.time() - job.created_at < self.delivery.post_grace
        if job.id in self._posting or (job.interaction_token and young):
            # Its command or click is posting the message right now: render into that, later.
            self._retry_later(job, 1)
            return False
        kwargs.pop("attachments", None)
        if job.private:
            await send_by_dm(self.bot, job, file, **kwargs)
            return True
        channel = self.bot.get_partial_messageable(job.channel_id)
        message: discord.Message | None = None
        posted = False  # with the final render already: nothing left to edit
        async with self._channels.hold(job.channel_id):
            # The wait for the channel can be long: the job's message may have come meanwhile.
            fresh = await self.bot.db.jobs.get(job.id)
            if fresh is None:
                return False
            if fresh.message_id is None:
                message, posted = await self._find_or_send(channel, fresh, file, kwargs)
        if message is None:  # it has its message now: render into that
            return await self._edit(fresh, file=file, **kwargs)
        if not await self.bot.db.jobs.attach_message(job.id, message.id):
            # The command's own message arrived meanwhile: keep that one, render into it.
            await message.delete()
            self._retry_later(job, 1)
            return False
        attached = await self.bot.db.jobs.get(job.id)
        if attached is None:
            return False
        # A message whose post failed halfway (a 5xx after the work) may be there too.
        await finding.remove_strays(self.bot, attached)
        if posted:
            return True
        return await self._edit(attached, file=file, **kwargs)  # an earlier post: finish it

    async def _find_or_send(
        self,
        channel: discord.abc.Messageable,
        job: JobRecord,
        file: discord.File | None,
        kwargs: dict[str, Any],
    ) -> tuple[discord.Message, bool]:
        """(the job's message already in Discord, False), to render into; else (a new
        message posted with the final render, True)."""
        found = await finding.earlier_message(self.bot, channel, job)
        if found is None:
            await self.bot.db.jobs.merge_meta(job.id, {"post_attempted": True})
            if job.parent_id is not None:
                found = await finding.by_press_nonce(channel, job)
        if found is not None:
            return found, False
        message = await channel.send(
            files=[file] if file else [],
            allowed_mentions=NO_PINGS,
            nonce=f"mjbot-{job.id}",
            **kwargs,
        )
        return message, True
