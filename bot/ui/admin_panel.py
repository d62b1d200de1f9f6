"""The overview as a panel: what a moderator would rather click than type (toggles, choices,
a small form for the limits). Every control goes through bot.admin, so each click is checked
for the clicker's right at run time and audited, exactly as the slash commands are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord

from bot.db.records import GuildSettings, NsfwPolicy
from bot.errors import Refused
from bot.messages import say
from bot.ui.admin_view import CLICK_POLICIES, PANEL_TIMEOUT, actor, answer, overview_embed
from bot.ui.ids import EPHEMERAL_PREFIX

if TYPE_CHECKING:
    from bot.app import MJBot

Interaction = discord.Interaction[Any]
NSFW_LABELS = {
    NsfwPolicy.NSFW_CHANNELS: "Adult terms: only in age-restricted channels",
    NsfwPolicy.BLOCK: "Adult terms: nowhere",
}
TOGGLES = {  # setting → label on its button
    "private_by_default": "Private by default",
    "relax_enabled": "Relax mode",
    "budget_exempt_mods": "Moderators past the budget",
}


class OverviewPanel(discord.ui.View):
    def __init__(self, bot: MJBot, settings: GuildSettings) -> None:
        super().__init__(timeout=PANEL_TIMEOUT)
        self.bot = bot
        tag = f"{EPHEMERAL_PREFIX}panel:{id(self):x}"
        choices: tuple[tuple[str, str, Mapping[Any, str]], ...] = (
            ("click_policy", "Who may press a job's buttons", CLICK_POLICIES),
            ("nsfw_policy", "Adult terms in prompts", NSFW_LABELS),
        )
        for row, (name, placeholder, labels) in enumerate(choices):
            current = getattr(settings, name)
            select = discord.ui.Select[Any](
                custom_id=f"{tag}:{name}",
                placeholder=placeholder,
                options=[
                    discord.SelectOption(label=label, value=value, default=value == current)
                    for value, label in labels.items()
                ],
                row=row,
            )
            select.callback = self._on_select(name, select)  # type: ignore[method-assign]
            self.add_item(select)
        for name, label in TOGGLES.items():
            on = bool(getattr(settings, name))
            button = discord.ui.Button[Any](
                label=f"{label}: {'on' if on else 'off'}",
                style=discord.ButtonStyle.success if on else discord.ButtonStyle.secondary,
                custom_id=f"{tag}:{name}",
                row=2,
            )
            button.callback = self._on_toggle(name, not on)  # type: ignore[method-assign]
            self.add_item(button)
        limits = discord.ui.Button[Any](
            label="Limits and budget…",
            style=discord.ButtonStyle.primary,
            custom_id=f"{tag}:limits",
            row=3,
        )
        limits.callback = self._open_limits  # type: ignore[method-assign]
        self.add_item(limits)

    def _on_select(self, name: str, select: discord.ui.Select[Any]) -> Any:
        async def callback(interaction: Interaction) -> None:
            await self.change(interaction, **{name: select.values[0]})

        return callback

    def _on_toggle(self, name: str, value: bool) -> Any:
        async def callback(interaction: Interaction) -> None:
            await self.change(interaction, **{name: value})

        return callback

    async def _open_limits(self, interaction: Interaction) -> None:
        try:
            settings = (await self.bot.admin.overview(actor(interaction))).settings
        except Refused as exc:
            await answer(interaction, say(exc.key, **exc.fields))
            return
        await interaction.response.send_modal(LimitsModal(self, settings))

    async def change(self, interaction: Interaction, **changes: Any) -> None:
        """Apply, then show the panel again with the new values."""
        try:
            await self.bot.admin.set(actor(interaction), "admin.panel", **changes)
            view = await self.bot.admin.overview(actor(interaction))
        except Refused as exc:
            await answer(interaction, say(exc.key, **exc.fields))
            return
        name = interaction.guild.name if interaction.guild else "this server"
        panel = OverviewPanel(self.bot, view.settings)
        await interaction.response.edit_message(embed=overview_embed(view, name), view=panel)
        self.stop()


class LimitsModal(discord.ui.Modal, title="Limits and budget"):
    def __init__(self, panel: OverviewPanel, settings: GuildSettings) -> None:
        super().__init__(
            timeout=PANEL_TIMEOUT, custom_id=f"{EPHEMERAL_PREFIX}m:limits:{id(self):x}"
        )
        self.panel = panel
        self.fields: dict[str, discord.ui.TextInput[Any]] = {}
        for name, label, value in (
            (
                "daily_quota_per_user",
                "Jobs per member per day (empty: no limit)",
                settings.daily_quota_per_user,
            ),
            (
                "concurrent_per_user",
                "Jobs at once per member (empty: no limit)",
                settings.concurrent_per_user,
            ),
            ("cooldown_seconds", "Seconds between a member's jobs", settings.cooldown_seconds),
            ("monthly_budget", "Credits per month (empty: no budget)", settings.monthly_budget),
        ):
            field = discord.ui.TextInput[Any](
                label=label, default=str(value) if value else "", required=False, max_length=7
            )
            self.fields[name] = field
            self.add_item(field)

    async def on_submit(self, interaction: Interaction) -> None:
        changes: dict[str, int | None] = {}
        for name, field in self.fields.items():
            text = field.value.strip()
            if text and not text.isdigit():
                await answer(interaction, say("admin.bad_number", label=field.label, value=text))
                return
            number = int(text) if text else None
            # Empty or 0: no limit, except the cooldown, where 0 is simply none.
            changes[name] = (number or 0) if name == "cooldown_seconds" else (number or None)
        await self.panel.change(interaction, **changes)
