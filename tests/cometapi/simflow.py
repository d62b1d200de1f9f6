"""Helpers for the loopback tests: polling with a deadline, picking buttons, making images."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Callable

from PIL import Image, ImageDraw

from bot.cometapi.buttons import ButtonKind, classify
from bot.cometapi.client import CometAPIClient
from bot.cometapi.models import Button, Task, TaskStatus

POLL_INTERVAL = 0.01
DEADLINE = 10.0


async def poll(
    client: CometAPIClient,
    task_id: str,
    done: Callable[[Task], bool],
    *,
    within: float = DEADLINE,
    use_list: bool = True,
) -> Task:
    """Poll until `done(task)`; list-by-condition by default, as the bot's tracker does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    last: Task | None = None
    while True:
        if use_list:
            found = await client.list_by_condition([task_id])
            last = found[0] if found else None
        else:
            last = await client.fetch(task_id)
        if last is not None and done(last):
            return last
        if loop.time() > deadline:
            raise AssertionError(f"task {task_id} never got there; last seen: {last}")
        await asyncio.sleep(POLL_INTERVAL)


async def finished(client: CometAPIClient, task_id: str, *, use_list: bool = True) -> Task:
    task = await poll(client, task_id, lambda t: t.status.is_terminal, use_list=use_list)
    assert task.status is TaskStatus.SUCCESS, (task.status, task.fail_reason)
    return task


def pick(task: Task, kind: ButtonKind, index: int | None = None) -> Button:
    for candidate in task.buttons:
        info = classify(candidate)
        if info.kind is kind and (index is None or info.index == index):
            return candidate
    raise AssertionError(f"no {kind} button among {[b.custom_id for b in task.buttons]}")


def png_data_url(size: tuple[int, int] = (64, 48), color: str = "teal") -> str:
    image = Image.new("RGB", size, color)
    ImageDraw.Draw(image).ellipse((4, 4, size[0] - 4, size[1] - 4), fill="orange")
    return _data_url(image)


def region_mask(size: tuple[int, int]) -> str:
    """Opaque pure black/white PNG: white (regenerate) in the middle, black (keep) around."""
    width, height = size
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle((width // 4, height // 4, width * 3 // 4, height * 3 // 4), 255)
    return _data_url(mask)


def _data_url(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size
