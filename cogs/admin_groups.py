"""The /admin subgroups that live in their own class: banned words, and speed and prompt
rules. Added to the /admin group by cogs/admin.py; the same run-time checks apply (every call
goes through bot.admin, which authorizes and audits)."""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.db.records import NsfwPolicy
from bot.jobs.wordlists import export_wordlist, parse_wordlist
from bot.messages import say
from bot.ui.admin_view import actor, answer, saved

if TYPE_CHECKING:
    from bot.app import MJBot

Interaction = discord.Interaction[Any]
NSFW = {
    NsfwPolicy.NSFW_CHANNELS: "Only in age-restricted channels",
    NsfwPolicy.BLOCK: "Nowhere",
}


def split_words(text: str) -> list[str]:
    return [w.strip() for w in text.replace("，", ",").split(",") if w.strip()]


class WordsGroup(app_commands.Group):
    def __init__(self, bot: MJBot) -> None:
        super().__init__(name="words", description="Banned words and what follows a hit")
        self.bot = bot

    @app_commands.command(name="add", description="Ban words or phrases, separated by commas")
    async def words_add(self, interaction: Interaction, words: str) -> None:
        count = await self.bot.admin.add_words(actor(interaction), split_words(words))
        await saved(self.bot, interaction, say("admin.words_added", count=count))

    @app_commands.command(name="remove", description="Allow words again, separated by commas")
    async def words_remove(self, interaction: Interaction, words: str) -> None:
        count = await self.bot.admin.remove_words(actor(interaction), split_words(words))
        await saved(self.bot, interaction, say("admin.words_added", count=count))

    @app_commands.command(name="list", description="This server's banned words, also as a file")
    async def words_list(self, interaction: Interaction) -> None:
        found = await self.bot.admin.words(actor(interaction))
        if not found:
            await answer(interaction, say("admin.words_none"))
            return
        shown = ", ".join(found)[:1500]
        file = discord.File(io.BytesIO(export_wordlist(found)), filename="banned-words.txt")
        await answer(interaction, say("admin.words_list", count=len(found), words=shown), file=file)

    @app_commands.command(name="import", description="Replace the list with a text file")
    async def words_import(self, interaction: Interaction, file: discord.Attachment) -> None:
        await self.bot.admin.gate.authorize(actor(interaction), "admin.words.import", {})
        parsed = parse_wordlist(await file.read())
        count = await self.bot.admin.add_words(actor(interaction), list(parsed.words), replace=True)
        text = say("admin.words_imported", count=count)
        if parsed.rejected:
            lines = "; ".join(
                say(r.reason.key, line=r.line, text=r.text) for r in parsed.rejected[:5]
            )
            text += "\n" + say("admin.words_skipped", count=len(parsed.rejected), lines=lines)
        await saved(self.bot, interaction, text)

    @app_commands.command(name="escalation", description="Time members out after blocked prompts")
    @app_commands.describe(blocked="Blocked prompts in a day before a timeout (0: never)")
    async def escalation(
        self,
        interaction: Interaction,
        blocked: app_commands.Range[int, 0, 100],
        minutes: app_commands.Range[int, 1, 40_320] = 60,
    ) -> None:
        await self.bot.admin.set(
            actor(interaction),
            "admin.escalation",
            escalation_timeout_at=blocked,
            escalation_minutes=minutes,
        )
        what = (
            say("admin.what_escalation", count=blocked, minutes=minutes)
            if blocked
            else say("admin.what_escalation_off")
        )
        await saved(self.bot, interaction, what)


class SpeedGroup(app_commands.Group):
    def __init__(self, bot: MJBot) -> None:
        super().__init__(name="prompts", description="Speed modes and what prompts may do")
        self.bot = bot

    @app_commands.command(name="speed", description="The default speed, and whether relax is on")
    @app_commands.choices(
        mode=[app_commands.Choice(name=m, value=m) for m in ("fast", "turbo", "relax")]
    )
    async def speed(
        self, interaction: Interaction, mode: str | None = None, relax: bool | None = None
    ) -> None:
        changes: dict[str, Any] = {}
        if mode is not None:
            changes["default_mode"] = mode
        if relax is not None:
            changes["relax_enabled"] = relax
        if not changes:
            await answer(interaction, say("admin.nothing_given"))
            return
        await self.bot.admin.set(actor(interaction), "admin.speed", **changes)
        shown = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in changes.items())
        await saved(self.bot, interaction, shown)

    @app_commands.command(name="turbo-role", description="Turbo only for a role (empty: anyone)")
    async def turbo_role(self, interaction: Interaction, role: discord.Role | None = None) -> None:
        roles = [role.id] if role else []
        await self.bot.admin.set(actor(interaction), "admin.speed", turbo_role_ids=roles)
        what = say("admin.what_turbo", role=role.mention) if role else say("admin.what_turbo_all")
        await saved(self.bot, interaction, what)

    @app_commands.command(
        name="max-jobs", description="Jobs one prompt may start with {a,b} or --repeat"
    )
    async def max_jobs(
        self, interaction: Interaction, jobs: app_commands.Range[int, 1, 40]
    ) -> None:
        await self.bot.admin.set(actor(interaction), "admin.prompts", max_repeat=jobs)
        await saved(self.bot, interaction, say("admin.what_max_jobs", value=jobs))

    @app_commands.command(name="nsfw", description="Where prompts with adult terms are allowed")
    @app_commands.choices(
        where=[app_commands.Choice(name=label, value=p.value) for p, label in NSFW.items()]
    )
    async def nsfw_where(self, interaction: Interaction, where: str) -> None:
        await self.bot.admin.set(actor(interaction), "admin.prompts", nsfw_policy=where)
        shown = NSFW[NsfwPolicy(where)]
        await saved(self.bot, interaction, say("admin.what_nsfw", value=shown))


class KitsGroup(app_commands.Group):
    def __init__(self, bot: MJBot) -> None:
        super().__init__(name="kits", description="Style kits members pick on /imagine")
        self.bot = bot

    @app_commands.command(name="add", description="Publish a style kit (or replace one)")
    @app_commands.describe(
        name="What members pick, e.g. watercolour",
        params="Parameters, e.g. --sref 123 --stylize 250 --v 7",
        suffix="Words added to the prompt",
        description="Shown when members pick a kit",
    )
    async def add(
        self,
        interaction: Interaction,
        name: app_commands.Range[str, 1, 32],
        params: app_commands.Range[str, 0, 300] = "",
        suffix: app_commands.Range[str, 0, 200] = "",
        description: app_commands.Range[str, 0, 100] = "",
    ) -> None:
        kit = await self.bot.admin.publish_kit(
            actor(interaction), name, params, suffix, description, time.time()
        )
        await saved(self.bot, interaction, say("kit.saved", name=kit.name))

    @app_commands.command(name="remove", description="Remove a style kit")
    async def remove(self, interaction: Interaction, name: str) -> None:
        await self.bot.admin.remove_kit(actor(interaction), name)
        await saved(self.bot, interaction, say("kit.removed", name=name))

    @app_commands.command(name="list", description="This server's style kits")
    async def list_kits(self, interaction: Interaction) -> None:
        found = await self.bot.admin.kits(actor(interaction))
        lines = [f"**{k.name}** `{k.params}` {k.suffix} — {k.description}".strip() for k in found]
        await answer(interaction, "\n".join(lines)[:1900] or say("kit.none"))
