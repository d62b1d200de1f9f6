"""What a finished job's message carries: its result re-hosted as an attachment, a link, or a
sentence saying why there is nothing to show (faults.md 18-20).

CometAPI's links are guessable and may expire, so results are downloaded and re-uploaded,
fitted to the attachment limit. A download that fails for a while is retried by the
Presenter with backoff (the attempt count lives in the job row, so a restart goes on
counting); past the last attempt, or for a video too large to attach, the message carries the
link instead. A result that is no image or video is never uploaded: the job is refunded.
Where the channel cannot take the result (gone, closed to the bot), it goes by DM once.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.cometapi import errors as api
from bot.cometapi.client import CometAPIClient
from bot.db.records import JobRecord
from bot.imaging import ImageRejected, fit_result
from bot.ui.render import NO_PINGS

if TYPE_CHECKING:
    from bot.app import MJBot

log = logging.getLogger(__name__)
DEFAULT_LIMIT = 10 * 1024 * 1024
MAX_DOWNLOAD = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How often a failed result download is tried again (the tests shorten it)."""

    attempts: int = 8  # then the link is delivered instead
    base: float = 5.0  # seconds before the 2nd attempt; doubles each time
    cap: float = 300.0
    # Seconds a command has to post its job's message before the presenter posts one.
    post_grace: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.base * 2.0 ** max(0, attempt - 1))


@dataclass(frozen=True, slots=True)
class Result:
    """The final render's payload: at most one of file / link / unusable is set."""

    file: discord.File | None = None
    link: str | None = None
    unusable: str | None = None  # a messages.py key saying why nothing can be shown


class RetryLater(Exception):
    """The download failed in a way that may pass (5xx, timeout, connection)."""


async def fetch_result(job: JobRecord, client: CometAPIClient, *, last_try: bool) -> Result:
    """Download and fit the job's result. Raises RetryLater for a transient failure, unless
    this is the last try: then the link stands in for the attachment."""
    url = job.video_url or job.image_url
    if not url:
        return Result()
    try:
        data = await client.download(url, max_bytes=MAX_DOWNLOAD)
    except api.ResponseTooLarge:
        return Result(link=url)
    except api.UnsafeURL:
        log.warning("job %s: the result link points at a private address", job.id)
        return Result(unusable="result.unavailable")
    except api.NotMedia as exc:  # a challenge page may pass; one that stays is no result
        log.warning("job %s: the result link answers a web page", job.id)
        if last_try:
            return Result(unusable="result.not_media")
        raise RetryLater(str(exc)) from exc
    except api.CometAPIError as exc:
        log.warning("job %s: result download failed: %s", job.id, exc)
        if last_try:
            return Result(link=url)
        raise RetryLater(str(exc)) from exc
    limit = int(job.meta.get("attachment_limit") or DEFAULT_LIMIT)
    try:
        fitted = await asyncio.to_thread(fit_result, data, limit)
    except ImageRejected as exc:
        if exc.reason_code == "not_an_image":
            log.warning("job %s: the result is not an image or a video", job.id)
            return Result(unusable="result.not_media")
        log.warning("job %s: the result cannot be fitted (%s)", job.id, exc.reason_code)
        return Result(link=url)
    if fitted is None:  # a video over the attachment limit
        log.info("job %s: the %d-byte video is linked, not attached", job.id, len(data))
        return Result(link=url)
    body, ext = fitted
    return Result(file=discord.File(io.BytesIO(body), filename=f"mj-{job.id}.{ext}"))


async def send_by_dm(bot: MJBot, job: JobRecord, file: discord.File | None, **kwargs: Any) -> None:
    """The result by DM, once; a user who takes no DMs keeps it for /show."""
    kwargs.pop("attachments", None)
    try:
        user = await bot.fetch_user(job.user_id)
        files = [file] if file else []
        await user.send(
            files=files, allowed_mentions=NO_PINGS, nonce=f"mjbot-dm-{job.id}", **kwargs
        )
    except discord.HTTPException as exc:
        log.info("job %s: no DM either (%s %s)", job.id, exc.status, exc.code)
        await bot.db.jobs.merge_meta(job.id, {"undeliverable": True})
        return
    await bot.db.jobs.merge_meta(job.id, {"dm": True})
