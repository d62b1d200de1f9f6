"""/shorten: Midjourney's important tokens and five shorter prompts, each a button to edit
and imagine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Refused
from bot.jobs import submits
from bot.messages import say
from bot.ui.clicks import refuse, requester, show_new_job, tell

if TYPE_CHECKING:
    from bot.app import MJBot


class Shorten(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    @app_commands.command(name="shorten", description="Which words of a prompt matter")
    @app_commands.describe(prompt="The prompt to analyse", private="Only you see the result")
    async def shorten(
        self,
        interaction: discord.Interaction[MJBot],
        prompt: app_commands.Range[str, 1, 4000],
        private: bool = False,
    ) -> None:
        req = requester(interaction)
        mode = self.bot.settings.default_mode.value
        try:
            text = await self.bot.jobs.admit(req, mode=mode, prompt=prompt)
        except Refused as exc:
            await tell(interaction, say(exc.key, **exc.fields))
            return
        await interaction.response.defer(ephemeral=private, thinking=True)
        checked = text or prompt
        try:
            job = await self.bot.jobs.start(
                req,
                "shorten",
                lambda job: submits.shorten(job.prompt, mode, self.bot.jobs.config),
                prompt=checked,
                mode=mode,
                private=private,
            )
        except Refused as exc:
            await refuse(interaction, say(exc.key, **exc.fields), deferred_ephemeral=private)
            return
        await show_new_job(self.bot, interaction, job)


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Shorten(bot))
