"""The mod-log: moderation events posted as embeds in the channel a server chose, with
one-click actions (ban for 24 h, unban, refund the job). The buttons are persistent (they
work after a restart) and each click is checked at run time for the clicker's right and
audited, exactly as the slash commands are."""

from __future__ import annotations

import asyncio
import datetime
import logging
import re
import time
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import Refused
from bot.jobs.escalation import EscalationPolicy, Step, decide
from bot.messages import say
from bot.ui.admin_view import actor, answer, ban_line, now
from bot.ui.render import NO_PINGS

if TYPE_CHECKING:
    from bot.app import MJBot

log = logging.getLogger(__name__)
COLOURS = {
    "ban": discord.Colour.red(),
    "words": discord.Colour.orange(),
    "budget": discord.Colour.gold(),
    "key": discord.Colour.dark_teal(),
    "setting": discord.Colour.blurple(),
    "upstream": discord.Colour.orange(),
    "report": discord.Colour.orange(),
}
TEMPLATE = r"modlog:(?P<action>ban|unban|refund|delete):(?P<target>[0-9]{1,20})"


class ModLog:
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot
        self._tasks: set[asyncio.Task[None]] = set()

    async def post(
        self,
        guild_id: int | None,
        kind: str,
        text: str,
        *,
        target: int | None = None,
        job_id: int | None = None,
        result: bool = False,
    ) -> bool:
        """Post one event; False when the server has no mod-log (or the bot can't post)."""
        if guild_id is None:
            return False
        channel_id = (await self.bot.db.guilds.get(guild_id)).mod_log_channel_id
        channel = self.bot.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel):
            return False
        embed = discord.Embed(description=text, colour=COLOURS.get(kind, discord.Colour.greyple()))
        embed.set_footer(text=f"mod-log · {kind}")
        view = discord.ui.View(timeout=None)
        if target is not None:
            view.add_item(ModLogButton("ban", target))
            view.add_item(ModLogButton("unban", target))
        if job_id is not None:
            if result:
                view.add_item(ModLogButton("delete", job_id))
            view.add_item(ModLogButton("refund", job_id))
        try:
            await channel.send(
                embed=embed,
                view=view if view.children else discord.utils.MISSING,
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException as exc:
            log.warning("mod-log post in guild %d failed: %s", guild_id, exc)
            return False
        return True

    def hit(self, guild_id: int, user_id: int, kind: str, detail: str) -> None:
        """A blocked prompt: recorded, reported, and escalated (a Discord timeout after too
        many in a day). In the background: the member's refusal must not wait for it."""
        task = asyncio.create_task(self._hit(guild_id, user_id, kind, detail), name="modlog-hit")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _hit(self, guild_id: int, user_id: int, kind: str, detail: str) -> None:
        settings = await self.bot.db.guilds.get(guild_id)
        policy = EscalationPolicy(
            timeout_at=max(1, settings.escalation_timeout_at),
            timeout_seconds=settings.escalation_minutes * 60.0,
            enabled=settings.escalation_timeout_at > 0,
        )
        count = await self.bot.db.hits.record(
            guild_id, user_id, kind, detail, time.time(), window=policy.window_seconds
        )
        key = "modlog.hit_upstream" if kind == "upstream_moderation" else "modlog.hit_word"
        text = say(key, user=f"<@{user_id}>", detail=detail[:200], count=count)
        if decide(policy, count) == Step.TIMEOUT:
            text += " " + await self._time_out(guild_id, user_id, settings.escalation_minutes)
        await self.post(guild_id, "words", text, target=user_id)

    async def _time_out(self, guild_id: int, user_id: int, minutes: int) -> str:
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return say("modlog.timeout_failed")
        try:
            member = guild.get_member(user_id) or await guild.fetch_member(user_id)
            await member.timeout(
                datetime.timedelta(minutes=minutes), reason="too many blocked prompts"
            )
        except discord.HTTPException as exc:
            log.warning("timing out %d in guild %d failed: %s", user_id, guild_id, exc)
            return say("modlog.timeout_failed")
        await self.bot.db.audit.log(
            guild_id,
            self.bot.user.id if self.bot.user else 0,
            "escalation.timeout",
            {"user": user_id, "minutes": minutes},
            True,
        )
        return say("modlog.timed_out", minutes=minutes)


LABELS = {
    "ban": "Ban 24 h",
    "unban": "Unban",
    "refund": "Refund the job",
    "delete": "Delete the result",
}
STYLES = {
    "ban": discord.ButtonStyle.danger,
    "delete": discord.ButtonStyle.danger,
    "unban": discord.ButtonStyle.secondary,
    "refund": discord.ButtonStyle.secondary,
}


class ModLogButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    def __init__(self, action: str, target: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=LABELS[action],
                style=STYLES[action],
                custom_id=f"modlog:{action}:{target}",
            )
        )
        self.action, self.target = action, target

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ModLogButton:
        return cls(match["action"], int(match["target"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: MJBot = interaction.client
        who = actor(interaction)
        try:
            if self.action == "ban":
                record = await bot.admin.ban(
                    who, self.target, reason="from the mod-log", days=1, now=now()
                )
                text = say("admin.banned", line=ban_line(record))
            elif self.action == "unban":
                lifted = await bot.admin.unban(who, self.target)
                text = say(
                    "admin.unbanned" if lifted else "admin.not_banned", user=f"<@{self.target}>"
                )
            elif self.action == "delete":
                channel_id, message_id = await bot.admin.result_message(who, self.target)
                text = await _delete(bot, channel_id, message_id, self.target)
            else:
                refunded = await bot.admin.refund(who, self.target)
                text = say(
                    "admin.refunded" if refunded else "admin.not_refunded", job_id=self.target
                )
        except Refused as exc:
            text = say(exc.key, **exc.fields)
        await answer(interaction, text)


async def _delete(bot: MJBot, channel_id: int, message_id: int, job_id: int) -> str:
    channel = bot.get_channel(channel_id)
    if not isinstance(channel, discord.abc.Messageable):
        return say("admin.not_deleted", job_id=job_id)
    try:
        await channel.get_partial_message(message_id).delete()
    except discord.NotFound:
        return say("admin.deleted", job_id=job_id)  # gone already: the same outcome
    except discord.HTTPException:
        return say("admin.not_deleted", job_id=job_id)
    return say("admin.deleted", job_id=job_id)
