"""/blend: 2–5 images into one grid, with buttons as for /imagine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Refused
from bot.jobs import submits
from bot.jobs.defaults import resolve
from bot.jobs.prompts import ImagineOptions
from bot.messages import say
from bot.ui.attachments import image_data_url
from bot.ui.clicks import refuse, requester, show_new_job, tell

if TYPE_CHECKING:
    from bot.app import MJBot

DIMENSIONS = {"portrait": "PORTRAIT", "square": "SQUARE", "landscape": "LANDSCAPE"}


class Blend(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    @app_commands.command(name="blend", description="Blend 2 to 5 images into new ones")
    @app_commands.describe(dimensions="The shape of the result", private="Only you see the job")
    @app_commands.choices(
        dimensions=[app_commands.Choice(name=k.title(), value=k) for k in DIMENSIONS]
    )
    async def blend(
        self,
        interaction: discord.Interaction[MJBot],
        image1: discord.Attachment,
        image2: discord.Attachment,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        dimensions: str = "square",
        private: bool | None = None,
    ) -> None:
        req = requester(interaction)
        try:
            given = await resolve(
                self.bot.db,
                req,
                prompt="",
                options=ImagineOptions(),
                speed=None,
                private=private,
                operator_mode=self.bot.settings.default_mode.value,
            )
            await self.bot.jobs.admit(req, mode=given.mode)  # refuse at once, before deferring
        except Refused as exc:
            await tell(interaction, say(exc.key, **exc.fields))
            return
        await interaction.response.defer(ephemeral=given.private, thinking=True)
        attachments = [a for a in (image1, image2, image3, image4, image5) if a]
        try:
            images = [await image_data_url(a) for a in attachments]
            job = await self.bot.jobs.start(
                req,
                "blend",
                lambda _: submits.blend(
                    images, DIMENSIONS[dimensions], given.mode, self.bot.jobs.config
                ),
                prompt="",
                mode=given.mode,
                private=given.private,
                meta={"attachment_limit": interaction.filesize_limit, "images": len(images)},
            )
        except Refused as exc:
            await refuse(interaction, say(exc.key, **exc.fields), deferred_ephemeral=given.private)
            return
        await show_new_job(self.bot, interaction, job)


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Blend(bot))
