"""Vary (Region) mask validation (mj-protocol.md §6)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from PIL import Image

from bot.sim import Simulator
from tests.sim.helpers import data_url, find_button, mask, png_bytes, post, press, upscaled

SIZE = (512, 512)


def _grey() -> str:
    return data_url(mask(SIZE, fill=128))


def _alpha() -> str:
    img = mask(SIZE).convert("RGBA")
    img.putpixel((0, 0), (0, 0, 0, 10))
    return data_url(img)


def _coloured() -> str:
    return data_url(mask(SIZE, mode="RGB", fill=(255, 0, 0)))


def _jpeg_named_png() -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(mask(SIZE), "JPEG")).decode()


BAD: dict[str, Any] = {
    "wrong aspect": lambda: data_url(mask((512, 256))),
    "grey pixels": _grey,
    "transparency": _alpha,
    "coloured": _coloured,
    "jpeg prefix": lambda: data_url(mask(SIZE), "JPEG", "image/jpeg"),
    "jpeg bytes": _jpeg_named_png,
    "not base64": lambda: "data:image/png;base64,@@@",
    "raw base64": lambda: base64.b64encode(png_bytes(mask(SIZE))).decode(),
    "empty": lambda: data_url(Image.new("L", SIZE, 0)),
    "missing": lambda: "",
}


@pytest.fixture
async def modal_id(client: httpx.AsyncClient, sim: Simulator) -> str:
    single = await upscaled(client, sim, "masked")
    env = await press(client, single, find_button(single, label="Vary (Region)"))
    return str(env["result"])


@pytest.mark.parametrize("case", list(BAD))
async def test_bad_masks_are_refused(
    client: httpx.AsyncClient, sim: Simulator, modal_id: str, case: str
) -> None:
    answer = await post(
        client, "/mj/submit/modal", {"taskId": modal_id, "prompt": "x", "maskBase64": BAD[case]()}
    )
    assert answer["code"] == 4, case
    assert sim.status(modal_id) == "MODAL"
    assert sim.received_masks == []


@pytest.mark.parametrize(
    "good",
    [
        lambda: data_url(Image.new("L", SIZE, 255)),  # all white: regenerate everything
        lambda: data_url(mask((1024, 1024))),  # same aspect, other size
        lambda: data_url(mask(SIZE).convert("RGBA")),  # opaque alpha is fine
        lambda: data_url(mask(SIZE, mode="1", fill=1)),
    ],
)
async def test_good_masks_are_accepted(
    client: httpx.AsyncClient, sim: Simulator, modal_id: str, good: Any
) -> None:
    answer = await post(client, "/mj/submit/modal", {"taskId": modal_id, "maskBase64": good()})
    assert answer["code"] == 1
    assert len(sim.received_masks) == 1
    await sim.wait_for_status(modal_id, "SUCCESS")
