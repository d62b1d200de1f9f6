"""/imagine: typed options → a checked prompt → one job message that updates itself."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Refused
from bot.jobs import multipliers
from bot.jobs.defaults import resolve
from bot.jobs.prompts import VERSION_CHOICES, ImagineOptions, build_prompt
from bot.messages import say
from bot.ui.attachments import image_data_url
from bot.ui.clicks import refuse, requester, show_new_job, tell
from bot.ui.confirm import Batch, BatchConfirm, confirmation_text
from bot.ui.render import NO_PINGS

if TYPE_CHECKING:
    from bot.app import MJBot

log = logging.getLogger(__name__)
ASPECTS = ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21", "5:4", "4:5"]


class Imagine(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    @app_commands.command(name="imagine", description="Create four images from a prompt")
    @app_commands.describe(
        prompt="What to see; Midjourney --parameters work too",
        aspect="Aspect ratio, like 16:9",
        version="Model version",
        speed="Speed mode",
        stylize="How strongly Midjourney's style applies (0–1000)",
        chaos="How varied the four images are (0–100)",
        weird="Unusual aesthetics (0–3000)",
        no="Things to leave out",
        seed="Seed for repeatable results",
        tile="Seamless tiles",
        raw="Style raw: less automatic beautifying",
        image1="Reference image",
        image2="Reference image",
        image3="Reference image",
        private="Only you see the job",
        kit="A style kit of this server (its moderators publish them)",
    )
    @app_commands.choices(
        version=[app_commands.Choice(name=v, value=v) for v in VERSION_CHOICES],
        speed=[app_commands.Choice(name=m, value=m) for m in ("fast", "turbo", "relax")],
    )
    async def imagine(
        self,
        interaction: discord.Interaction[MJBot],
        prompt: app_commands.Range[str, 1, 4000],
        aspect: str | None = None,
        version: str | None = None,
        speed: str | None = None,
        stylize: app_commands.Range[int, 0, 1000] | None = None,
        chaos: app_commands.Range[int, 0, 100] | None = None,
        weird: app_commands.Range[int, 0, 3000] | None = None,
        no: str | None = None,
        seed: app_commands.Range[int, 0, 4294967295] | None = None,
        tile: bool = False,
        raw: bool = False,
        image1: discord.Attachment | None = None,
        image2: discord.Attachment | None = None,
        image3: discord.Attachment | None = None,
        private: bool | None = None,
        kit: str | None = None,
    ) -> None:
        req = requester(interaction)
        try:
            typed = ImagineOptions(
                aspect=aspect,
                version=version,
                stylize=stylize,
                chaos=chaos,
                weird=weird,
                no=no,
                seed=seed,
                tile=tile,
                raw=raw,
            )
            given = await resolve(
                self.bot.db,
                req,
                prompt=prompt,
                options=typed,
                speed=speed,
                private=private,
                operator_mode=self.bot.settings.default_mode.value,
                kit=kit,
            )
            mode, private = given.mode, given.private
            # Every check but the quotas, before deferring: a refusal is private and at once.
            built = build_prompt(given.prompt, given.options)
            text = await self.bot.jobs.admit(req, mode=mode, prompt=built, several=True)
            jobs = multipliers.count(text or built).jobs  # within the server's cap: admitted
        except Refused as exc:  # what was typed comes back, so nothing has to be retyped
            typed_back = say("refused.typed", text=prompt[:1500])
            await tell(interaction, f"{say(exc.key, **exc.fields)}\n{typed_back}")
            return
        if jobs > 1:  # several jobs: only after a private confirmation with their cost
            batch = Batch(
                prompts=multipliers.expand(text or built, jobs),
                mode=mode,
                private=private,
                cost=self.bot.jobs.config.cost_of(mode),
                meta={"attachment_limit": interaction.filesize_limit},
            )
            await interaction.response.send_message(
                confirmation_text(batch),
                view=BatchConfirm(self.bot, req, batch),
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        await interaction.response.defer(ephemeral=private, thinking=True)
        try:
            images = [await image_data_url(a) for a in (image1, image2, image3) if a]
            meta = {"attachment_limit": interaction.filesize_limit}
            job = await self.bot.jobs.imagine(
                req, text or built, mode=mode, private=private, images=images, meta=meta
            )
        except Refused as exc:
            await refuse(interaction, say(exc.key, **exc.fields), deferred_ephemeral=private)
            return
        await show_new_job(self.bot, interaction, job)

    @imagine.autocomplete("aspect")
    async def _aspects(
        self, interaction: discord.Interaction[MJBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=a, value=a) for a in ASPECTS if a.startswith(current)][:25]

    @imagine.autocomplete("kit")
    async def _kits(
        self, interaction: discord.Interaction[MJBot], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        found = await self.bot.db.kits.search(interaction.guild_id, current)
        return [
            app_commands.Choice(name=f"{k.name} — {k.description or k.params}"[:100], value=k.name)
            for k in found
        ]


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Imagine(bot))
