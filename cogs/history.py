"""/history: the member's recent jobs here as a paged contact sheet; a select opens one.

The gallery is an in-memory view (custom ids `mjx:history:…`); every press is checked again:
only the member who ran /history, in the same place, may page or open. Opening a job goes
through /show, so it is posted again with working buttons (privately if the job is private).
Thumbnails come from the same client path as the presenter's downloads, a few at a time;
one that fails becomes a placeholder tile.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.cometapi import errors as api
from bot.db.records import JobRecord, JobStatus
from bot.imaging import ImageRejected
from bot.imaging.contact import Tile, contact_sheet, thumbnail
from bot.jobs.prompts import neutralise_mentions
from bot.messages import say
from bot.ui.clicks import tell
from bot.ui.ids import EPHEMERAL_PREFIX
from bot.ui.render import NO_PINGS

if TYPE_CHECKING:
    from bot.app import MJBot

log = logging.getLogger(__name__)
Interaction = discord.Interaction[Any]

PAGE = 9  # a 3 x 3 sheet
SCAN = 450  # newest jobs looked at (50 pages); the kind filter applies to these
FETCHES_AT_ONCE = 4  # thumbnails downloaded and shrunk at once, across all galleries
THUMB_TIMEOUT = 10.0  # seconds per thumbnail download; past it, a placeholder
THUMB_SOURCE_MAX = 40 * 1024 * 1024  # a larger result is shown as a placeholder
THUMB_CACHE = 256  # small JPEGs kept, so paging back and forth downloads nothing again
VIEW_TIMEOUT = 600.0  # under the 15 minutes an interaction token lives: the timeout can edit
SHEET_NAME = "history.png"
# Kinds a member can filter by (the jobs table's `kind`); "action" is every button's child job.
KINDS = {
    "imagine": "Imagine",
    "action": "Upscale / variation",
    "describe": "Describe",
    "blend": "Blend",
    "edits": "Edit",
    "shorten": "Shorten",
    "video": "Video",
}
STATUS_LABELS = {
    JobStatus.RESERVED: "Starting",
    JobStatus.SUBMITTED: "Starting",
    JobStatus.QUEUED: "Queued",
    JobStatus.MODAL: "Waiting for your prompt",
    JobStatus.SUCCEEDED: "Done",
    JobStatus.FAILED: "Failed",
    JobStatus.TIMED_OUT: "Timed out",
    JobStatus.CANCELLED: "Cancelled",
}
NO_PREVIEW = "No preview"


def kind_label(job: JobRecord) -> str:
    """What the job is, in a few words: an action job by its button ("U2", "Vary (Strong)")."""
    if job.kind == "action":
        return str(job.meta.get("label") or job.action or "Action")
    return KINDS.get(job.kind, job.kind.capitalize())


def status_label(job: JobRecord) -> str:
    if job.status == JobStatus.RUNNING:
        return f"Running {job.progress}%"
    return STATUS_LABELS.get(job.status, str(job.status))


def caption(job: JobRecord) -> str:
    prompt = " ".join(job.prompt.split())  # as typed (a describe job has none)
    return f"{kind_label(job)} · {prompt}" if prompt else kind_label(job)


def has_picture(job: JobRecord) -> bool:
    """Whether the job has a finished image to show (running previews are not results)."""
    return (
        job.status == JobStatus.SUCCEEDED
        and bool(job.image_url)
        and not job.meta.get("result_unusable")
    )


class History(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot
        self._fetching = asyncio.Semaphore(FETCHES_AT_ONCE)
        self._thumbs: OrderedDict[tuple[int, str], bytes] = OrderedDict()

    @app_commands.command(name="history", description="Your recent jobs here, as a gallery")
    @app_commands.describe(kind="Only jobs of this kind")
    @app_commands.choices(kind=[app_commands.Choice(name=n, value=k) for k, n in KINDS.items()])
    async def history(self, interaction: Interaction, kind: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        jobs = await self.bot.db.jobs.list_for_user(
            interaction.guild_id, interaction.user.id, limit=SCAN
        )
        ids = [job.id for job in jobs if kind is None or job.kind == kind]
        label = KINDS.get(kind, kind) if kind else None
        if not ids:
            text = say("history.empty_kind", kind=label) if label else say("history.empty")
            await interaction.edit_original_response(content=text, allowed_mentions=NO_PINGS)
            return
        gallery = Gallery(self, interaction, ids, label)
        await gallery.show(interaction)

    async def owned(
        self, ids: Sequence[int], user_id: int, guild_id: int | None
    ) -> list[JobRecord]:
        """The jobs again, fresh (a running one may have finished), and only if still the
        member's own jobs in this place."""
        found = await asyncio.gather(*(self.bot.db.jobs.get(i) for i in ids))
        return [
            j for j in found if j is not None and j.user_id == user_id and j.guild_id == guild_id
        ]

    async def sheet(self, jobs: Sequence[JobRecord]) -> bytes:
        tiles = await asyncio.gather(*(self._tile(n, j) for n, j in enumerate(jobs, start=1)))
        return await asyncio.to_thread(contact_sheet, tiles)

    async def _tile(self, number: int, job: JobRecord) -> Tile:
        if not has_picture(job):
            status = NO_PREVIEW if job.status == JobStatus.SUCCEEDED else status_label(job)
            return Tile(number, None, caption(job), status)
        image = await self.thumb(job)
        return Tile(number, image, caption(job), NO_PREVIEW)

    async def thumb(self, job: JobRecord) -> bytes | None:
        """A small JPEG of the job's image; None (a placeholder) when it cannot be had."""
        url = job.image_url
        if not url:
            return None
        key = (job.id, url)
        cached = self._thumbs.get(key)
        if cached is not None:
            self._thumbs.move_to_end(key)
            return cached
        async with self._fetching:
            try:
                client = await self.bot.clients.client_for(None)  # result links need no key
                async with asyncio.timeout(THUMB_TIMEOUT):
                    data = await client.download(url, max_bytes=THUMB_SOURCE_MAX)
                small = await asyncio.to_thread(thumbnail, data)
            except (api.CometAPIError, ImageRejected, TimeoutError) as exc:
                log.info("job %s: no thumbnail (%s)", job.id, type(exc).__name__)
                return None
            except Exception:  # one tile must never break the gallery
                log.exception("job %s: thumbnail failed", job.id)
                return None
        self._thumbs[key] = small
        while len(self._thumbs) > THUMB_CACHE:
            self._thumbs.popitem(last=False)
        return small

    async def open(self, interaction: Interaction, job: JobRecord) -> None:
        """Post the job again with working buttons, exactly as /show does: through the
        command's own function, its checks included."""
        cog = self.bot.get_cog("Jobs")
        command = getattr(cog, "show", None)
        if not isinstance(command, app_commands.Command):
            log.error("/history cannot open a job: the cogs.jobs extension is not loaded")
            await tell(interaction, say("internal"))
            return
        # discord.py types `callback` as either of its two shapes (with or without the cog).
        show = cast(Callable[[Any, Interaction, int], Awaitable[None]], command.callback)
        await show(cog, interaction, job.id)


