"""Button presses: strict checks, the button's claim, then `/mj/submit/action`.

As in Midjourney, V1–V4, 🔄, Vary, Zoom, Pan and Animate may be pressed again, each press a
new paid job; U1–U4 make one upscale per image, and pressing one again points to it. The
claim row is the lock: a double click (the same member within DOUBLE_CLICK seconds, or while
the first press is still being submitted) makes one job, and the second press is told where
it went. A press the upstream refuses puts the claim back as it was, so it can be retried.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.cometapi.buttons import ButtonInfo, ButtonKind, classify
from bot.cometapi.models import Button
from bot.db.records import ClaimRecord, JobRecord, JobStatus
from bot.errors import Refused
from bot.jobs import submits
from bot.jobs.events import Requester
from bot.jobs.service import JobService

DOUBLE_CLICK = 5.0  # seconds: the same member's second press of a button is the same press
ONCE = frozenset({ButtonKind.UPSAMPLE, ButtonKind.VIDEO_UPSCALE})  # one result per image


def job_link(job: JobRecord) -> str | None:
    """Where a job's message is, as a Discord link (None while it has none)."""
    if job.message_id is None:
        return None
    return f"https://discord.com/channels/{job.guild_id or '@me'}/{job.channel_id}/{job.message_id}"


@dataclass(frozen=True, slots=True)
class PressInput:
    """What the user added to a press: an edited prompt (remix, zoom, describe), a mask."""

    prompt: str | None = None
    mask_data_url: str | None = None
    remix: bool = False


class ActionService:
    def __init__(self, jobs: JobService, double_click: float = DOUBLE_CLICK) -> None:
        self.jobs = jobs
        self.db = jobs.db
        self.double_click = double_click

    async def button(self, job_id: int, index: int) -> tuple[JobRecord, Button, ButtonInfo]:
        """The job and button behind a click, or Refused("button.expired")."""
        job = await self.db.jobs.get(job_id)
        if job is None or job.status != JobStatus.SUCCEEDED or job.task_id is None:
            raise Refused("button.expired")
        if not 0 <= index < len(job.buttons):
            raise Refused("button.expired")
        button = Button.from_dict(job.buttons[index])
        return job, button, classify(button)

    async def check_policy(self, job: JobRecord, req: Requester) -> None:
        if req.user_id == job.user_id:
            return
        if job.guild_id is None or req.guild_id != job.guild_id or job.private:
            raise Refused("button.denied")
        policy = (await self.db.guilds.get(job.guild_id)).click_policy
        if policy == "anyone" or (policy == "owner_and_mods" and req.is_moderator):
            return
        raise Refused("button.denied")

    async def press(
        self, job_id: int, index: int, req: Requester, extra: PressInput | None = None
    ) -> JobRecord:
        """Start the child job of a button; raises Refused with nothing charged."""
        extra = extra or PressInput()
        parent, button, info = await self.button(job_id, index)
        await self.check_policy(parent, req)
        if info.kind == ButtonKind.INPAINT and not extra.mask_data_url:
            raise Refused("region.session_gone")  # only the region editor sends a mask
        won, earlier = await self.db.claims.press(
            job_id, index, req.user_id, again=info.kind not in ONCE, window=self.double_click
        )
        if not won:
            raise await self._pressed_before(info, earlier)
        remix = extra.remix and info.remixable
        typed = extra.prompt is not None
        prompt = extra.prompt if typed else (parent.final_prompt or parent.prompt)
        meta: dict[str, object] = {"label": info.accessible_label}
        if extra.mask_data_url:
            meta.update(modal_mask=extra.mask_data_url, region=True)
        try:
            child = await self.jobs.reserve(
                req,
                kind="action",
                prompt=prompt or "",
                typed=typed,
                mode=parent.mode,
                private=parent.private,
                parent=parent,
                button_index=index,
                action=info.kind.value,
                meta=meta,
            )
        except BaseException:  # refused, or the database failed: the button must work again
            await self.db.claims.restore(job_id, index, earlier)
            raise
        assert parent.task_id is not None
        submit = submits.action(
            parent.task_id, button.custom_id, parent.mode, self.jobs.config, remix=remix
        )
        try:
            child = await self.jobs.launch(child, submit)
        except Refused as exc:
            await self.db.claims.restore(job_id, index, earlier)
            if exc.key == "button.refused":
                raise Refused("button.refused", label=info.accessible_label) from exc
            raise
        await self.db.claims.set_child(job_id, index, child.id)
        return child

    async def _pressed_before(self, info: ButtonInfo, earlier: ClaimRecord | None) -> Refused:
        """Where the earlier press went (its job's message), or that it is on its way."""
        child = (
            await self.db.jobs.get(earlier.child_job_id)
            if earlier and earlier.child_job_id
            else None
        )
        link = job_link(child) if child else None
        if link is None:
            return Refused("button.on_its_way")
        key = "button.upscaled" if info.kind in ONCE else "button.double_click"
        return Refused(key, link=link)
