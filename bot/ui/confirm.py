"""A prompt that stands for several jobs (`a {red, blue} bird`, `--repeat 3`) starts them only
after its author confirms a private list of the jobs and what they cost together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import Refused
from bot.jobs.events import Requester
from bot.messages import say
from bot.ui.ids import EPHEMERAL_PREFIX
from bot.ui.render import NO_PINGS, job_embed

if TYPE_CHECKING:
    from bot.app import MJBot

CONFIRM_TIMEOUT = 600.0
SHOWN = 15  # prompts listed in the confirmation; the rest are counted


@dataclass(frozen=True, slots=True)
class Batch:
    prompts: list[str]
    mode: str
    private: bool
    cost: int  # credits per job
    meta: dict[str, Any]


def confirmation_text(batch: Batch) -> str:
    lines = [f"{n}. {p}" for n, p in enumerate(batch.prompts[:SHOWN], 1)]
    if len(batch.prompts) > SHOWN:
        lines.append(say("batch.more", count=len(batch.prompts) - SHOWN))
    total = batch.cost * len(batch.prompts)
    head = say("batch.confirm", count=len(batch.prompts), total=total, each=batch.cost)
    return head + "\n" + "\n".join(lines)


class BatchConfirm(discord.ui.View):
    def __init__(self, bot: MJBot, req: Requester, batch: Batch) -> None:
        super().__init__(timeout=CONFIRM_TIMEOUT)
        self.bot, self.req, self.batch = bot, req, batch
        tag = f"{EPHEMERAL_PREFIX}batch:{id(self):x}"
        self.start_all.custom_id, self.cancel.custom_id = f"{tag}:go", f"{tag}:no"
        self.start_all.label = say("batch.start", count=len(batch.prompts))

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return interaction.user.id == self.req.user_id  # an ephemeral: nobody else sees it

    @discord.ui.button(label="Start", style=discord.ButtonStyle.success)
    async def start_all(self, interaction: discord.Interaction[Any], _: Any) -> None:
        self.stop()
        await interaction.response.edit_message(content=say("batch.starting"), view=None)
        started, refusal = 0, None
        for prompt in self.batch.prompts:
            try:
                job = await self.bot.jobs.imagine(
                    self.req,
                    prompt,
                    mode=self.batch.mode,
                    private=self.batch.private,
                    meta=dict(self.batch.meta),
                )
            except Refused as exc:
                refusal = say(exc.key, **exc.fields)
                break
            started += 1
            await self._post(interaction, job)
        total = len(self.batch.prompts)
        text = say("batch.started", count=started, total=total)
        await interaction.edit_original_response(content=text + (f"\n{refusal}" if refusal else ""))

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Any], _: Any) -> None:
        self.stop()
        await interaction.response.edit_message(content=say("batch.cancelled"), view=None)

    async def _post(self, interaction: discord.Interaction[Any], job: Any) -> None:
        """Each job gets its own message, as if it had been typed on its own."""
        with self.bot.presenter.posting(job.id):
            message: discord.Message
            if job.private:
                message = await interaction.followup.send(
                    embed=job_embed(job), ephemeral=True, wait=True, allowed_mentions=NO_PINGS
                )
            else:
                channel = self.bot.get_partial_messageable(job.channel_id)
                message = await channel.send(embed=job_embed(job), allowed_mentions=NO_PINGS)
            await self.bot.presenter.adopt(job, message)
