"""How a job looks in Discord: one embed and its buttons, for every state of the job."""

from __future__ import annotations

import math
import re
from collections.abc import Set as AbstractSet

import discord

from bot.cometapi.buttons import classify
from bot.cometapi.models import Button, split_shorten
from bot.db.records import ChargeState, JobRecord, JobStatus
from bot.jobs.prompts import neutralise_mentions
from bot.messages import fail_reason, say
from bot.ui.ids import ButtonRef
from bot.ui.layout import layout_rows

BAR = 20
COLOURS = {
    JobStatus.SUCCEEDED: discord.Colour.green(),
    JobStatus.FAILED: discord.Colour.red(),
    JobStatus.TIMED_OUT: discord.Colour.red(),
}
NO_PINGS = discord.AllowedMentions.none()
RETRYABLE = (JobStatus.FAILED, JobStatus.TIMED_OUT)
RETRY_KINDS = ("imagine", "action")  # their inputs are kept; a describe's image is not


def progress_bar(percent: int) -> str:
    filled = max(0, min(BAR, round(percent * BAR / 100)))
    return "█" * filled + "░" * (BAR - filled) + f" {percent}%"


# A Midjourney account runs about three jobs at once (mj-protocol: "about 3 jobs at once");
# a job takes about this long in each mode, so the wait is a few rounds of that.
SLOTS = 3
TYPICAL_SECONDS = {"turbo": 25, "fast": 60, "relax": 300}


def queue_eta(job: JobRecord) -> str:
    """About when a queued job starts, from the tasks ahead of it upstream."""
    rounds = math.ceil((job.queue_position or 0) / SLOTS)
    seconds = rounds * TYPICAL_SECONDS.get(job.mode, 60)
    return f"{math.ceil(seconds / 60)} min" if seconds >= 60 else f"{seconds} s"


def status_line(job: JobRecord) -> str:
    if job.status == JobStatus.SUCCEEDED:
        seconds = round((job.finished_at or job.updated_at) - job.created_at)
        unusable = job.meta.get("result_unusable")
        if unusable:
            return say("job.result_unusable", reason=say(str(unusable)))
        if job.meta.get("result_link"):
            return say("job.result_link", seconds=seconds, url=job.meta["result_link"])
        if job.charge_state == ChargeState.REFUNDED:  # a late success after its refund
            return say("job.done_free", seconds=seconds)
        return say("job.done", seconds=seconds)
    if job.status in RETRYABLE:
        again = f"\n{say('job.retry_hint')}" if job.kind in RETRY_KINDS else ""
        return _failure(job) + again
    if job.status == JobStatus.RUNNING:
        return progress_bar(job.progress)
    if job.status == JobStatus.QUEUED and job.queue_position:
        return say("job.queued", ahead=job.queue_position, eta=queue_eta(job))
    if job.status == JobStatus.QUEUED:
        return say("job.starting")  # nothing ahead: not "queued"
    return say("job.waiting")


_FOOTER_JOB = re.compile(r"· job (\d{1,18})$")
WHAT = {
    "imagine": "Imagine",
    "describe": "Describe",
    "blend": "Blend",
    "shorten": "Shorten",
    "video": "Video",
    "edits": "Edit",
}


def what_it_is(job: JobRecord) -> str:
    """What a person calls the job: "Upscaled · Image #2", "Variations · Image #3"…"""
    label = str(job.meta.get("label") or "")
    if job.kind != "action":
        return WHAT.get(job.kind, job.kind.title())
    if len(label) == 2 and label[0] in "UV" and label[1].isdigit():
        done = "Upscaled" if label[0] == "U" else "Variations"
        return f"{done} · Image #{label[1]}"
    return label.replace("🔄", "").strip() or "Reroll"


