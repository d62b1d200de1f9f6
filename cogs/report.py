"""Report to moderators: a message command on a job's result that posts it to the mod-log,
with the one-click actions (Delete the result, Refund, Ban 24 h) for the moderators there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.messages import say
from bot.ui.clicks import tell
from bot.ui.render import job_id_in_footer

if TYPE_CHECKING:
    from bot.app import MJBot


def job_id_of(message: discord.Message, bot_id: int | None) -> int | None:
    """The job a message of the bot shows, from its footer ("… · job 12")."""
    if message.author.id != bot_id:
        return None
    found = (job_id_in_footer(e.footer.text or "") for e in message.embeds)
    return next((j for j in found if j is not None), None)


class Report(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Report to moderators", callback=self.report)
        self.menu.guild_only = True
        bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def report(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        job_id = job_id_of(message, self.bot.user.id if self.bot.user else None)
        job = await self.bot.db.jobs.get(job_id) if job_id else None
        if job is None or job.guild_id != interaction.guild_id:
            await tell(interaction, say("report.not_a_job"))
            return
        text = say(
            "modlog.report",
            user=interaction.user.mention,
            job_id=job.id,
            owner=f"<@{job.user_id}>",
            link=message.jump_url,
        )
        posted = await self.bot.modlog.post(
            interaction.guild_id, "report", text, target=job.user_id, job_id=job.id, result=True
        )
        await tell(interaction, say("report.sent" if posted else "report.no_modlog"))


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Report(bot))
