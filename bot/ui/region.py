"""Vary (Region) in Discord: the chooser, painting cells, uploading a mask (the rules and the
paid submit are in bot/jobs/region.py).

The 🖌️ button opens an ephemeral chooser. "Paint here" opens an ephemeral cell editor whose
every change re-renders the preview in place (type-7 update); "Upload a mask" opens a modal
whose mask is shown for confirmation. Nothing is charged before Continue's modal is submitted
or Confirm is pressed.

The editor has two levels (bot/imaging/paint.py): coarse cells on the whole image, and "Refine
<cell>" in the menu for that cell's 3 x 3 sub-cells. Its whole state (selection, pending
Grow/Shrink steps, the cell being refined) is stored in the session after every change.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.db.records import JobRecord, RegionSession
from bot.errors import Refused
from bot.imaging import (
    PRESETS,
    ImageRejected,
    PaintState,
    paint_grid,
    render_mask_preview,
    render_region_preview,
    render_zoom_preview,
)
from bot.imaging.paint import stored_selection
from bot.jobs.events import Requester
from bot.jobs.region import MAX_UPLOAD, default_prompt, image_key
from bot.messages import say
from bot.ui.clicks import requester, tell
from bot.ui.ids import ButtonRef, RegionRef
from bot.ui.region_view import (
    WHOLE,
    ZOOM_PREFIX,
    RegionPromptModal,
    UploadModal,
    chooser_view,
    confirm_view,
    editor_view,
)
from bot.ui.render import NO_PINGS, job_embed

if TYPE_CHECKING:
    from discord.types.webhook import Webhook as WebhookPayload
    from PIL import Image

    from bot.app import MJBot

log = logging.getLogger(__name__)
# Answer a click within this (of Discord's 3 s) or defer first: a cold source image is a download.
QUICK = 1.5
EDITS: dict[str, Callable[[PaintState], PaintState]] = {
    "inv": PaintState.invert,
    "clr": PaintState.clear,
    "grow": PaintState.grow,
    "shrink": PaintState.shrink,
}
_MENU_VALUE = re.compile(rf"{WHOLE}|{ZOOM_PREFIX}(?:0|[1-9][0-9]?)")


def editor_state(session: RegionSession, size: tuple[int, int]) -> PaintState:
    """The stored editor state, or an empty one on the grid for this image's aspect ratio (a
    stored state that is unreadable or of another grid is dropped)."""
    grid = paint_grid(*size)
    if session.selection:
        try:
            return PaintState.from_str(session.selection, grid)
        except ValueError:
            pass
    return PaintState.new(grid)


class RegionUI:
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    async def open(self, interaction: discord.Interaction[MJBot], ref: ButtonRef) -> None:
        """The 🖌️ Vary (Region) button: a new session and the chooser (raises Refused)."""
        session = await self.bot.region.open(ref.job_id, ref.index, requester(interaction))
        link = await self.bot.region.link(session)
        await interaction.response.send_message(
            say("region.choose"),
            view=chooser_view(session.id, link),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    async def on_button(
        self, interaction: discord.Interaction[MJBot], ref: RegionRef, label: str | None = None
    ) -> None:
        """A control of the chooser, editor or confirmation; `label` is the pressed button's
        label as the message showed it (a cell button of an outdated view is not applied)."""
        try:
            if ref.op == "paint":
                await self._paint(interaction, ref.session_id)
            elif ref.op == "upload":
                session, job = await self.bot.region.session(ref.session_id, interaction.user.id)
                prefill = default_prompt(session, job)
                await interaction.response.send_modal(UploadModal(session, prefill))
            elif ref.op == "go":
                await self._continue(interaction, ref.session_id)
            elif ref.op == "ok":
                await self._confirm(interaction, ref.session_id)
            elif ref.op == "no":
                await self.bot.region.unstage(ref.session_id, interaction.user.id)
                await interaction.response.edit_message(
                    content=say("region.cancelled"), attachments=[], view=None
                )
            elif ref.op.startswith("pre:"):
                value = ref.op[4:]
                await self._update(interaction, ref.session_id, lambda s: _menu(s, value))
            elif ref.op in EDITS:
                await self._update(interaction, ref.session_id, EDITS[ref.op])
            else:  # "c<n>": the template allows nothing else
                index = int(ref.op[1:])
                await self._update(interaction, ref.session_id, lambda s: _press(s, index, label))
        except Refused as exc:
            await _say(interaction, say(exc.key, **exc.fields))
        except Exception:
            log.exception("Vary (Region) %s of session %s failed", ref.op, ref.session_id)
            await _say(interaction, say("internal"))

    async def on_preset(
        self, interaction: discord.Interaction[MJBot], session_id: int, preset: str
    ) -> None:
        if preset not in PRESETS and not _MENU_VALUE.fullmatch(preset):
            await _say(interaction, say("button.expired"))
            return
        await self.on_button(interaction, RegionRef(session_id, f"pre:{preset}"))

    # -- painting -----------------------------------------------------------------------

    async def _paint(self, interaction: discord.Interaction[MJBot], session_id: int) -> None:
        session, _ = await self.bot.region.session(session_id, interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        image = await self.bot.region.source(session)
        state = editor_state(session, image.size)
        await interaction.edit_original_response(**await self._editor(session, image, state))

    async def _update(
        self,
        interaction: discord.Interaction[MJBot],
        session_id: int,
        change: Callable[[PaintState], PaintState],
    ) -> None:
        """Apply one edit to the stored state and re-render the editor in place."""
        lock = self._locks.setdefault(session_id, asyncio.Lock())
        async with lock:  # two quick clicks must not both read the old selection
            session, _ = await self.bot.region.session(session_id, interaction.user.id)

            async def work() -> dict[str, Any]:
                image = await self.bot.region.source(session)
                state = change(editor_state(session, image.size))
                await self.bot.region.save_selection(session_id, interaction.user.id, state)
                return await self._editor(session, image, state)

            await _update_in_place(interaction, work())

    async def _editor(
        self, session: RegionSession, image: Image.Image, state: PaintState
    ) -> dict[str, Any]:
        key = image_key(session)
        cells = ", ".join(state.labels()) or say("region.paint_none")
        if state.zoom is None:
            preview = await asyncio.to_thread(
                render_region_preview, image, state.selection, key=key, grid=state.coarse
            )
            content = say("region.paint", cells=cells)
        else:
            preview = await asyncio.to_thread(render_zoom_preview, image, state, key=key)
            cell = state.coarse.label(state.zoom)
            content = say("region.paint_zoom", cell=cell, cells=cells)
        return {
            "content": content,
            "attachments": [discord.File(io.BytesIO(preview), filename="region.webp")],
            "view": editor_view(session.id, state),
        }

    async def _continue(self, interaction: discord.Interaction[MJBot], session_id: int) -> None:
        # No image here (a modal must be the first answer): the stored cells say enough.
        session, job = await self.bot.region.session(session_id, interaction.user.id)
        try:
            selection = stored_selection(session.selection)
        except ValueError:
            selection = None
        if selection is None or selection.is_empty:
            raise Refused("region.empty")
        if selection.is_full:
            raise Refused("edit.full" if session.is_edit else "region.full")
        prefill = default_prompt(session, job)
        await interaction.response.send_modal(RegionPromptModal(session, prefill))

    async def submit_painted(
        self, interaction: discord.Interaction[MJBot], session_id: int, prompt: str
    ) -> None:
        await self._submit(
            interaction,
            lambda req: self.bot.region.submit_selection(session_id, req, prompt),
        )

    # -- uploading ----------------------------------------------------------------------

    async def on_upload(
        self,
        interaction: discord.Interaction[MJBot],
        session_id: int,
        attachment: discord.Attachment | None,
        prompt: str,
    ) -> None:
        """Read the file now (its URL expires), derive the mask, show it for confirmation."""
        try:
            session, _ = await self.bot.region.session(session_id, interaction.user.id)
            if attachment is None:
                raise Refused("mask.not_an_image")
            if attachment.size > MAX_UPLOAD:
                raise ImageRejected("too_large_bytes", f"{attachment.size} bytes")
            await interaction.response.defer(ephemeral=True, thinking=True)
            data = await _read(attachment)
            image, mask = await self.bot.region.stage_upload(
                session_id, interaction.user.id, data, prompt
            )
            preview = await asyncio.to_thread(
                render_mask_preview, image, mask, key=image_key(session)
            )
        except Refused as exc:
            await _say(interaction, say(exc.key, **exc.fields))
            return
        except ImageRejected as exc:
            await _say(interaction, _image_sentence(exc, attachment))
            return
        except Exception:
            log.exception("Vary (Region) upload to session %s failed", session_id)
            await _say(interaction, say("internal"))
            return
        await interaction.edit_original_response(
            content=say("region.confirm"),
            attachments=[discord.File(io.BytesIO(preview), filename="mask.webp")],
            view=confirm_view(session.id),
        )

    async def _confirm(self, interaction: discord.Interaction[MJBot], session_id: int) -> None:
        await self._submit(interaction, lambda req: self.bot.region.submit_staged(session_id, req))

    # -- the paid step and the child's message -------------------------------------------

    async def _submit(
        self,
        interaction: discord.Interaction[MJBot],
        start: Callable[[Requester], Awaitable[JobRecord]],
    ) -> None:
        """Defer (an upstream round trip follows), submit, then close the editor message."""
        await interaction.response.defer()  # type 6: the editor message is edited after
        try:
            job = await start(requester(interaction))
        except Refused as exc:
            await _say(interaction, say(exc.key, **exc.fields))
            return
        except Exception:
            log.exception("Vary (Region) submit failed")
            await _say(interaction, say("internal"))
            return
        started = "region.started"
        if job.kind == "edits":
            started = "edit.started_private" if job.private else "edit.started"
        await interaction.edit_original_response(content=say(started), attachments=[], view=None)

    async def post_child(self, child: JobRecord, session: RegionSession) -> None:
        """RegionService.on_child: the new job's message, replying to the upscaled image's,
        whichever way (Discord or the web editor) submitted it. Never raises: the job runs."""
        try:
            with self.bot.presenter.posting(child.id):
                await self._post_child(child, session)
        except Exception:
            log.exception("job %s: posting the Vary (Region) message failed", child.id)

    async def _post_child(self, child: JobRecord, session: RegionSession) -> None:
        embed = job_embed(child)
        msg: discord.Message
        if child.private and child.interaction_token:
            # An application webhook, like Interaction.followup: only those send ephemerally.
            payload: WebhookPayload = {
                "id": self.bot.application_id or 0,
                "type": 3,
                "token": child.interaction_token,
            }
            hook = discord.Webhook.from_state(data=payload, state=self.bot._connection)
            msg = await hook.send(embed=embed, ephemeral=True, wait=True, allowed_mentions=NO_PINGS)
        elif child.private:  # from the web: no interaction to answer privately in
            user = await self.bot.fetch_user(child.user_id)
            msg = await user.send(embed=embed, allowed_mentions=NO_PINGS)
        else:
            parent = await self.bot.db.jobs.get(session.job_id) if session.job_id else None
            channel = self.bot.get_partial_messageable(child.channel_id)
            reference = None
            if parent is not None and parent.message_id is not None:
                reference = channel.get_partial_message(parent.message_id).to_reference(
                    fail_if_not_exists=False
                )
            kwargs: dict[str, Any] = {"reference": reference} if reference else {}
            msg = await channel.send(embed=embed, allowed_mentions=NO_PINGS, **kwargs)
        await self.bot.presenter.adopt(child, msg)
        if session.job_id is not None:
            await self.bot.presenter.refresh(session.job_id)  # 🖌️ now shows as pressed


def _press(state: PaintState, index: int, label: str | None) -> PaintState:
    buttons = state.buttons()
    if index >= len(buttons):
        raise Refused("region.session_gone")  # a button of no view of this grid: a forged id
    if label is not None and buttons[index].label != label:
        return state  # an outdated editor message (another view): show the current one
    return state.press(index)


def _menu(state: PaintState, value: str) -> PaintState:
    """A choice in the editor's menu: a shape, "whole" or "z<coarse cell index>"."""
    if value in PRESETS:
        return state.preset(value)
    if value == WHOLE:
        return state.zoom_to(None)
    cells = list(state.coarse.cells())
    index = int(value.removeprefix(ZOOM_PREFIX))
    if index >= len(cells):
        raise Refused("button.expired")  # a menu of another grid
    return state.zoom_to(cells[index])


