"""The Vary (Region) components: chooser, cell editor, upload confirmation and their modals.

Every control is a persistent DynamicItem whose custom_id carries only the session id and an
operation (`mj:v1:r:<session>:<op>`); the selection, the view and the staged mask live in the
database, so a restart loses nothing. Modals are in memory (discord-notes.md) and charge
nothing until submitted: a modal closed without submitting leaves no trace upstream.

The cell editor (two levels, bot/imaging/paint.py) always fits a classic message's 5 action
rows: up to 3 rows of cell buttons (at most 5 x 3 coarse cells, or the 3 x 3 sub-cells of the
cell being refined), the tool row (Invert, Clear, Grow, Shrink, Continue) and the menu (shapes,
"Refine <cell>" for each other coarse cell, "Whole image" while refining: at most 22 options).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.db.records import RegionSession
from bot.imaging import PRESETS, SPLIT, PaintState
from bot.messages import say
from bot.ui.ids import REGION_BUTTON_TEMPLATE, REGION_SELECT_TEMPLATE, RegionRef

if TYPE_CHECKING:
    from bot.app import MJBot

MODAL_TIMEOUT = 900
Style = discord.ButtonStyle


class RegionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=REGION_BUTTON_TEMPLATE):
    def __init__(self, ref: RegionRef, button: discord.ui.Button[Any] | None = None) -> None:
        super().__init__(button or discord.ui.Button(label="…", custom_id=ref.custom_id))
        self.ref = ref

    @classmethod
    def build(
        cls, ref: RegionRef, label: str, *, row: int, style: Style = Style.secondary
    ) -> RegionButton:
        return cls(
            ref, discord.ui.Button(label=label, style=style, custom_id=ref.custom_id, row=row)
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RegionButton:
        ref = RegionRef(int(match["session"]), match["op"])
        return cls(ref, item if isinstance(item, discord.ui.Button) else None)

    async def callback(self, interaction: discord.Interaction[MJBot]) -> None:  # type: ignore[override]
        label = self.item.label if isinstance(self.item, discord.ui.Button) else None
        await interaction.client.region_ui.on_button(interaction, self.ref, label)


class RegionPresetSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]], template=REGION_SELECT_TEMPLATE
):
    def __init__(self, session_id: int, select: discord.ui.Select[Any] | None = None) -> None:
        custom_id = RegionRef(session_id, "pre").custom_id
        super().__init__(select or discord.ui.Select(custom_id=custom_id, options=_presets()))
        self.session_id = session_id

    @classmethod
    def build(cls, session_id: int, state: PaintState, *, row: int) -> RegionPresetSelect:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=RegionRef(session_id, "pre").custom_id,
            placeholder=say("region.preset_placeholder"),
            options=_menu(state),
            row=row,
        )
        return cls(session_id, select)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RegionPresetSelect:
        return cls(int(match["session"]), item if isinstance(item, discord.ui.Select) else None)

    async def callback(self, interaction: discord.Interaction[MJBot]) -> None:  # type: ignore[override]
        values = self.item.values
        preset = values[0] if values else ""
        await interaction.client.region_ui.on_preset(interaction, self.session_id, preset)


def _presets() -> list[discord.SelectOption]:
    return [discord.SelectOption(label=say(f"region.preset.{p}"), value=p) for p in PRESETS]


#: The menu's values besides the shapes: "whole" (back to the whole image), "z<n>" (refine
#: coarse cell n, in button order).
WHOLE = "whole"
ZOOM_PREFIX = "z"


def _menu(state: PaintState) -> list[discord.SelectOption]:
    options = []
    if state.zoom is not None:
        options.append(discord.SelectOption(label=say("region.zoom_out"), value=WHOLE))
    options += _presets()
    for index, cell in enumerate(state.coarse.cells()):
        if cell != state.zoom:
            label = say("region.zoom_in", cell=state.coarse.label(cell))
            options.append(discord.SelectOption(label=label, value=f"{ZOOM_PREFIX}{index}"))
    return options


def chooser_view(session_id: int, link: str | None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    paint = RegionRef(session_id, "paint")
    view.add_item(RegionButton.build(paint, say("region.way_paint"), row=0, style=Style.primary))
    upload = RegionRef(session_id, "upload")
    view.add_item(RegionButton.build(upload, say("region.way_upload"), row=0))
    if link is not None:
        view.add_item(discord.ui.Button(label=say("region.way_web"), url=link, row=0))
    return view


_STYLES = {"all": Style.primary, "some": Style.success, "none": Style.secondary}


def editor_view(session_id: int, state: PaintState) -> discord.ui.View:
    """One button per cell of the current view, laid out like the cells (blue: selected,
    green: partly selected); then the controls and the menu."""
    view = discord.ui.View(timeout=None)
    cols = state.coarse.cols if state.zoom is None else SPLIT
    buttons = state.buttons()
    for button in buttons:
        ref = RegionRef(session_id, f"c{button.index}")
        style = _STYLES[button.mark]
        view.add_item(RegionButton.build(ref, button.label, row=button.index // cols, style=style))
    controls = -(-len(buttons) // cols)
    for op, key in (("inv", "invert"), ("clr", "clear"), ("grow", "grow"), ("shrink", "shrink")):
        view.add_item(
            RegionButton.build(RegionRef(session_id, op), say(f"region.{key}"), row=controls)
        )
    go = RegionRef(session_id, "go")
    view.add_item(RegionButton.build(go, say("region.continue"), row=controls, style=Style.success))
    view.add_item(RegionPresetSelect.build(session_id, state, row=controls + 1))
    return view


def confirm_view(session_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    ok, no = RegionRef(session_id, "ok"), RegionRef(session_id, "no")
    view.add_item(RegionButton.build(ok, say("region.confirm_button"), row=0, style=Style.success))
    view.add_item(RegionButton.build(no, say("region.cancel_button"), row=0))
    return view


def _prompt_input(session: RegionSession, prefill: str) -> discord.ui.Label[Any]:
    text: discord.ui.TextInput[Any] = discord.ui.TextInput(
        custom_id="prompt",
        style=discord.TextStyle.paragraph,
        default=prefill[:4000] or None,
        max_length=4000,
        # Vary (Region): empty = the image's own prompt (mj-protocol.md §5); /edit has none.
        required=session.is_edit,
    )
    hint = "edit.prompt_hint" if session.is_edit else "region.prompt_hint"
    return discord.ui.Label(text=say("modal.prompt_label"), description=say(hint), component=text)


def _prompt_of(label: discord.ui.Label[Any]) -> str:
    component = label.component
    return component.value if isinstance(component, discord.ui.TextInput) else ""


class RegionPromptModal(discord.ui.Modal):
    """Continue from the cell editor: the prompt, then the paid submit."""

    def __init__(self, session: RegionSession, prefill: str) -> None:
        super().__init__(
            title=say("edit.modal_title" if session.is_edit else "region.modal_title"),
            timeout=MODAL_TIMEOUT,
            custom_id=f"mjx:m:region:{session.id}:{id(self):x}"[:100],
        )
        self.session_id = session.id
        self.prompt = _prompt_input(session, prefill)
        self.add_item(self.prompt)

    async def on_submit(self, interaction: discord.Interaction[MJBot]) -> None:  # type: ignore[override]
        prompt = _prompt_of(self.prompt)
        await interaction.client.region_ui.submit_painted(interaction, self.session_id, prompt)


class UploadModal(discord.ui.Modal):
    """A mask or painted copy, and the prompt; the mask is shown for confirmation next."""

    def __init__(self, session: RegionSession, prefill: str) -> None:
        super().__init__(
            title=say("edit.upload_title" if session.is_edit else "region.upload_title"),
            timeout=MODAL_TIMEOUT,
            custom_id=f"mjx:m:upload:{session.id}:{id(self):x}"[:100],
        )
        self.session_id = session.id
        self.file: discord.ui.FileUpload[Any] = discord.ui.FileUpload(
            custom_id="mask", required=True, min_values=1, max_values=1
        )
        self.add_item(
            discord.ui.Label(
                text=say("region.upload_label"),
                description=say("region.upload_hint"),
                component=self.file,
            )
        )
        self.prompt = _prompt_input(session, prefill)
        self.add_item(self.prompt)

    async def on_submit(self, interaction: discord.Interaction[MJBot]) -> None:  # type: ignore[override]
        files = self.file.values
        await interaction.client.region_ui.on_upload(
            interaction, self.session_id, files[0] if files else None, _prompt_of(self.prompt)
        )