def footer_text(job: JobRecord) -> str:
    """What it is, its speed, how long it took, and its number (for /show)."""
    parts = [what_it_is(job), job.mode]
    if job.status == JobStatus.SUCCEEDED and job.finished_at:
        parts.append(f"{round(job.finished_at - job.created_at)} s")
    return " · ".join([*parts, f"job {job.id}"])


def job_id_in_footer(text: str) -> int | None:
    """The job number a footer of `footer_text` ends with."""
    found = _FOOTER_JOB.search(text)
    return int(found.group(1)) if found else None


def _failure(job: JobRecord) -> str:
    notice = job.meta.get("notice_key")
    if notice:
        return say(str(notice))
    if job.status == JobStatus.TIMED_OUT:
        return say("job.timed_out")
    return say("job.failed", reason=fail_reason(job.fail_reason))


def _shortened(job: JobRecord) -> str:
    tokens, prompts = split_shorten(job.final_prompt or "")
    lines = [f"{say('shorten.tokens')} {tokens}"] if tokens else []
    lines += [f"{n}. {neutralise_mentions(p)}" for n, p in enumerate(prompts[:5], 1)]
    return "\n".join(lines)


def job_embed(job: JobRecord, *, image_url: str | None = None) -> discord.Embed:
    if job.kind == "shorten" and job.status == JobStatus.SUCCEEDED:
        embed = discord.Embed(
            title=neutralise_mentions(job.prompt)[:250],
            description=_shortened(job)[:4000] + f"\n\n{say('shorten.pick')}",
            colour=COLOURS[JobStatus.SUCCEEDED],
        )
        embed.set_footer(text=footer_text(job))
        return embed
    prompt = neutralise_mentions(job.final_prompt or job.prompt or "")
    if not prompt and job.kind == "describe":  # no prompt yet: say what is happening
        prompt = say("describe.running")
        image_url = image_url or job.meta.get("source_image")
    colour = COLOURS.get(job.status, discord.Colour.blurple())
    if job.meta.get("result_unusable"):  # finished upstream, but nothing to show: refunded
        colour = discord.Colour.orange()
    embed = discord.Embed(
        description=f"**{discord.utils.escape_markdown(prompt)[:3800]}**", colour=colour
    )
    embed.add_field(name="Status", value=status_line(job)[:1024], inline=False)
    embed.add_field(name="Asked by", value=f"<@{job.user_id}>", inline=True)
    embed.add_field(name="Mode", value=job.mode, inline=True)
    embed.set_footer(text=footer_text(job))
    if image_url:
        embed.set_image(url=image_url)
    return embed


def job_view(
    job: JobRecord,
    *,
    pressed: AbstractSet[int] = frozenset(),
    refused: AbstractSet[int] = frozenset(),
) -> discord.ui.View | None:
    """Real buttons for every button CometAPI returned; None while the job is not done."""
    from bot.ui.buttons import JobButton, RetryButton, ShortenButton

    if job.status in RETRYABLE and job.kind in RETRY_KINDS:
        view = discord.ui.View(timeout=None)
        view.add_item(RetryButton(job.id))
        return view
    if job.status == JobStatus.SUCCEEDED and job.kind == "shorten":
        _, prompts = split_shorten(job.final_prompt or "")
        view = discord.ui.View(timeout=None)
        for number in range(1, min(5, len(prompts)) + 1):
            view.add_item(ShortenButton(job.id, number))
        return view if prompts else None
    if job.status != JobStatus.SUCCEEDED or not job.buttons:
        return None
    buttons = [Button.from_dict(b) for b in job.buttons]
    infos = [classify(b) for b in buttons]
    view = discord.ui.View(timeout=None)
    for row, indexes in enumerate(layout_rows([i.row_group for i in infos])):
        for index in indexes:
            view.add_item(
                JobButton.build(
                    ButtonRef(job.id, index),
                    buttons[index],
                    infos[index],
                    row=row,
                    pressed=index in pressed,
                    refused=index in refused,
                )
            )
    return view
