"""The moderators' side of Discord: who is acting (as Discord resolved it for this very
interaction), the overview panel, the key modal, and the audit page. The rules are in
bot/jobs/guild_admin.py; this file only turns interactions into calls and results into
embeds."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.db.records import AuditEntry, BanRecord, ClickPolicy, NsfwPolicy
from bot.errors import Refused
from bot.jobs.admin import Actor
from bot.jobs.guild_admin import Overview
from bot.jobs.keys import KeyStatus
from bot.messages import say
from bot.ui.ids import EPHEMERAL_PREFIX
from bot.ui.render import NO_PINGS

if TYPE_CHECKING:
    from bot.app import MJBot

PANEL_TIMEOUT = 600.0
NSFW_WHERE = {
    NsfwPolicy.NSFW_CHANNELS: "only in age-restricted channels",
    NsfwPolicy.BLOCK: "nowhere",
}
COLOUR = discord.Colour.blurple()
CLICK_POLICIES = {
    ClickPolicy.OWNER: "Only the member who started the job",
    ClickPolicy.OWNER_AND_MODS: "That member and moderators",
    ClickPolicy.ANYONE: "Anyone who can see the job",
}


def actor(interaction: discord.Interaction[Any]) -> Actor:
    """The acting member, with the permissions Discord computed for this interaction (never
    what the command's visibility suggests: a server can widen that)."""
    perms = interaction.permissions
    return Actor(
        user_id=interaction.user.id,
        guild_id=interaction.guild_id,
        manage_guild=bool(perms.manage_guild or perms.administrator),
        installed_in_guild=interaction.is_guild_integration(),
    )


async def answer(
    interaction: discord.Interaction[Any],
    text: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
) -> None:
    """A private answer (moderation is nobody else's business), first or follow-up."""
    kwargs: dict[str, Any] = {"ephemeral": True, "allowed_mentions": NO_PINGS}
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    if interaction.response.is_done():
        await interaction.followup.send(text or discord.utils.MISSING, **kwargs)
    else:
        await interaction.response.send_message(text, **kwargs)


async def saved(bot: MJBot, interaction: discord.Interaction[Any], what: str) -> None:
    """Say a change was saved, and tell the mod-log who changed what."""
    await answer(interaction, say("admin.saved", what=what))
    text = say("modlog.setting", user=interaction.user.mention, what=what)
    await bot.modlog.post(interaction.guild_id, "setting", text)


def _value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple | list):
        return ", ".join(_value(v) for v in value) or "none"
    return str(value)


# Each line of the overview: label, how to show the value (settings with the same default
# everywhere are marked "default"; changed ones are bold).
LINES: list[tuple[str, str, Callable[[Any], str]]] = [
    ("allowed_channel_ids", "Channels", lambda v: " ".join(f"<#{c}>" for c in v) or "everywhere"),
    ("daily_quota_per_user", "Jobs per member per day", lambda v: _value(v or "no limit")),
    ("concurrent_per_user", "Jobs at once per member", lambda v: _value(v or "no limit")),
    ("cooldown_seconds", "Cooldown between jobs", lambda v: f"{v} s" if v else "none"),
    (
        "role_quotas",
        "Role limits",
        lambda v: ", ".join(f"<@&{r}>: {q or 'no limit'}" for r, q in v) or "none",
    ),
    ("monthly_budget", "Monthly budget", lambda v: f"{v} credits" if v else "no budget"),
    ("budget_exempt_mods", "Moderators past the budget", _value),
    ("click_policy", "Who may press a job's buttons", lambda v: CLICK_POLICIES[ClickPolicy(v)]),
    ("banned_words", "Banned words (besides the default list)", lambda v: f"{len(v)}"),
    ("max_repeat", "Jobs one prompt may start", _value),
    ("nsfw_policy", "Adult terms in prompts", lambda v: NSFW_WHERE[NsfwPolicy(v)]),
    ("default_mode", "Default speed", lambda v: _value(v or "the bot's default")),
    ("relax_enabled", "Relax mode", _value),
    ("private_by_default", "Jobs private by default", _value),
    ("mod_log_channel_id", "Mod-log", lambda v: f"<#{v}>" if v else "not set"),
]


