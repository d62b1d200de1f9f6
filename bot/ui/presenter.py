"""The Presenter turns JobEvents into edits of each job's one message.

Progress edits are coalesced to at most one per `min_interval` per message (a channel takes
about 5 edits per 5 s); the final edit is never dropped. Results are re-uploaded as
attachments, re-encoded to fit the attachment limit, because CometAPI's image links are
guessable and may expire. Public job messages are edited with the bot token (it never
expires); private ones through the interaction webhook while its token lives, then by DM.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import discord

from bot.cometapi import errors as api
from bot.db.records import JobRecord, JobStatus
from bot.imaging.errors import ImageRejected
from bot.imaging.fit import fit_to_limit
from bot.jobs.coalesce import ChannelBudget, EditCoalescer
from bot.jobs.events import EventKind, JobEvent
from bot.ui.render import NO_PINGS, job_embed, job_view

if TYPE_CHECKING:
    from bot.app import MJBot

log = logging.getLogger(__name__)
DEFAULT_LIMIT = 10 * 1024 * 1024
MAX_DOWNLOAD = 64 * 1024 * 1024
MAX_RENDER_RETRIES = 4
EXPIRED_TOKEN_CODES = (50027, 10015, 10062)  # invalid webhook token, unknown webhook/interaction


class Presenter:
    def __init__(self, bot: MJBot, *, min_interval: float = 3.0) -> None:
        self.bot = bot
        self.edits = EditCoalescer(self._progress, min_interval=min_interval)
        self.budget = ChannelBudget()
        self._locks: dict[int, asyncio.Lock] = {}
        self._channels: dict[int, asyncio.Lock] = {}
        self._retries: dict[int, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

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

    async def _retry_later(self, job_id: int) -> None:
        """A final render Discord refused for now (429 after discord.py's own retries, 5xx):
        try again a few times with backoff; the start-up sweep is the last resort."""
        attempt = self._retries.get(job_id, 0) + 1
        if attempt > MAX_RENDER_RETRIES:
            self._retries.pop(job_id, None)
            return
        self._retries[job_id] = attempt
        await asyncio.sleep(min(60.0, 2.0 * 2**attempt))  # the backoff itself
        await self.refresh(job_id)

    async def attached(self, rendered: JobRecord) -> None:
        """The job's message was just posted showing `rendered`: catch up on what happened
        meanwhile (events before the message existed were skipped), without a needless edit."""
        job = await self.bot.db.jobs.get(rendered.id)
        if job is None or (job.status, job.progress) == (rendered.status, rendered.progress):
            return
        if job.status.is_terminal:
            await self.refresh(job.id)
        else:
            self.edits.schedule(job.id)

    async def sweep(self, since: float) -> int:
        """At start: render every finished job whose final render never landed."""
        jobs = await self.bot.db.jobs.undelivered(since)
        for job in jobs:
            await self.refresh(job.id)
        return len(jobs)

    async def _progress(self, job_id: int) -> None:
        """An intermediate edit: dropped when its channel is at its edit budget."""
        job = await self.bot.db.jobs.get(job_id)
        if job is None or job.status.is_terminal or job.message_id is None:
            return
        if self.budget.allow(job.channel_id):
            await self.refresh(job_id, counted=True)

    async def close(self) -> None:
        await self.edits.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def refresh(self, job_id: int, *, counted: bool = False) -> None:
        """Render the job's current state into its message (idempotent). A finished job is
        marked delivered only once its render landed, so the start-up sweep retries it."""
        lock = self._locks.setdefault(job_id, asyncio.Lock())
        async with lock:
            job = await self.bot.db.jobs.get(job_id)
            if job is None:
                return
            if not counted:
                self.budget.record(job.channel_id)
            # One render at a time per channel: ten results finishing together queue up
            # behind Discord's per-channel limit instead of exhausting discord.py's retries.
            channel_lock = self._channels.setdefault(job.channel_id, asyncio.Lock())
            await channel_lock.acquire()
            try:
                if job.status.is_terminal and job.meta.get("delivered"):
                    if job.status == JobStatus.SUCCEEDED and not job.meta.get("dm"):
                        await self._edit(job, view=await self._view(job))  # buttons only
                elif job.status == JobStatus.SUCCEEDED:
                    await self._deliver(job)
                elif job.status.is_terminal:
                    await self._edit(job, embed=self._embed(job), view=None)
                    await self.bot.db.jobs.merge_meta(job.id, {"delivered": True})
                elif job.message_id is not None:
                    await self._edit(job, embed=self._embed(job), view=None)
            except discord.HTTPException as exc:
                log.warning("job %s: edit refused (%s %s)", job.id, exc.status, exc.code)
                if job.status.is_terminal and (exc.status == 429 or exc.status >= 500):
                    self._spawn(self._retry_later(job.id), f"retry-{job.id}")
            except Exception:  # one job's render must not take the others down
                log.exception("job %s: render failed", job.id)
            finally:
                channel_lock.release()
        if job.status.is_terminal:
            self._locks.pop(job_id, None)

    def _embed(self, job: JobRecord) -> discord.Embed:
        preview = job.image_url if job.status == JobStatus.RUNNING and not job.private else None
        embed = job_embed(job, image_url=preview)
        if job.meta.get("delayed_notice") and not job.status.is_terminal:
            embed.add_field(name="Note", value="CometAPI is slow to answer; still tracking.")
        return embed

    async def _deliver(self, job: JobRecord) -> None:
        file = await self._result_file(job)
        if file is None and (job.video_url or job.image_url):
            return  # the download failed: not delivered, so the next sweep tries again
        embed = job_embed(job, image_url=f"attachment://{file.filename}" if file else None)
        if file is not None and file.filename.endswith(".mp4"):
            embed.set_image(url=None)  # a video plays as the attachment itself
        await self._edit(job, embed=embed, view=await self._view(job), file=file)
        await self.bot.db.jobs.merge_meta(job.id, {"delivered": True})

    async def _view(self, job: JobRecord) -> discord.ui.View | None:
        pressed = {c.button_index for c in await self.bot.db.claims.for_job(job.id)}
        return job_view(job, pressed=pressed, refused=set(job.meta.get("refused", ())))

    async def _result_file(self, job: JobRecord) -> discord.File | None:
        url = job.video_url or job.image_url
        if not url:
            return None
        client = self.bot.clients.client_for(job.meta.get("key_scope"))
        try:
            data = await client.download(url, max_bytes=MAX_DOWNLOAD)
        except api.CometAPIError as exc:
            log.warning("job %s: result download failed: %s", job.id, exc)
            return None
        limit = int(job.meta.get("attachment_limit") or DEFAULT_LIMIT)
        try:
            body, ext, _ = await asyncio.to_thread(fit_to_limit, data, limit)
        except ImageRejected:
            if len(data) > limit:  # a video (mp4) too large to attach: not re-encoded here
                log.warning("job %s: result of %d bytes does not fit", job.id, len(data))
                return None
            body, ext = data, "mp4" if job.video_url else "bin"
        return discord.File(io.BytesIO(body), filename=f"mj-{job.id}.{ext}")

    async def _edit(self, job: JobRecord, **kwargs: Any) -> None:
        file = kwargs.pop("file", None)
        if file is not None or "embed" in kwargs:  # a full render replaces the attachments
            kwargs["attachments"] = [file] if file else []
        if job.message_id is None:
            await self._post(job, file, **kwargs)
            return
        if not job.private:
            channel = self.bot.get_partial_messageable(job.channel_id)
            await channel.get_partial_message(job.message_id).edit(
                allowed_mentions=NO_PINGS, **kwargs
            )
            return
        if job.interaction_token and (job.interaction_expires_at or 0) > time.time() + 30:
            hook = discord.Webhook.partial(
                self.bot.application_id or 0, job.interaction_token, client=self.bot
            )
            try:
                await hook.edit_message(job.message_id, allowed_mentions=NO_PINGS, **kwargs)
                return
            except discord.HTTPException as exc:
                if exc.code not in EXPIRED_TOKEN_CODES:
                    raise
                # The token died early: forget it so no later edit retries it (no 50027 loop).
                await self.bot.db.jobs.update(job.id, interaction_token=None)
        if job.status.is_terminal and "embed" in kwargs:  # token gone: the result goes by DM
            await self._dm(job, file, **kwargs)

    async def _post(self, job: JobRecord, file: discord.File | None, **kwargs: Any) -> None:
        """The job lost its message (posting it failed): post a new one, or DM a private one."""
        if not job.status.is_terminal or "embed" not in kwargs:
            return
        kwargs.pop("attachments", None)
        if job.private:
            await self._dm(job, file, **kwargs)
            return
        channel = self.bot.get_partial_messageable(job.channel_id)
        files = [file] if file else []
        message = await channel.send(files=files, allowed_mentions=NO_PINGS, **kwargs)
        await self.bot.db.jobs.update(job.id, message_id=message.id)

    async def _dm(self, job: JobRecord, file: discord.File | None, **kwargs: Any) -> None:
        kwargs.pop("attachments", None)
        with contextlib.suppress(discord.HTTPException):
            user = await self.bot.fetch_user(job.user_id)
            files = [file] if file else []
            await user.send(files=files, allowed_mentions=NO_PINGS, **kwargs)
            await self.bot.db.jobs.merge_meta(job.id, {"dm": True})
