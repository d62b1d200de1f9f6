"""/describe: four prompts for an image; each 1️⃣–4️⃣ button opens one for editing."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Refused
from bot.messages import say
from bot.ui.attachments import image_data_url
from bot.ui.clicks import refuse, requester, show_new_job, tell

if TYPE_CHECKING:
    from bot.app import MJBot


class Describe(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    @app_commands.command(name="describe", description="Four prompts that could make an image")
    @app_commands.describe(
        image="The image to describe",
        link="Or the address of an image on the web (https://…)",
        private="Only you see the job",
    )
    async def describe(
        self,
        interaction: discord.Interaction[MJBot],
        image: discord.Attachment | None = None,
        link: str | None = None,
        private: bool = False,
    ) -> None:
        req = requester(interaction)
        if (image is None) == (link is None) or (link and not _web_link(link)):
            await tell(interaction, say("describe.one_source"))
            return
        mode = self.bot.settings.default_mode.value
        try:
            await self.bot.jobs.admit(req, mode=mode)  # refuse at once, before deferring
        except Refused as exc:
            await tell(interaction, say(exc.key, **exc.fields))
            return
        await interaction.response.defer(ephemeral=private, thinking=True)
        try:
            url = await image_data_url(image) if image is not None else str(link).strip()
            # The image is shown while it is described: the attachment's own link lasts the job.
            shown = image.url if image is not None else str(link).strip()
            meta = {"attachment_limit": interaction.filesize_limit, "source_image": shown}
            job = await self.bot.jobs.describe(req, url, mode=mode, private=private, meta=meta)
        except Refused as exc:
            await refuse(interaction, say(exc.key, **exc.fields), deferred_ephemeral=private)
            return
        await show_new_job(self.bot, interaction, job)


def _web_link(text: str) -> bool:
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(text) <= 2000


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Describe(bot))