def overview_embed(view: Overview, guild_name: str) -> discord.Embed:
    settings = view.settings
    embed = discord.Embed(title=f"Bot settings · {guild_name}", colour=COLOUR)
    rows = []
    for name, label, show in LINES:
        shown = show(getattr(settings, name))
        rows.append(
            f"**{label}:** {shown}" if name in view.changed else f"{label}: {shown} · *default*"
        )
    embed.description = "\n".join(rows)
    for channel, changed in view.channels[:10]:
        parts = [f"{n} {_value(getattr(channel, n))}" for n in sorted(changed)]
        embed.add_field(
            name="Channel defaults", value=f"<#{channel.channel_id}>: {', '.join(parts)}"
        )
    embed.add_field(name="Bans", value=str(view.bans), inline=True)
    embed.add_field(name="Own CometAPI key", value=key_line(view.key), inline=True)
    embed.set_footer(text="Bold: changed here. Change with /admin …; every change is audited.")
    return embed


def key_line(status: KeyStatus) -> str:
    if status.state == "disabled":
        return say("key.status_disabled")
    if status.state == "none":
        return say("key.status_none")
    if status.state == "unreadable":
        return say("key.unreadable")
    used = f"<t:{int(status.last_used)}:R>" if status.last_used else "not since the bot started"
    error = f"; last error: {say(status.last_error)}" if status.last_error else ""
    return say("key.status_set", hint=status.hint or "set", used=used) + error


def ban_line(ban: BanRecord) -> str:
    until = f"until <t:{int(ban.expires_at)}:f>" if ban.expires_at else "until unbanned"
    return f"<@{ban.user_id}> {until} · by <@{ban.actor_id}> · {ban.reason or 'no reason'}"


def audit_embed(entries: list[AuditEntry], title: str) -> discord.Embed:
    embed = discord.Embed(title=title, colour=COLOUR)
    lines = []
    for entry in entries:
        verdict = "" if entry.allowed else " **denied**"
        detail = {k: v for k, v in entry.detail.items() if v not in (None, [], {})}
        text = ", ".join(f"{k}: {_brief(v)}" for k, v in detail.items())
        lines.append(
            f"<t:{int(entry.created_at)}:R> <@{entry.actor_id}> `{entry.action}`{verdict}"
            + (f" — {text}" if text else "")
        )
    embed.description = "\n".join(lines)[:4000] or say("admin.audit_empty")
    return embed


def _brief(value: object) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


class AuditPager(discord.ui.View):
    """ "Older" pages through the audit trail; each page is authorized again."""

    def __init__(
        self,
        fetch: Callable[[Actor, int | None], Awaitable[list[AuditEntry]]],
        last_id: int | None,
        title: str,
    ) -> None:
        super().__init__(timeout=PANEL_TIMEOUT)
        self.fetch, self.last_id, self.title = fetch, last_id, title
        # In-memory: the mjx: prefix keeps the expired-button catch-all away from it.
        self.older.custom_id = f"{EPHEMERAL_PREFIX}audit:{id(self):x}"

    @discord.ui.button(label="Older", style=discord.ButtonStyle.secondary)
    async def older(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Any]) -> None:
        try:
            entries = await self.fetch(actor(interaction), self.last_id)
        except Refused as exc:
            await answer(interaction, say(exc.key, **exc.fields))
            return
        self.last_id = entries[-1].id if entries else self.last_id
        if not entries:
            await interaction.response.edit_message(content=say("admin.audit_end"), view=None)
            return
        await interaction.response.edit_message(embed=audit_embed(entries, self.title), view=self)


class KeyModal(discord.ui.Modal, title="This server's CometAPI key"):
    """The key is typed here, never as a slash option (those stay in the client's history)."""

    key: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="CometAPI key",
        placeholder="sk-…",
        min_length=8,
        max_length=200,
        style=discord.TextStyle.short,
    )

    def __init__(self, bot: MJBot) -> None:
        super().__init__(timeout=PANEL_TIMEOUT, custom_id=f"{EPHEMERAL_PREFIX}m:key:{id(self):x}")
        self.bot = bot

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            status = await self.bot.admin.set_key(actor(interaction), self.key.value)
        except Refused as exc:
            await interaction.followup.send(say(exc.key, **exc.fields), ephemeral=True)
            return
        await interaction.followup.send(
            say("key.saved", hint=status.hint or "…"), ephemeral=True, allowed_mentions=NO_PINGS
        )
        await self.bot.modlog.post(
            interaction.guild_id, "key", say("modlog.key_set", user=interaction.user.mention)
        )


def now() -> float:
    return time.time()
