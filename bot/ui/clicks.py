"""What happens when someone clicks a job button (the Discord half; the rules are in
bot/jobs/actions.py)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import discord

from bot.cometapi.buttons import ButtonKind
from bot.cometapi.models import split_describe_prompts, split_shorten
from bot.db.records import JobRecord, JobStatus
from bot.errors import Refused
from bot.jobs.actions import PressInput
from bot.jobs.events import Requester
from bot.messages import say
from bot.ui import finding
from bot.ui.confirm import Batch, BatchConfirm, confirmation_text
from bot.ui.ids import ButtonRef
from bot.ui.modals import ImagineModal, PromptModal
from bot.ui.render import NO_PINGS, job_embed

if TYPE_CHECKING:
    from bot.app import MJBot

log = logging.getLogger(__name__)
TOKEN_LIFETIME = 15 * 60


def requester(interaction: discord.Interaction[Any]) -> Requester:
    member = interaction.user
    perms = getattr(member, "guild_permissions", None)
    is_mod = bool(perms and (perms.manage_messages or perms.manage_guild or perms.administrator))
    is_nsfw = getattr(interaction.channel, "is_nsfw", None)
    return Requester(
        user_id=member.id,
        channel_id=interaction.channel_id or 0,
        guild_id=interaction.guild_id,
        is_moderator=is_mod,
        role_ids=tuple(r.id for r in getattr(member, "roles", ())),
        channel_nsfw=bool(is_nsfw()) if callable(is_nsfw) else False,
        interaction_token=interaction.token,
        interaction_expires_at=time.time() + TOKEN_LIFETIME,
    )


async def tell(interaction: discord.Interaction[Any], text: str) -> None:
    """One ephemeral sentence, whether or not the interaction was answered already."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


async def refuse(
    interaction: discord.Interaction[Any], text: str, *, deferred_ephemeral: bool
) -> None:
    """A refusal after `defer`: the sentence only the user sees, never a public message
    (a public "thinking…" is removed rather than turned into the refusal)."""
    if deferred_ephemeral:
        await interaction.edit_original_response(content=text, allowed_mentions=NO_PINGS)
        return
    await interaction.delete_original_response()
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)


async def show_new_job(bot: MJBot, interaction: discord.Interaction[Any], job: JobRecord) -> None:
    """A new job's message is the (deferred) answer to the interaction that started it."""
    with bot.presenter.posting(job.id):
        message = await interaction.edit_original_response(
            embed=job_embed(job), allowed_mentions=NO_PINGS
        )
        await bot.presenter.adopt(job, message, response=True)


