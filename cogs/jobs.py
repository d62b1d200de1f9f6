"""/show, /info and /settings: looking at jobs and one's own preferences."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.db.records import JobStatus
from bot.jobs.actions import job_link
from bot.jobs.limits import for_member, month_start
from bot.jobs.params import PARAMS
from bot.messages import say
from bot.ui.clicks import requester, tell
from bot.ui.render import NO_PINGS, job_embed, status_line
from bot.ui.settings_panel import SettingsPanel, settings_text

if TYPE_CHECKING:
    from bot.app import MJBot

DAY = 86_400


class Jobs(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    @app_commands.command(name="show", description="Post a job again, with working buttons")
    @app_commands.describe(job_id="The job number shown under its image")
    async def show(
        self,
        interaction: discord.Interaction[MJBot],
        job_id: app_commands.Range[int, 1, 2**53 - 1],
    ) -> None:
        job = await self.bot.db.jobs.get(job_id)
        if job is None or (
            job.guild_id != interaction.guild_id and job.user_id != interaction.user.id
        ):
            await tell(interaction, say("job.not_found", job_id=job_id))
            return
        # Only the owner or a moderator re-posts: ids are sequential, and a job from a
        # staff-only channel must not be pulled into a public one by anyone who guesses it.
        owner = job.user_id == interaction.user.id
        if not owner and (job.private or not requester(interaction).is_moderator):
            await tell(interaction, say("job.not_yours"))
            return
        if not job.status.is_terminal:  # a running job keeps updating its own message
            await tell(interaction, say("job.still_running", job_id=job.id))
            return
        await interaction.response.defer(ephemeral=job.private, thinking=True)
        message = await interaction.edit_original_response(
            embed=job_embed(job), allowed_mentions=NO_PINGS
        )
        await self.bot.db.jobs.merge_meta(job.id, {"delivered": False, "dm": False})
        await self.bot.db.jobs.update(
            job.id,
            message_id=message.id,
            channel_id=message.channel.id,
            interaction_token=interaction.token,
            interaction_expires_at=time.time() + 900,
        )
        await self.bot.presenter.refresh(job.id)

    @app_commands.command(name="info", description="Your running jobs and today's usage")
    async def info(self, interaction: discord.Interaction[MJBot]) -> None:
        jobs = await self.bot.db.jobs.list_for_user(
            interaction.guild_id, interaction.user.id, active_only=True, limit=10
        )
        used = await self.bot.db.ledger.usage(
            interaction.guild_id, interaction.user.id, since=time.time() - DAY
        )
        embed = discord.Embed(title="Your jobs", colour=discord.Colour.blurple())
        lines = [
            f"[{discord.utils.escape_markdown(j.prompt[:60]) or j.kind}]({job_link(j)}) — "
            f"{status_line(j)}"
            if job_link(j)
            else f"{j.prompt[:60] or j.kind} — {status_line(j)}"
            for j in jobs
            if j.status != JobStatus.SUCCEEDED
        ]
        embed.description = "\n".join(lines) or say("job.none_running")
        for name, value in await self._allowance(interaction, used):
            embed.add_field(name=name, value=value)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    async def _allowance(
        self, interaction: discord.Interaction[MJBot], used: int
    ) -> list[tuple[str, str]]:
        """What the member has left here: today's jobs, and the budgets that apply."""
        guild_id = interaction.guild_id
        if guild_id is None:
            limit = self.bot.settings.dm_daily_jobs
            return [
                ("Used today", say("info.used", used=used, limit=limit, left=max(0, limit - used)))
            ]
        req = requester(interaction)
        settings = await self.bot.db.guilds.get(guild_id)
        channel = await self.bot.db.channels.get(guild_id, req.channel_id)
        limits = for_member(req, settings, channel)
        today = (
            say(
                "info.used",
                used=used,
                limit=limits.user_limit,
                left=max(0, limits.user_limit - used),
            )
            if limits.user_limit is not None
            else say("info.unlimited", used=used)
        )
        fields = [("Used today", today)]
        since = month_start(time.time())
        for name, budget, where in (
            ("Server budget this month", limits.guild_limit, None),
            ("Channel budget this month", limits.channel_limit, req.channel_id),
        ):
            if budget is not None:
                spent = await self.bot.db.ledger.spent(guild_id, since, where)
                fields.append(
                    (
                        name,
                        say("info.budget", spent=spent, budget=budget, left=max(0, budget - spent)),
                    )
                )
        if limits.concurrent is not None:
            fields.append(("At once", say("info.concurrent", limit=limits.concurrent)))
        if limits.cooldown:
            fields.append(("Between jobs", say("info.cooldown", seconds=limits.cooldown)))
        return fields

    @app_commands.command(name="settings", description="Your own defaults: speed, version, …")
    @app_commands.describe(remix="Edit the prompt before Vary, pan and reroll")
    async def settings(
        self, interaction: discord.Interaction[MJBot], remix: bool | None = None
    ) -> None:
        if remix is not None:
            await self.bot.db.users.update(interaction.user.id, remix=remix)
            current = await self.bot.db.users.get(interaction.user.id)
            await tell(interaction, say("settings.remix", state="on" if current.remix else "off"))
            return
        user = await self.bot.db.users.get(interaction.user.id)
        await interaction.response.send_message(
            settings_text(user),
            view=SettingsPanel(self.bot, user),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    prefer = app_commands.Group(name="prefer", description="Your saved option sets")

    @prefer.command(name="option", description="Save parameters as --name (empty value: remove)")
    @app_commands.describe(
        name="Used as --name in prompts, e.g. mine", value="e.g. --ar 3:2 --s 300"
    )
    async def prefer_option(
        self,
        interaction: discord.Interaction[MJBot],
        name: app_commands.Range[str, 1, 20],
        value: app_commands.Range[str, 0, 300] = "",
    ) -> None:
        key = name.strip().lower().removeprefix("--")
        if key in PARAMS:
            await tell(interaction, say("prefer.taken", name=key))
            return
        user = await self.bot.db.users.get(interaction.user.id)
        sets = [(n, v) for n, v in user.option_sets if n != key]
        if value.strip():
            sets.append((key, value.strip()))
        try:
            await self.bot.db.users.update(interaction.user.id, option_sets=sets)
        except ValueError as exc:
            await tell(interaction, say("settings.bad", why=str(exc)))
            return
        saved = "prefer.saved" if value.strip() else "prefer.removed"
        await tell(interaction, say(saved, name=key, value=value.strip()))

    @prefer.command(name="list", description="Your saved option sets")
    async def prefer_list(self, interaction: discord.Interaction[MJBot]) -> None:
        user = await self.bot.db.users.get(interaction.user.id)
        lines = [f"`--{n}` → `{v}`" for n, v in user.option_sets]
        await tell(interaction, "\n".join(lines) or say("prefer.none"))


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Jobs(bot))
