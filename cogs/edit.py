"""/edit: redraw part of an uploaded image. The area is marked the three Vary (Region) ways
(bot/ui/region.py); the paid `/mj/submit/edits` job starts only when it is confirmed."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Refused
from bot.imaging import ImageRejected
from bot.imaging.edits import thumbnail
from bot.jobs.defaults import resolve
from bot.jobs.prompts import ImagineOptions
from bot.messages import say
from bot.ui.attachments import image_bytes
from bot.ui.clicks import refuse, requester, tell
from bot.ui.region_view import chooser_view
from bot.ui.render import NO_PINGS

if TYPE_CHECKING:
    from bot.app import MJBot


class Edit(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    @app_commands.command(name="edit", description="Redraw a part of an image you upload")
    @app_commands.describe(
        image="The image to edit",
        prompt="What to put in the part you mark",
        private="Only you see the job",
    )
    async def edit(
        self,
        interaction: discord.Interaction[MJBot],
        image: discord.Attachment,
        prompt: app_commands.Range[str, 1, 4000],
        private: bool | None = None,
    ) -> None:
        req = requester(interaction)
        try:
            given = await resolve(
                self.bot.db,
                req,
                prompt=prompt,
                options=ImagineOptions(),
                speed=None,
                private=private,
                operator_mode=self.bot.settings.default_mode.value,
            )
            # Every check but the charge, at once: a refused member does not mark an area.
            checked = await self.bot.jobs.admit(req, mode=given.mode, prompt=given.prompt)
        except Refused as exc:
            await tell(interaction, say(exc.key, **exc.fields))
            return
        # The editor is the member's own business; the job's visibility is decided above.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await image_bytes(image)
            session = await self.bot.region.open_edit(
                req,
                data,
                prompt=checked or given.prompt,
                mode=given.mode,
                private=given.private,
            )
            small = await asyncio.to_thread(thumbnail, data)
        except Refused as exc:
            await refuse(interaction, say(exc.key, **exc.fields), deferred_ephemeral=True)
            return
        except ImageRejected as exc:
            why = say(f"image.{exc.reason_code}")
            text = say("image.rejected", name=image.filename, why=why)
            await refuse(interaction, text, deferred_ephemeral=True)
            return
        link = await self.bot.region.link(session)
        await interaction.edit_original_response(
            content=say("edit.choose", prompt=session.prompt),
            attachments=[discord.File(io.BytesIO(small), filename="image.webp")],
            view=chooser_view(session.id, link),
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Edit(bot))
