"""/settings as Midjourney has it: a private panel of menus and toggles for one's own defaults
(speed, version, aspect, stealth, Remix) and a form for stylize, a suffix and a --p code.
Only its owner can use it; each change is saved at once and the panel shows the new state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.db.records import UserSettings
from bot.jobs.prompts import VERSION_CHOICES
from bot.messages import say
from bot.ui.ids import EPHEMERAL_PREFIX

if TYPE_CHECKING:
    from bot.app import MJBot

Interaction = discord.Interaction[Any]
TIMEOUT = 600.0
ASPECTS = ("1:1", "3:2", "2:3", "16:9", "9:16", "4:3", "3:4", "21:9")
UNSET = "-"  # a menu's "the default" choice (a select option needs a value)


def settings_text(user: UserSettings) -> str:
    lines = [
        say("settings.line", name="Speed", value=user.default_mode or say("settings.default")),
        say("settings.line", name="Version", value=user.version or say("settings.default")),
        say("settings.line", name="Aspect", value=user.aspect or say("settings.default")),
        say(
            "settings.line",
            name="Stylize",
            value=user.stylize if user.stylize is not None else say("settings.default"),
        ),
        say("settings.line", name="Suffix", value=user.suffix or say("settings.none")),
        say(
            "settings.line",
            name="Personalization",
            value=("--p " + user.personalize)
            if user.personalize is not None
            else say("settings.none"),
        ),
        say(
            "settings.line",
            name="Option sets",
            value=", ".join(f"--{n}" for n, _ in user.option_sets) or say("settings.none"),
        ),
    ]
    return say("settings.title") + "\n" + "\n".join(lines)


class SettingsPanel(discord.ui.View):
    def __init__(self, bot: MJBot, user: UserSettings) -> None:
        super().__init__(timeout=TIMEOUT)
        self.bot, self.user_id = bot, user.user_id
        tag = f"{EPHEMERAL_PREFIX}settings:{id(self):x}"
        menus = (
            ("default_mode", "Speed", ("fast", "turbo", "relax"), user.default_mode),
            ("version", "Version", VERSION_CHOICES, user.version),
            ("aspect", "Aspect ratio", ASPECTS, user.aspect),
        )
        for row, (name, label, values, current) in enumerate(menus):
            options = [
                discord.SelectOption(
                    label=f"{label}: default", value=UNSET, default=current is None
                )
            ]
            options += [
                discord.SelectOption(label=f"{label}: {v}", value=v, default=v == current)
                for v in values[:24]
            ]
            select = discord.ui.Select[Any](custom_id=f"{tag}:{name}", options=options, row=row)
            select.callback = self._menu(name, select)  # type: ignore[method-assign]
            self.add_item(select)
        for name, label in (("private", "Stealth"), ("remix", "Remix")):
            on = bool(getattr(user, name))
            button = discord.ui.Button[Any](
                label=f"{label}: {'on' if on else 'off'}",
                style=discord.ButtonStyle.success if on else discord.ButtonStyle.secondary,
                custom_id=f"{tag}:{name}",
                row=3,
            )
            button.callback = self._toggle(name, not on)  # type: ignore[method-assign]
            self.add_item(button)
        more = discord.ui.Button[Any](
            label="Stylize, suffix, --p…",
            style=discord.ButtonStyle.primary,
            custom_id=f"{tag}:more",
            row=3,
        )
        more.callback = self._more  # type: ignore[method-assign]
        self.add_item(more)

    async def interaction_check(self, interaction: Interaction) -> bool:
        return interaction.user.id == self.user_id  # ephemeral: nobody else sees it anyway

    def _menu(self, name: str, select: discord.ui.Select[Any]) -> Any:
        async def callback(interaction: Interaction) -> None:
            value = select.values[0]
            await self.change(interaction, **{name: None if value == UNSET else value})

        return callback

    def _toggle(self, name: str, value: bool) -> Any:
        async def callback(interaction: Interaction) -> None:
            await self.change(interaction, **{name: value})

        return callback

    async def _more(self, interaction: Interaction) -> None:
        user = await self.bot.db.users.get(self.user_id)
        await interaction.response.send_modal(MoreModal(self, user))

    async def change(self, interaction: Interaction, **changes: Any) -> None:
        try:
            user = await self.bot.db.users.update(self.user_id, **changes)
        except ValueError as exc:
            await interaction.response.send_message(
                say("settings.bad", why=str(exc)), ephemeral=True
            )
            return
        panel = SettingsPanel(self.bot, user)
        await interaction.response.edit_message(content=settings_text(user), view=panel)
        self.stop()


class MoreModal(discord.ui.Modal, title="Your prompt defaults"):
    def __init__(self, panel: SettingsPanel, user: UserSettings) -> None:
        super().__init__(timeout=TIMEOUT, custom_id=f"{EPHEMERAL_PREFIX}m:settings:{id(self):x}")
        self.panel = panel
        self.stylize = discord.ui.TextInput[Any](
            label="Stylize (0–1000, empty: Midjourney's)",
            required=False,
            max_length=4,
            default=str(user.stylize) if user.stylize is not None else "",
        )
        self.suffix = discord.ui.TextInput[Any](
            label="Suffix added to every prompt",
            required=False,
            max_length=200,
            default=user.suffix,
        )
        self.code = discord.ui.TextInput[Any](
            label="Personalization code (--p)",
            required=False,
            max_length=40,
            default=user.personalize or "",
        )
        for item in (self.stylize, self.suffix, self.code):
            self.add_item(item)

    async def on_submit(self, interaction: Interaction) -> None:
        stylize = self.stylize.value.strip()
        if stylize and not stylize.isdigit():
            await interaction.response.send_message(
                say("settings.bad", why="stylize is a whole number from 0 to 1000"), ephemeral=True
            )
            return
        code = self.code.value.strip().removeprefix("--p").strip()
        await self.panel.change(
            interaction,
            stylize=int(stylize) if stylize else None,
            suffix=self.suffix.value,
            personalize=code or None,
        )
