"""/admin …: moderators' controls. Hidden from members by default_member_permissions (Manage
Server) and checked again at run time in bot/jobs/guild_admin.py (a server may widen who sees
the command; faults.md 25). Every change is audited with its value before and after."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.db.records import ClickPolicy
from bot.imaging.chart import usage_chart
from bot.jobs.usage import to_csv
from bot.messages import say
from bot.ui.admin_panel import OverviewPanel
from bot.ui.admin_view import (
    CLICK_POLICIES,
    AuditPager,
    KeyModal,
    actor,
    answer,
    audit_embed,
    ban_line,
    key_line,
    now,
    overview_embed,
    saved,
)
from cogs.admin_groups import KitsGroup, SpeedGroup, WordsGroup

if TYPE_CHECKING:
    from bot.app import MJBot

Interaction = discord.Interaction[Any]
COUNT = app_commands.Range[int, 0, 100_000]
MODES = [app_commands.Choice(name=m, value=m) for m in ("fast", "turbo", "relax")]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Admin(commands.GroupCog, group_name="admin", group_description="Run the bot for this server"):
    channels = app_commands.Group(name="channels", description="Where the bot works")
    limits = app_commands.Group(name="limits", description="How much each member may do")
    members = app_commands.Group(name="members", description="Bans and who may press buttons")
    key = app_commands.Group(name="key", description="This server's own CometAPI key")

    def __init__(self, bot: MJBot) -> None:
        self.bot = bot
        group = self.__cog_app_commands_group__
        assert group is not None  # a GroupCog always has its group
        for sub in (WordsGroup(bot), SpeedGroup(bot), KitsGroup(bot)):
            group.add_command(sub)

    @property
    def admin(self) -> Any:
        return self.bot.admin

    async def _saved(self, interaction: Interaction, what: str) -> None:
        await saved(self.bot, interaction, what)

    # --- overview ------------------------------------------------------------------------
    @app_commands.command(name="overview", description="Every setting at a glance")
    async def overview(self, interaction: Interaction) -> None:
        view = await self.admin.overview(actor(interaction))
        name = interaction.guild.name if interaction.guild else "this server"
        panel = OverviewPanel(self.bot, view.settings)
        await answer(interaction, embed=overview_embed(view, name), view=panel)

    # --- channels ------------------------------------------------------------------------
    @channels.command(
        name="allow", description="Let the bot work in a channel (then only listed ones)"
    )
    async def allow(self, interaction: Interaction, channel: discord.TextChannel) -> None:
        await self.admin.allow_channel(actor(interaction), channel.id, True)
        await self._saved(interaction, say("admin.what_allowed", channel=channel.mention))

    @channels.command(name="remove", description="Take a channel off the allow-list")
    async def remove(self, interaction: Interaction, channel: discord.TextChannel) -> None:
        await self.admin.allow_channel(actor(interaction), channel.id, False)
        await self._saved(interaction, say("admin.what_removed", channel=channel.mention))

    @channels.command(name="everywhere", description="Let the bot work in every channel")
    async def everywhere(self, interaction: Interaction) -> None:
        await self.admin.reset(actor(interaction), "admin.channels", "allowed_channel_ids")
        await self._saved(interaction, say("admin.what_everywhere"))

    @channels.command(name="defaults", description="Defaults for members' jobs in a channel")
    @app_commands.describe(
        mode="Speed",
        version="Model version, e.g. 7",
        aspect="Aspect ratio, e.g. 16:9",
        private="Jobs private by default",
        suffix="Added to every prompt, e.g. --stylize 250",
        budget="Credits per month for this channel (0: only the server's budget)",
    )
    @app_commands.choices(mode=MODES)
    async def defaults(
        self,
        interaction: Interaction,
        channel: discord.TextChannel,
        mode: str | None = None,
        version: str | None = None,
        aspect: str | None = None,
        private: bool | None = None,
        suffix: str | None = None,
        budget: COUNT | None = None,
    ) -> None:
        given = {
            "mode": mode,
            "version": version,
            "aspect": aspect,
            "private": private,
            "suffix": suffix,
        }
        changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        if budget is not None:
            changes["monthly_budget"] = budget or None
        if not changes:
            await self.admin.reset_channel(actor(interaction), channel.id)
            await self._saved(interaction, say("admin.what_channel_reset", channel=channel.mention))
            return
        await self.admin.set_channel(actor(interaction), channel.id, **changes)
        shown = ", ".join(f"{k} {v}" for k, v in changes.items())
        await self._saved(interaction, f"{channel.mention}: {shown}")

    # --- limits --------------------------------------------------------------------------
    @limits.command(name="daily", description="Jobs per member per day (0: no limit)")
    async def daily(self, interaction: Interaction, jobs: COUNT) -> None:
        await self.admin.set(actor(interaction), "admin.limits", daily_quota_per_user=jobs or None)
        await self._saved(interaction, say("admin.what_daily", value=jobs or "no limit"))

    @limits.command(name="concurrent", description="Jobs running at once per member (0: no limit)")
    async def concurrent(self, interaction: Interaction, jobs: COUNT) -> None:
        await self.admin.set(actor(interaction), "admin.limits", concurrent_per_user=jobs or None)
        await self._saved(interaction, say("admin.what_concurrent", value=jobs or "no limit"))

    @limits.command(name="cooldown", description="Seconds between two jobs of a member")
    async def cooldown(
        self, interaction: Interaction, seconds: app_commands.Range[int, 0, 86_400]
    ) -> None:
        await self.admin.set(actor(interaction), "admin.limits", cooldown_seconds=seconds)
        await self._saved(interaction, say("admin.what_cooldown", value=seconds))

    @limits.command(name="role", description="A role's own jobs per day (empty: no limit)")
    async def role(
        self, interaction: Interaction, role: discord.Role, jobs: COUNT | None = None
    ) -> None:
        current = (await self.bot.db.guilds.get(interaction.guild_id or 0)).role_quotas
        quotas = [(r, q) for r, q in current if r != role.id] + [(role.id, jobs)]
        await self.admin.set(actor(interaction), "admin.limits", role_quotas=quotas)
        await self._saved(
            interaction,
            say(
                "admin.what_role", role=role.mention, value=jobs if jobs is not None else "no limit"
            ),
        )

    @limits.command(name="role-remove", description="Back to the server's limits for a role")
    async def role_remove(self, interaction: Interaction, role: discord.Role) -> None:
        current = (await self.bot.db.guilds.get(interaction.guild_id or 0)).role_quotas
        quotas = [(r, q) for r, q in current if r != role.id]
        await self.admin.set(actor(interaction), "admin.limits", role_quotas=quotas)
        await self._saved(interaction, say("admin.what_role_removed", role=role.mention))

    @limits.command(name="budget", description="Credits per month for the whole server (0: none)")
    async def budget(
        self, interaction: Interaction, credits: COUNT, moderators_exempt: bool | None = None
    ) -> None:
        changes: dict[str, Any] = {"monthly_budget": credits or None}
        if moderators_exempt is not None:
            changes["budget_exempt_mods"] = moderators_exempt
        await self.admin.set(actor(interaction), "admin.budget", **changes)
        await self._saved(interaction, say("admin.what_budget", value=credits or "no budget"))

    # --- members -------------------------------------------------------------------------
    @members.command(name="ban", description="Stop a member from using the bot here")
    @app_commands.describe(days="How long (empty: until unbanned)", reason="Shown in the bans list")
    async def ban(
        self,
        interaction: Interaction,
        user: discord.Member,
        reason: app_commands.Range[str, 0, 200] = "",
        days: app_commands.Range[float, 0.01, 3650.0] | None = None,
    ) -> None:
        record = await self.admin.ban(
            actor(interaction), user.id, reason=reason, days=days, now=now()
        )
        await answer(interaction, say("admin.banned", line=ban_line(record)))
        await self.bot.modlog.post(
            interaction.guild_id,
            "ban",
            say("modlog.ban", user=interaction.user.mention, line=ban_line(record)),
            target=user.id,
        )

    @members.command(name="unban", description="Let a member use the bot again")
    async def unban(self, interaction: Interaction, user: discord.User) -> None:
        lifted = await self.admin.unban(actor(interaction), user.id)
        await answer(
            interaction, say("admin.unbanned" if lifted else "admin.not_banned", user=user.mention)
        )
        if lifted:
            await self.bot.modlog.post(
                interaction.guild_id,
                "ban",
                say("modlog.unban", user=interaction.user.mention, target=user.mention),
            )

    @members.command(name="bans", description="Who is banned from the bot here")
    async def bans(self, interaction: Interaction) -> None:
        found = await self.admin.bans(actor(interaction))
        text = "\n".join(ban_line(b) for b in found[:30]) or say("admin.no_bans")
        await answer(interaction, embed=discord.Embed(title="Bans", description=text))

    @members.command(name="clicks", description="Who may press a job's buttons")
    @app_commands.choices(
        policy=[
            app_commands.Choice(name=label, value=p.value) for p, label in CLICK_POLICIES.items()
        ]
    )
    async def clicks(self, interaction: Interaction, policy: str) -> None:
        await self.admin.set(actor(interaction), "admin.clicks", click_policy=policy)
        await self._saved(
            interaction, say("admin.what_clicks", value=CLICK_POLICIES[ClickPolicy(policy)])
        )

    # --- the server's own key --------------------------------------------------------------
    @key.command(name="set", description="Use this server's own CometAPI key (typed in a form)")
    async def key_set(self, interaction: Interaction) -> None:
        await self.admin.gate.authorize(actor(interaction), "admin.key.open", {})
        await interaction.response.send_modal(KeyModal(self.bot))

    @key.command(name="remove", description="Go back to the bot's own key")
    async def key_remove(self, interaction: Interaction) -> None:
        await self.admin.remove_key(actor(interaction))
        await answer(interaction, say("key.removed"))
        await self.bot.modlog.post(
            interaction.guild_id, "key", say("modlog.key_removed", user=interaction.user.mention)
        )

    @key.command(name="status", description="Whether the key works, and when it was last used")
    async def key_status(self, interaction: Interaction) -> None:
        await answer(interaction, key_line(await self.admin.key_status(actor(interaction))))

    # --- the rest ------------------------------------------------------------------------
    @app_commands.command(
        name="private", description="Make every job private unless asked (team servers)"
    )
    async def private(self, interaction: Interaction, on: bool) -> None:
        await self.admin.set(actor(interaction), "admin.private", private_by_default=on)
        await self._saved(interaction, say("admin.what_private", value="on" if on else "off"))

    @app_commands.command(name="modlog", description="Where moderation events are posted")
    async def modlog(self, interaction: Interaction, channel: discord.TextChannel) -> None:
        await self.admin.set(actor(interaction), "admin.modlog", mod_log_channel_id=channel.id)
        await self._saved(interaction, say("admin.what_modlog", channel=channel.mention))

    @app_commands.command(
        name="usage", description="Jobs and credits over time, as a chart and CSV"
    )
    async def usage(
        self, interaction: Interaction, days: app_commands.Range[int, 1, 366] = 30
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # a chart takes a moment
        report, rows = await self.admin.usage(actor(interaction), days, now())
        names = await member_names(interaction.guild, [u.user_id for u in report.top_users])
        chart = await asyncio.to_thread(usage_chart, report, names)
        files = [
            discord.File(io.BytesIO(chart), filename="usage.png"),
            discord.File(io.BytesIO(to_csv(rows)), filename=f"usage-{days}-days.csv"),
        ]
        text = say(
            "admin.usage", days=days, jobs=report.jobs, net=report.net, refunded=report.refunded
        )
        await interaction.followup.send(text, files=files, ephemeral=True)

    @app_commands.command(name="audit", description="Recent changes and refused attempts")
    @app_commands.describe(
        user="Only this member's", kind="Only actions starting with, e.g. admin.key"
    )
    async def audit(
        self, interaction: Interaction, user: discord.User | None = None, kind: str | None = None
    ) -> None:
        user_id = user.id if user else None

        async def fetch(who: Any, before: int | None) -> Any:
            return await self.admin.audit(who, user_id=user_id, kind=kind, before_id=before)

        entries = await fetch(actor(interaction), None)
        title = "Audit trail" + (f" · {user}" if user else "") + (f" · {kind}" if kind else "")
        pager = AuditPager(fetch, entries[-1].id if entries else None, title)
        await answer(
            interaction,
            embed=audit_embed(entries, title),
            view=pager if len(entries) >= 10 else None,
        )


async def member_names(guild: discord.Guild | None, user_ids: list[int]) -> dict[int, str]:
    """Display names for a chart (an image can't show mentions): cached, else fetched."""
    names: dict[int, str] = {}
    for user_id in user_ids:
        member = guild.get_member(user_id) if guild else None
        if member is None and guild is not None:
            try:
                member = await guild.fetch_member(user_id)
            except discord.HTTPException:
                continue  # left the server: the chart shows the id
        if member is not None:
            names[user_id] = member.display_name
    return names


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Admin(bot))
