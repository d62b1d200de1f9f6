"""What is sent upstream for each kind of job, and what a refusal means to a user.

Each builder returns a `Submit`: given a client and the job's `state` (its id), make the one
upstream call. JobService.launch runs it once and never retries a sent submit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.cometapi import errors as api
from bot.cometapi.client import CometAPIClient
from bot.cometapi.models import SpeedMode, SubmitResult
from bot.errors import Refused
from bot.jobs.events import JobConfig
from bot.jobs.prompts import bot_type_for
from bot.messages import upstream_reason

Submit = Callable[[CometAPIClient, str], Awaitable[SubmitResult]]


def imagine(prompt: str, images: Sequence[str], mode: str, config: JobConfig) -> Submit:
    async def submit(client: CometAPIClient, state: str) -> SubmitResult:
        return await client.imagine(
            prompt,
            bot_type=bot_type_for(prompt),
            base64_array=list(images) or None,
            mode=SpeedMode(mode),
            state=state,
            notify_hook=config.notify_hook,
        )

    return submit


def describe(image: str, mode: str, config: JobConfig, *, link: bool = False) -> Submit:
    """`image` is a data URL, or with `link` a public http(s) URL upstream fetches itself."""

    async def submit(client: CometAPIClient, state: str) -> SubmitResult:
        source = {"link": image} if link else {"base64": image}
        return await client.describe(
            **source, mode=SpeedMode(mode), state=state, notify_hook=config.notify_hook
        )

    return submit


def blend(images: Sequence[str], dimensions: str, mode: str, config: JobConfig) -> Submit:
    async def submit(client: CometAPIClient, state: str) -> SubmitResult:
        return await client.blend(
            list(images),
            dimensions=dimensions,
            mode=SpeedMode(mode),
            state=state,
            notify_hook=config.notify_hook,
        )

    return submit


def shorten(prompt: str, mode: str, config: JobConfig) -> Submit:
    async def submit(client: CometAPIClient, state: str) -> SubmitResult:
        return await client.shorten(
            prompt,
            bot_type=bot_type_for(prompt),
            mode=SpeedMode(mode),
            state=state,
            notify_hook=config.notify_hook,
        )

    return submit


def video(prompt: str, image: str, motion: str, mode: str, config: JobConfig) -> Submit:
    async def submit(client: CometAPIClient, state: str) -> SubmitResult:
        return await client.video(
            prompt=prompt,
            image=image,
            motion=motion,
            mode=SpeedMode(mode),
            state=state,
            notify_hook=config.notify_hook,
        )

    return submit


def edits(prompt: str, image: str, mode: str, config: JobConfig) -> Submit:
    """/edit: the area to redraw is transparent in `image` (mj-protocol.md: no mask field)."""

    async def submit(client: CometAPIClient, state: str) -> SubmitResult:
        return await client.edits(
            prompt, image, mode=SpeedMode(mode), state=state, notify_hook=config.notify_hook
        )

    return submit


def action(task_id: str, custom_id: str, mode: str, config: JobConfig, *, remix: bool) -> Submit:
    async def submit(client: CometAPIClient, state: str) -> SubmitResult:
        return await client.action(
            task_id,
            custom_id,
            enable_remix=remix,
            state=state,
            mode=SpeedMode(mode),
            notify_hook=config.notify_hook,
        )

    return submit


def refusal_for(exc: api.CometAPIError) -> Refused:
    """The sentence for an upstream error on a submit that was not accepted."""
    if isinstance(exc, api.BannedPrompt):
        return Refused("upstream.banned", word=exc.word or "?")
    if isinstance(exc, api.QueueFull | api.RateLimited):
        return Refused("upstream.busy")
    if isinstance(exc, api.AuthError):
        return Refused("upstream.auth")
    if isinstance(exc, api.UnknownAction):
        return Refused("button.refused", label="this button")
    if isinstance(exc, api.APIConnectionError):
        return Refused("upstream.unreachable")
    text = ""
    if isinstance(exc, api.SubmitRejected | api.BadRequest):
        text = exc.description
    return Refused("upstream.rejected", description=upstream_reason(text))