def _image_sentence(exc: ImageRejected, attachment: discord.Attachment | None) -> str:
    if exc.reason_code == "not_an_image":
        return say("mask.not_an_image")
    name = attachment.filename if attachment is not None else "?"
    return say("image.rejected", name=name, why=say(f"image.{exc.reason_code}"))


async def _read(attachment: discord.Attachment) -> bytes:
    try:
        data = await attachment.read()
    except discord.HTTPException as exc:
        raise Refused("region.read_failed") from exc
    if len(data) > MAX_UPLOAD:  # the declared size lied
        raise ImageRejected("too_large_bytes", f"{len(data)} bytes")
    return data


async def _update_in_place(
    interaction: discord.Interaction[MJBot], work: Awaitable[dict[str, Any]]
) -> None:
    """A type-7 update when the work is quick; otherwise defer (type 6) and edit after."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=QUICK)
    if not done:
        await interaction.response.defer()
    fields = await task
    if interaction.response.is_done():
        await interaction.edit_original_response(**fields)
    else:
        await interaction.response.edit_message(**fields)


async def _say(interaction: discord.Interaction[MJBot], text: str) -> None:
    """One sentence: into the "thinking…" message when there is one (it would spin forever),
    else as an ephemeral message."""
    if interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
        await interaction.edit_original_response(content=text, attachments=[], view=None)
    else:
        await tell(interaction, text)
