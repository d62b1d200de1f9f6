"""The web canvas in real headless Chromium (Debian's package, driven by Playwright): draw with
the mouse, submit, and check the mask that reaches the simulator against what was drawn."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter
from playwright.async_api import BrowserContext, Page, async_playwright

from bot.db.records import JobStatus
from tests.jobs.conftest import is_
from tests.web.conftest import Web

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BRUSH = 40  # the slider's default, in screen pixels
TOLERANCE = 3  # image pixels: rounding of the screen → image mapping and of stroke edges


def find_chromium(path: Path = CHROMIUM) -> Path:
    """Debian's Chromium; a skip without it, but a failure under CI (where it must be)."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing under CI: `make test` installs Debian's chromium")
        pytest.skip(f"{path} is missing: `make test` installs it (apt-get install chromium)")
    return path


@pytest.fixture
def chromium() -> Path:
    return find_chromium()


@pytest.fixture
async def browser(tmp_path: Path, chromium: Path) -> AsyncIterator[BrowserContext]:
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            tmp_path / "profile",  # a fresh profile every time
            executable_path=str(chromium),
            headless=True,
            args=ARGS,
            viewport={"width": 900, "height": 700},
        )
        context.set_default_timeout(10_000)
        try:
            yield context
        finally:
            await context.close()


class Screen:
    """Mouse input in screen pixels, and the same shapes drawn in image pixels."""

    def __init__(self, page: Page, box: dict[str, float], size: tuple[int, int]) -> None:
        self.page = page
        self.box = box
        self.scale = size[0] / box["width"]  # image pixels per screen pixel
        self.expected = Image.new("L", size, 0)
        self.draw = ImageDraw.Draw(self.expected)

    def at(self, fx: float, fy: float) -> tuple[float, float]:
        return self.box["x"] + fx * self.box["width"], self.box["y"] + fy * self.box["height"]

    def image(self, point: tuple[float, float]) -> tuple[float, float]:
        return (point[0] - self.box["x"]) * self.scale, (point[1] - self.box["y"]) * self.scale

    async def drag(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        await self.page.mouse.move(*start)
        await self.page.mouse.down()
        await self.page.mouse.move(*end, steps=12)
        await self.page.mouse.up()

    async def stroke(
        self, start: tuple[float, float], end: tuple[float, float], *, erase: bool = False
    ) -> None:
        await self.drag(start, end)
        colour, width = (0 if erase else 255), BRUSH * self.scale
        a, b = self.image(start), self.image(end)
        self.draw.line([a, b], fill=colour, width=round(width))
        for x, y in (a, b):  # round caps
            r = width / 2
            self.draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)

    async def rectangle(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        await self.drag(start, end)
        self.draw.rectangle([self.image(start), self.image(end)], fill=255)

    async def lasso(self, *corners: tuple[float, float]) -> None:
        await self.page.mouse.move(*corners[0])
        await self.page.mouse.down()
        for corner in corners[1:]:
            await self.page.mouse.move(*corner, steps=8)
        await self.page.mouse.up()  # the page closes the polygon back to the first corner
        self.draw.polygon([self.image(c) for c in corners], fill=255)


async def test_what_is_drawn_with_the_mouse_becomes_the_mask_upstream(
    web: Web, browser: BrowserContext
) -> None:
    session, link = await web.open("a lighthouse on a cliff --ar 3:2 --v 7")
    size = (await web.region.source(session)).size
    assert size[0] != size[1]  # a non-square image checks both axes of the mapping

    page = await browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(web.base_url) else outside.append(r.url))

    await page.goto(link)
    await page.wait_for_selector("#status[data-state=ready]")
    await page.wait_for_function("document.getElementById('image').naturalWidth > 0")
    assert await page.input_value("#prompt") == session.prompt
    box = await page.locator("#live").bounding_box()
    assert box is not None
    screen = Screen(page, dict(box), size)
    assert abs(box["width"] / box["height"] - size[0] / size[1]) < 0.01

    await screen.stroke(screen.at(0.10, 0.20), screen.at(0.45, 0.20))
    await screen.stroke(screen.at(0.80, 0.10), screen.at(0.70, 0.45))
    await page.check("input[value=rect]")
    await screen.rectangle(screen.at(0.20, 0.60), screen.at(0.50, 0.90))
    await page.check("input[value=eraser]")  # cut the rectangle in two
    await screen.stroke(screen.at(0.35, 0.55), screen.at(0.35, 0.95), erase=True)
    await page.check("input[value=lasso]")
    await screen.lasso(screen.at(0.60, 0.90), screen.at(0.90, 0.90), screen.at(0.75, 0.60))
    # A shape drawn then undone must not reach the mask.
    await page.check("input[value=rect]")
    await screen.drag(screen.at(0.05, 0.35), screen.at(0.15, 0.50))
    await page.click("#undo")
    await page.fill("#prompt", "a red lighthouse")

    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.click("#submit")
    response = await posted.value
    answer: dict[str, Any] = await response.json()
    assert response.status == 200 and answer["ok"], answer
    await page.wait_for_selector("#status[data-state=done]")
    assert "Discord" in await page.inner_text("#status")
    assert await page.is_disabled("#submit")

    child = await web.stack.wait_job(answer["job_id"], is_(JobStatus.SUCCEEDED))
    assert child.parent_id == session.job_id
    _, mask = web.stack.sim.received_masks[-1]
    assert mask.size == size and mask.mode == "L"
    hist = mask.histogram()
    assert hist[0] + hist[255] == size[0] * size[1] and hist[255] > 0

    # White wherever the shapes surely cover, black wherever they surely do not.
    window = 2 * TOLERANCE + 1
    surely_white = screen.expected.filter(ImageFilter.MinFilter(window))
    maybe_white = screen.expected.filter(ImageFilter.MaxFilter(window))
    assert ImageChops.subtract(surely_white, mask).getbbox() is None, "paint missing"
    assert ImageChops.subtract(mask, maybe_white).getbbox() is None, "paint where none was"
    marked, drawn = hist[255], screen.expected.histogram()[255]
    assert abs(marked - drawn) < 0.05 * drawn

    # What the page itself sent is already clean: opaque, pure black and white, full size.
    sent = response.request.post_data_json["mask"]
    raw = Image.open(io.BytesIO(base64.b64decode(sent.split(",", 1)[1])))
    assert raw.format == "PNG" and raw.size == size
    rgba = raw.convert("RGBA")
    assert rgba.getchannel("A").getextrema() == (255, 255)
    colours = rgba.convert("RGB").getcolors()  # None past 256 colours
    assert colours is not None and {c for _, c in colours} == {(0, 0, 0), (255, 255, 255)}
    assert ImageChops.difference(rgba.convert("L"), mask).getbbox() is None

    modal = [r for r in web.stack.sim.requests if r.path.endswith("/submit/modal")][-1]
    assert modal.json["prompt"] == "a red lighthouse"
    assert problems == [] and outside == []

    # The link is spent: opening it again shows the sentence.
    again = await page.goto(link)
    assert again is not None and again.status == 410


def test_a_missing_chromium_skips_locally_and_fails_in_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "chromium"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        find_chromium(missing)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        find_chromium(missing)
