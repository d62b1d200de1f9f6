"""Prompt modals: Custom Zoom, Remix and Describe's prompt picker.

Modals live in memory only (discord-notes.md): each gets a unique custom_id and a timeout;
`on_submit` is a new interaction, so authority is checked again by the press itself.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.jobs.actions import PressInput
from bot.messages import say
from bot.ui.ids import ButtonRef

if TYPE_CHECKING:
    from bot.app import MJBot

ZOOM = re.compile(r"--zoom\s+([0-9]*\.?[0-9]+)")
TITLES = {"zoom": "Custom Zoom", "remix": "Remix", "describe": "Imagine this prompt"}


def valid_zoom(prompt: str) -> bool:
    zooms = [float(z) for z in ZOOM.findall(prompt)]
    return bool(zooms) and all(1 < z <= 2 for z in zooms)


class PromptModal(discord.ui.Modal):
    def __init__(self, kind: str, ref: ButtonRef, prefill: str) -> None:
        super().__init__(
            title=TITLES[kind],
            timeout=900,
            custom_id=f"mjx:m:{kind}:{ref.job_id}:{ref.index}:{id(self):x}"[:100],
        )
        self.kind = kind
        self.ref = ref
        self.prompt: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=say("modal.prompt_label"),
            style=discord.TextStyle.paragraph,
            default=prefill[:4000],
            max_length=4000,
            required=True,
        )
        self.add_item(self.prompt)

    async def on_submit(self, interaction: discord.Interaction[MJBot]) -> None:  # type: ignore[override]
        prompt = " ".join(self.prompt.value.split())
        if self.kind == "zoom" and not valid_zoom(prompt):  # a modal can't answer a modal:
            again = EditAgain(PromptModal("zoom", self.ref, prompt))  # one click reopens it
            await interaction.response.send_message(say("zoom.invalid"), view=again, ephemeral=True)
            return
        extra = PressInput(prompt=prompt, remix=self.kind == "remix")
        await interaction.response.defer()  # a deferred update: the job's own message follows
        await interaction.client.clicks.press(interaction, self.ref, extra)


class EditAgain(discord.ui.View):
    """ "Edit again": the form once more, with what was typed (nothing to retype)."""

    def __init__(self, modal: discord.ui.Modal) -> None:
        super().__init__(timeout=900)
        self.modal = modal
        self.edit.custom_id = f"mjx:again:{id(self):x}"

    @discord.ui.button(label="Edit again", style=discord.ButtonStyle.primary)
    async def edit(self, interaction: discord.Interaction[Any], _: Any) -> None:
        await interaction.response.send_modal(self.modal)


class ImagineModal(discord.ui.Modal):
    """A prompt to edit, then imagine as a new job (a /shorten suggestion)."""

    def __init__(self, prefill: str, title: str) -> None:
        super().__init__(title=title[:45], timeout=900, custom_id=f"mjx:m:imagine:{id(self):x}")
        self.prompt: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=say("modal.prompt_label"),
            style=discord.TextStyle.paragraph,
            default=prefill[:4000],
            max_length=4000,
            required=True,
        )
        self.add_item(self.prompt)

    async def on_submit(self, interaction: discord.Interaction[MJBot]) -> None:  # type: ignore[override]
        await interaction.client.clicks.imagine_text(
            interaction, " ".join(self.prompt.value.split())
        )
