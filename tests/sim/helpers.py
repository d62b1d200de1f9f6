"""Small helpers shared by the simulator tests (raw HTTP, never bot.cometapi)."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
from PIL import Image, ImageDraw

from bot.sim import Simulator

KEY = "sk-test"
AUTH = {"Authorization": f"Bearer {KEY}"}


async def post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = await client.post(path, json=body)
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


async def imagine(
    client: httpx.AsyncClient, sim: Simulator, prompt: str, **extra: Any
) -> dict[str, Any]:
    """Submit an imagine and wait for its SUCCESS; the finished task object."""
    env = await post(client, "/mj-fast/mj/submit/imagine", {"prompt": prompt, **extra})
    assert env["code"] == 1, env
    return await sim.wait_for_status(env["result"], "SUCCESS")


def find_button(task: dict[str, Any], *, label: str = "", id_part: str = "") -> str:
    for b in task["buttons"]:
        if (label and b["label"] == label) or (id_part and id_part in b["customId"]):
            custom_id: str = b["customId"]
            return custom_id
    raise AssertionError(f"no button {label or id_part} in {task['buttons']}")


async def press(
    client: httpx.AsyncClient, task: dict[str, Any], custom_id: str, **extra: Any
) -> dict[str, Any]:
    return await post(
        client, "/mj-fast/mj/submit/action", {"taskId": task["id"], "customId": custom_id, **extra}
    )


async def upscaled(client: httpx.AsyncClient, sim: Simulator, prompt: str) -> dict[str, Any]:
    grid = await imagine(client, sim, prompt)
    env = await press(client, grid, find_button(grid, label="U1"))
    return await sim.wait_for_status(env["result"], "SUCCESS")


def png_bytes(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def data_url(img: Image.Image, fmt: str = "PNG", mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(png_bytes(img, fmt)).decode()


def mask(size: tuple[int, int], mode: str = "L", fill: Any = 255) -> Image.Image:
    """Black with a filled rectangle in the middle."""
    img = Image.new(mode, size, 0)
    w, h = size
    ImageDraw.Draw(img).rectangle((w // 4, h // 4, w * 3 // 4, h * 3 // 4), fill=fill)
    return img


def decode(content: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(content))
    img.load()
    return img