class Gallery(discord.ui.View):
    """One member's gallery: a select to open a job, Previous and Next."""

    def __init__(
        self, cog: History, interaction: Interaction, job_ids: list[int], kind: str | None
    ) -> None:
        super().__init__(timeout=VIEW_TIMEOUT)
        self.cog = cog
        self.owner_id = interaction.user.id
        self.guild_id = interaction.guild_id
        self.job_ids = job_ids
        self.kind = kind
        self.page = 0
        self.shown: list[int] = []  # the job ids on the current page, in tile order
        # The last interaction whose original response is this gallery (the command, a page
        # turn; never an open, whose original is the job's new message): it removes the
        # controls at timeout.
        self._last = interaction
        self._lock = asyncio.Lock()  # one page render at a time
        tag = f"{EPHEMERAL_PREFIX}history:{id(self):x}"
        self.pick = discord.ui.Select[Gallery](
            custom_id=f"{tag}:open", placeholder="Open a job…", row=0
        )
        self.pick.callback = self._open  # type: ignore[method-assign]
        self.previous = discord.ui.Button[Gallery](
            label="Previous", emoji="◀️", custom_id=f"{tag}:prev", row=1
        )
        self.previous.callback = self._previous  # type: ignore[method-assign]
        self.next = discord.ui.Button[Gallery](
            label="Next", emoji="▶️", custom_id=f"{tag}:next", row=1
        )
        self.next.callback = self._next  # type: ignore[method-assign]
        for item in (self.pick, self.previous, self.next):
            self.add_item(item)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(len(self.job_ids) / PAGE))

    async def interaction_check(self, interaction: Interaction) -> bool:
        if interaction.user.id == self.owner_id and interaction.guild_id == self.guild_id:
            return True
        log.warning("user %s pressed another member's /history", interaction.user.id)
        await tell(interaction, say("history.not_yours"))
        return False

    async def show(self, interaction: Interaction, step: int = 0) -> None:
        """Move `step` pages and render that page into the (deferred) response."""
        async with self._lock:  # one render at a time: quick presses turn one page each
            self.page = max(0, min(self.pages - 1, self.page + step))
            ids = self.job_ids[self.page * PAGE : (self.page + 1) * PAGE]
            jobs = await self.cog.owned(ids, self.owner_id, self.guild_id)
            if not jobs:
                self.stop()
                await interaction.edit_original_response(
                    content=say("history.gone"), embed=None, attachments=[], view=None
                )
                return
            png = await self.cog.sheet(jobs)
            self.shown = [job.id for job in jobs]
            self._layout(jobs)
            await interaction.edit_original_response(
                content=None,
                embed=self._embed(jobs),
                attachments=[discord.File(io.BytesIO(png), filename=SHEET_NAME)],
                view=self,
                allowed_mentions=NO_PINGS,
            )

    def _layout(self, jobs: Sequence[JobRecord]) -> None:
        self.pick.options = [
            discord.SelectOption(
                label=f"{number} · {caption(job)}"[:100],
                value=str(job.id),
                description=f"Job {job.id} · {status_label(job)}"[:100],
            )
            for number, job in enumerate(jobs, start=1)
        ]
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    def _embed(self, jobs: Sequence[JobRecord]) -> discord.Embed:
        title = f"Your jobs · {self.kind}" if self.kind else "Your jobs"
        lines = []
        for number, job in enumerate(jobs, start=1):
            prompt = neutralise_mentions(" ".join(job.prompt.split()))
            brief = discord.utils.escape_markdown(prompt[:60] + ("…" if len(prompt) > 60 else ""))
            what = discord.utils.escape_markdown(kind_label(job)) + (f" — {brief}" if brief else "")
            lines.append(
                f"**{number}.** `{job.id}` {what} · {status_label(job)}"
                f" · <t:{int(job.created_at)}:R>"
            )
        embed = discord.Embed(
            title=title, description="\n".join(lines)[:4000], colour=discord.Colour.blurple()
        )
        embed.set_image(url=f"attachment://{SHEET_NAME}")
        embed.set_footer(
            text=say("history.page", page=self.page + 1, pages=self.pages, count=len(self.job_ids))
        )
        return embed

    async def _turn(self, interaction: Interaction, step: int) -> None:
        await interaction.response.defer()  # downloading thumbnails may take a moment
        self._last = interaction
        await self.show(interaction, step)

    async def _previous(self, interaction: Interaction) -> None:
        await self._turn(interaction, -1)

    async def _next(self, interaction: Interaction) -> None:
        await self._turn(interaction, +1)

    async def _open(self, interaction: Interaction) -> None:
        values = self.pick.values
        job_id = int(values[0]) if values and values[0].isdigit() else None
        jobs = await self.cog.owned([job_id], self.owner_id, self.guild_id) if job_id else []
        if job_id not in self.shown or not jobs:
            await tell(interaction, say("history.gone"))
            return
        await self.cog.open(interaction, jobs[0])

    async def on_timeout(self) -> None:
        """Take the controls away, so nobody presses buttons that no longer answer."""
        try:
            await self._last.edit_original_response(view=None)
        except discord.HTTPException as exc:
            log.debug("/history: could not remove the controls (%s)", exc)


async def setup(bot: MJBot) -> None:
    await bot.add_cog(History(bot))
