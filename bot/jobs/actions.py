"""Button presses: strict checks, one claim per button, then `/mj/submit/action`.

The claim row is the lock: a double click or a second user loses the INSERT and gets
"already requested"; a press the upstream refuses releases the claim so it can be retried.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.cometapi.buttons import ButtonInfo, ButtonKind, classify
from bot.cometapi.models import Button
from bot.db.records import JobRecord, JobStatus
from bot.errors import Refused
from bot.jobs import submits
from bot.jobs.events import Requester
from bot.jobs.service import JobService


@dataclass(frozen=True, slots=True)
class PressInput:
    """What the user added to a press: an edited prompt (remix, zoom, describe), a mask."""

    prompt: str | None = None
    mask_data_url: str | None = None
    remix: bool = False


class ActionService:
    def __init__(self, jobs: JobService) -> None:
        self.jobs = jobs
        self.db = jobs.db

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
        if not await self.db.claims.claim(job_id, index, req.user_id):
            raise Refused("button.claimed")
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
            await self.db.claims.release(job_id, index)
            raise
        assert parent.task_id is not None
        submit = submits.action(
            parent.task_id, button.custom_id, parent.mode, self.jobs.config, remix=remix
        )
        try:
            child = await self.jobs.launch(child, submit)
        except Refused as exc:
            await self.db.claims.release(job_id, index)
            if exc.key == "button.refused":
                raise Refused("button.refused", label=info.accessible_label) from exc
            raise
        await self.db.claims.set_child(job_id, index, child.id)
        return child
