"""/video: a short video from a first frame (and optionally an end frame), with progress like
an image job; the result is attached within Discord's limit, or linked when it can't fit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Refused
from bot.jobs import submits
from bot.messages import say
from bot.ui.attachments import image_data_url
from bot.ui.clicks import refuse, requester, show_new_job, tell

if TYPE_CHECKING:
    from bot.app import MJBot


class Video(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    @app_commands.command(name="video", description="Animate an image into a short video")
    @app_commands.describe(
        image="The first frame",
        prompt="How it moves, what happens",
        motion="Low: calm scenes; high: lots of movement",
        loop="End where it starts",
        end="The last frame (optional)",
        batch="How many videos at once",
        private="Only you see the job",
    )
    @app_commands.choices(
        motion=[app_commands.Choice(name=m.title(), value=m) for m in ("low", "high")]
    )
    @app_commands.choices(batch=[app_commands.Choice(name=str(n), value=n) for n in (1, 2, 4)])
    async def video(
        self,
        interaction: discord.Interaction[MJBot],
        image: discord.Attachment,
        prompt: app_commands.Range[str, 1, 2000],
        motion: str = "low",
        loop: bool = False,
        end: discord.Attachment | None = None,
        batch: int = 1,
        private: bool = False,
    ) -> None:
        req = requester(interaction)
        mode = self.bot.settings.default_mode.value
        params = (" --loop" if loop else "") + (f" --bs {batch}" if batch > 1 else "")
        try:
            text = await self.bot.jobs.admit(req, mode=mode, prompt=prompt + params)
        except Refused as exc:
            await tell(interaction, say(exc.key, **exc.fields))
            return
        await interaction.response.defer(ephemeral=private, thinking=True)
        try:
            first = await image_data_url(image)
            last = await image_data_url(end) if end is not None else None
            checked = text or prompt
            if last is not None:  # the end frame travels as a parameter of the prompt
                checked = f"{checked} --end {last}"
            meta = {"attachment_limit": interaction.filesize_limit, "source_image": image.url}

            job = await self.bot.jobs.start(
                req,
                "video",
                lambda _: submits.video(checked, first, motion, mode, self.bot.jobs.config),
                prompt=text or prompt,
                mode=mode,
                private=private,
                meta=meta,
            )
        except Refused as exc:
            await refuse(interaction, say(exc.key, **exc.fields), deferred_ephemeral=private)
            return
        await show_new_job(self.bot, interaction, job)


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Video(bot))