class ClickHandler:
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    async def expired(self, interaction: discord.Interaction[Any]) -> None:
        await tell(interaction, say("button.expired"))

    async def on_button(self, interaction: discord.Interaction[MJBot], ref: ButtonRef) -> None:
        try:
            await self._on_button(interaction, ref)
        except Exception:  # discord.py would only log it: the user must get an answer
            log.exception("click on %s failed", ref.custom_id)
            await tell(interaction, say("internal"))

    async def _on_button(self, interaction: discord.Interaction[MJBot], ref: ButtonRef) -> None:
        try:
            job, _button, info = await self.bot.actions.button(ref.job_id, ref.index)
            await self.bot.actions.check_policy(job, requester(interaction))
            if info.kind == ButtonKind.INPAINT:
                await self.bot.region_ui.open(interaction, ref)  # the chooser; charges nothing
                return
            if info.kind == ButtonKind.PIC_READER_ALL:  # the four prompts, after a confirmation
                await self._imagine_all(interaction, job)
                return
            modal = await self._modal_for(job, ref, info.kind, info.remixable, interaction)
        except Refused as exc:
            await tell(interaction, say(exc.key, **exc.fields))
            return
        if modal is not None:
            await interaction.response.send_modal(modal)
            return
        # Acknowledged by the button itself (a deferred update: it turns blue once pressed),
        # not by a private "On it" each time; a refusal still gets its sentence.
        await interaction.response.defer()
        await self.press(interaction, ref, PressInput())

    async def _modal_for(
        self,
        job: JobRecord,
        ref: ButtonRef,
        kind: ButtonKind,
        remixable: bool,
        interaction: discord.Interaction[MJBot],
    ) -> PromptModal | None:
        prompt = job.final_prompt or job.prompt
        if kind == ButtonKind.CUSTOM_ZOOM:
            base = " ".join(p for p in prompt.split("--zoom")[0].split())
            return PromptModal("zoom", ref, f"{base} --zoom 2")
        if kind == ButtonKind.PIC_READER:
            lines = split_describe_prompts(job.final_prompt or "")
            number = job.buttons[ref.index].get("customId", "").rsplit("::", 1)[-1]
            line = lines[int(number) - 1] if number.isdigit() and int(number) <= len(lines) else ""
            return PromptModal("describe", ref, line or prompt)
        if remixable and (await self.bot.db.users.get(interaction.user.id)).remix:
            return PromptModal("remix", ref, prompt)
        return None

    async def press(
        self, interaction: discord.Interaction[MJBot], ref: ButtonRef, extra: PressInput
    ) -> None:
        """Start the child job (after defer) and post its message under the parent."""
        try:
            child = await self.bot.actions.press(
                ref.job_id, ref.index, requester(interaction), extra
            )
        except Refused as exc:
            if exc.key == "button.refused":
                await self._mark_refused(ref)
                await self.bot.presenter.refresh(ref.job_id)
            await tell(interaction, say(exc.key, **exc.fields))
            return
        except Exception:
            log.exception("press of %s failed", ref.custom_id)
            await tell(interaction, say("internal"))
            return
        try:
            await self.post_job_message(child, interaction, reply_to=await self._parent(ref))
        except discord.HTTPException as exc:
            # The job runs and is paid: the presenter posts its result when it ends.
            log.warning("job %s: could not post its message (%s)", child.id, exc.code)
        await self.bot.presenter.refresh(ref.job_id)  # the pressed button turns blue

    async def _parent(self, ref: ButtonRef) -> discord.PartialMessage | None:
        """The message of the job whose button was pressed (the press may come from a form
        opened elsewhere, e.g. "Edit again" on a private message)."""
        parent = await self.bot.db.jobs.get(ref.job_id)
        if parent is None or parent.message_id is None or parent.private:
            return None
        channel = self.bot.get_partial_messageable(parent.channel_id)
        return channel.get_partial_message(parent.message_id)

    async def post_job_message(
        self,
        job: JobRecord,
        interaction: discord.Interaction[Any],
        reply_to: discord.Message | discord.PartialMessage | None,
    ) -> None:
        """The child job's own message, replying to its parent; private ones stay ephemeral."""
        embed = job_embed(job)
        with self.bot.presenter.posting(job.id):
            msg: discord.Message
            if job.private:
                msg = await interaction.followup.send(
                    embed=embed, ephemeral=True, wait=True, allowed_mentions=NO_PINGS
                )
            else:
                channel = self.bot.get_partial_messageable(job.channel_id)
                ref = reply_to.to_reference(fail_if_not_exists=False) if reply_to else None
                # A retry after a 5xx that Discord had already done returns this message, not
                # a second one; so does the presenter's post with this nonce if this post's
                # answer never arrives (bot/ui/finding.py).
                msg = await channel.send(
                    embed=embed,
                    reference=ref,  # type: ignore[arg-type]
                    allowed_mentions=NO_PINGS,
                    nonce=finding.press_nonce(job.id),
                )
            await self.bot.presenter.adopt(job, msg)

    async def retry(self, interaction: discord.Interaction[MJBot], job_id: int) -> None:
        """🔄 Try again: the same inputs as a new job (charged as new), in a new message."""
        req = requester(interaction)
        job = await self.bot.db.jobs.get(job_id)
        try:
            if job is None or not job.status.is_terminal or job.status == JobStatus.SUCCEEDED:
                raise Refused("button.expired")
            await self.bot.actions.check_policy(job, req)
        except Refused as exc:
            await tell(interaction, say(exc.key, **exc.fields))
            return
        await interaction.response.defer(ephemeral=job.private, thinking=True)
        try:
            if job.kind == "action" and job.parent_id is not None and job.button_index is not None:
                new = await self.bot.actions.press(job.parent_id, job.button_index, req)
            else:
                meta = {"retry_of": job.id, "attachment_limit": interaction.filesize_limit}
                new = await self.bot.jobs.imagine(
                    req, job.prompt, mode=job.mode, private=job.private, meta=meta
                )
        except Refused as exc:
            await refuse(interaction, say(exc.key, **exc.fields), deferred_ephemeral=job.private)
            return
        await show_new_job(self.bot, interaction, new)

    async def shortened(self, interaction: discord.Interaction[MJBot], job_id: int, n: int) -> None:
        """1️⃣–5️⃣ of a /shorten result: that prompt in a form, to edit and imagine."""
        job = await self.bot.db.jobs.get(job_id)
        prompts = split_shorten(job.final_prompt or "")[1] if job else []
        if job is None or not 1 <= n <= len(prompts):
            await tell(interaction, say("button.expired"))
            return
        try:
            await self.bot.actions.check_policy(job, requester(interaction))
        except Refused as exc:
            await tell(interaction, say(exc.key, **exc.fields))
            return
        await interaction.response.send_modal(ImagineModal(prompts[n - 1], say("shorten.title")))

    async def imagine_text(self, interaction: discord.Interaction[MJBot], prompt: str) -> None:
        """A prompt from a form becomes a new /imagine job, with its own message."""
        req = requester(interaction)
        mode = self.bot.settings.default_mode.value
        try:
            text = await self.bot.jobs.admit(req, mode=mode, prompt=prompt)
        except Refused as exc:
            await tell(
                interaction,
                say(exc.key, **exc.fields) + "\n" + say("refused.typed", text=prompt[:1500]),
            )
            return
        await interaction.response.defer(thinking=True)
        try:
            job = await self.bot.jobs.imagine(
                req,
                text or prompt,
                mode=mode,
                meta={"attachment_limit": interaction.filesize_limit},
            )
        except Refused as exc:
            await refuse(interaction, say(exc.key, **exc.fields), deferred_ephemeral=False)
            return
        await show_new_job(self.bot, interaction, job)

    async def _imagine_all(self, interaction: discord.Interaction[MJBot], job: JobRecord) -> None:
        prompts = split_describe_prompts(job.final_prompt or "")
        if not prompts:
            await tell(interaction, say("button.expired"))
            return
        batch = Batch(
            prompts=prompts,
            mode=job.mode,
            private=job.private,
            cost=self.bot.jobs.config.cost_of(job.mode),
            meta={"attachment_limit": interaction.filesize_limit},
        )
        await interaction.response.send_message(
            confirmation_text(batch),
            view=BatchConfirm(self.bot, requester(interaction), batch),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    async def _mark_refused(self, ref: ButtonRef) -> None:
        job = await self.bot.db.jobs.get(ref.job_id)
        if job is None:
            return
        refused = sorted({*job.meta.get("refused", ()), ref.index})
        await self.bot.db.jobs.merge_meta(job.id, {"refused": refused})
