"""The persistent job button: a DynamicItem rebuilt from its custom_id after any restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.cometapi.buttons import ButtonInfo
from bot.cometapi.models import Button
from bot.ui.ids import (
    BUTTON_TEMPLATE,
    EXPIRED_TEMPLATE,
    RETRY_TEMPLATE,
    SHORTEN_TEMPLATE,
    ButtonRef,
    parse_button,
)

if TYPE_CHECKING:
    from bot.app import MJBot


def _emoji(raw: str) -> str | None:
    """Unicode emoji only: CometAPI's custom emoji come as bare names Discord cannot show."""
    raw = raw.strip()
    return raw if raw and not raw.isascii() else None


class JobButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BUTTON_TEMPLATE):
    def __init__(self, ref: ButtonRef, button: discord.ui.Button[Any] | None = None) -> None:
        super().__init__(button or discord.ui.Button(label="…", custom_id=ref.custom_id))
        self.ref = ref

    @classmethod
    def build(
        cls,
        ref: ButtonRef,
        button: Button,
        info: ButtonInfo,
        *,
        row: int,
        pressed: bool = False,
        refused: bool = False,
    ) -> JobButton:
        emoji = _emoji(button.emoji)
        label = button.label.strip() or info.accessible_label
        style = discord.ButtonStyle.primary if pressed else discord.ButtonStyle.secondary
        item: discord.ui.Button[Any] = discord.ui.Button(
            label=label[:80] or None,
            emoji=emoji,
            style=style,
            custom_id=ref.custom_id,
            row=row,
            disabled=refused,
        )
        return cls(ref, item)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> JobButton:
        ref = parse_button(match.string)
        assert ref is not None  # the template and the parser are the same pattern
        return cls(ref, item if isinstance(item, discord.ui.Button) else None)

    async def callback(self, interaction: discord.Interaction[MJBot]) -> None:  # type: ignore[override]
        await interaction.client.clicks.on_button(interaction, self.ref)


class ExpiredButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=EXPIRED_TEMPLATE):
    """Any other custom_id (old scheme, forged, garbled): answer instead of failing silently."""

    def __init__(self, button: discord.ui.Button[Any] | None = None) -> None:
        super().__init__(button or discord.ui.Button(label="…", custom_id="mjx:expired"))

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ExpiredButton:
        return cls(item if isinstance(item, discord.ui.Button) else None)

    async def callback(self, interaction: discord.Interaction[MJBot]) -> None:  # type: ignore[override]
        await interaction.client.clicks.expired(interaction)


class RetryButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=RETRY_TEMPLATE):
    """🔄 Try again on a failed job: a new job with the same inputs, charged as new."""

    def __init__(self, job_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Try again",
                emoji="🔄",
                style=discord.ButtonStyle.primary,
                custom_id=f"mj:v1:t:{job_id}",
            )
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RetryButton:
        return cls(int(match["job"]))

    async def callback(self, interaction: discord.Interaction[MJBot]) -> None:  # type: ignore[override]
        await interaction.client.clicks.retry(interaction, self.job_id)


KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣")


class ShortenButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SHORTEN_TEMPLATE):
    """1️⃣–5️⃣ under a /shorten result: open that prompt for editing, then imagine it."""

    def __init__(self, job_id: int, number: int) -> None:
        super().__init__(
            discord.ui.Button(
                emoji=KEYCAPS[number - 1],
                style=discord.ButtonStyle.secondary,
                custom_id=f"mj:v1:s:{job_id}:{number}",
            )
        )
        self.job_id, self.number = job_id, number

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ShortenButton:
        return cls(int(match["job"]), int(match["n"]))

    async def callback(self, interaction: discord.Interaction[MJBot]) -> None:  # type: ignore[override]
        await interaction.client.clicks.shortened(interaction, self.job_id, self.number)
