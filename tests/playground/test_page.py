"""The playground driven like a person would, in headless Chromium: /imagine typed in the box,
progress, the grid and its buttons, U1, Vary (Region) painted cell by cell, and a second member
refused on the first member's button. Assertions are on what the page shows.

Screenshots of each step go to the test's tmp dir (or $SCREENSHOTS_DIR); with
UPDATE_ASSETS=1 the grid's screenshot also replaces assets/playground.png, the README's."""

from __future__ import annotations

import os
import re
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from bot.app import Tuning
from bot.playground.launch import Playground, open_playground
from bot.settings import load_settings
from bot.sim import SimConfig
from tests.e2e.conftest import FAST_DELIVERY, FAST_JOBS
from tests.web.test_editor_browser import ARGS, find_chromium

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[2]
WAIT = 20_000  # ms: a job at the simulator's test pace takes a few seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def screens(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path / "screens")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[Playground]:
    settings = load_settings(
        database_path=tmp_path / "data" / "mjbot.db", discord_token=None, cometapi_key=None
    )
    tuning = Tuning(
        jobs=FAST_JOBS,
        edit_interval=0.3,
        delivery=FAST_DELIVERY,
        sim=SimConfig(key="sk-simulator", speed=12, first_poll_delay=0.2),
    )
    async with open_playground(
        settings, port=free_port(), web_port=free_port(), tuning=tuning
    ) as running:
        yield running
    assert running.fake.violations == []


@pytest.fixture
async def page(playground: Playground) -> AsyncIterator[Page]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(find_chromium()), args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 860})
        await page.goto(playground.url)
        yield page
        await browser.close()


def message(page: Page, text: str | re.Pattern[str]):  # type: ignore[no-untyped-def]
    """The last message on the page that shows `text`."""
    return page.locator(".msg", has_text=text).last


async def test_a_person_imagines_upscales_paints_a_region_and_is_refused_elsewhere(
    playground: Playground, page: Page, screens: Path
) -> None:
    await expect(page.locator("#me-name")).to_have_text("Alex")
    await expect(page.locator("#channel-name")).to_have_text("general")

    # Type the command as in Discord: "/", pick imagine, fill the prompt, Enter.
    await page.locator("#box").click()
    await page.keyboard.type("/imag")
    await expect(page.locator("#popup")).to_contain_text("/imagine")
    await page.keyboard.press("Enter")
    await expect(page.locator("#command-pill")).to_have_text("/imagine")
    await page.keyboard.type("a lighthouse on a cliff at dawn")
    await page.screenshot(path=str(screens / "1-command.png"))
    await page.keyboard.press("Enter")

    job = message(page, "a lighthouse on a cliff at dawn")
    await expect(job).to_contain_text("Alex used /imagine", timeout=WAIT)
    await expect(job).to_contain_text(re.compile(r"\d+%"), timeout=WAIT)  # live progress
    await page.screenshot(path=str(screens / "2-progress.png"))
    for label in ("U1", "U2", "U3", "U4", "V1", "🔄"):
        await expect(job.get_by_role("button", name=label)).to_be_visible(timeout=WAIT)
    await expect(job.locator(".embed img")).to_be_visible()
    await page.screenshot(path=str(screens / "3-grid.png"))
    if os.environ.get("UPDATE_ASSETS"):
        shutil.copy(screens / "3-grid.png", ROOT / "assets" / "playground.png")

    # U1: the upscale arrives as a reply with its own buttons.
    await job.get_by_role("button", name="U1", exact=True).click()
    upscale = page.locator(".msg", has=page.get_by_role("button", name="Vary (Region)")).last
    await expect(upscale).to_contain_text("Alex", timeout=WAIT)
    await expect(upscale.locator(".embed img")).to_be_visible()
    await page.screenshot(path=str(screens / "4-upscale.png"))

    # Vary (Region): the three ways to mark it, only for Alex; paint two cells; continue.
    await upscale.get_by_role("button", name="Vary (Region)").click()
    chooser = message(page, "Only you can see this").filter(
        has=page.get_by_role("button", name="Paint here")
    )
    web_editor = chooser.get_by_role("link", name=re.compile("Web editor"))
    async with page.context.expect_page() as opened:  # the bot's own page, in a new tab
        await web_editor.click()
    tab = await opened.value
    await expect(tab).to_have_title("Vary (Region)")
    await expect(tab.locator("canvas#paint")).to_be_visible()
    await tab.screenshot(path=str(screens / "4b-web-editor.png"))
    await tab.close()
    await chooser.get_by_role("button", name="Paint here").click()
    editor = page.locator(".msg", has=page.get_by_role("button", name="B2", exact=True)).last
    await expect(editor).to_contain_text("Selected: none yet", timeout=WAIT)
    await editor.get_by_role("button", name="B2", exact=True).click()
    await expect(editor).to_contain_text("Selected: B2.")
    await editor.get_by_role("button", name="C2", exact=True).click()
    await expect(editor).to_contain_text("Selected: B2, C2.")
    await page.screenshot(path=str(screens / "5-paint.png"))
    await editor.get_by_role("button", name="Continue").click()

    modal = page.locator("#modal")
    await expect(modal).to_be_visible(timeout=WAIT)
    prompt = modal.locator("textarea, input[type=text]").first
    await expect(prompt).to_have_value(re.compile("a lighthouse on a cliff"))
    await prompt.fill("a lighthouse with a red door")
    await page.screenshot(path=str(screens / "6-modal.png"))
    await modal.get_by_role("button", name="Submit").click()
    await expect(modal).to_be_hidden()
    varied = message(page, "a lighthouse with a red door")
    await expect(varied.get_by_role("button", name="U1")).to_be_visible(timeout=WAIT)
    await page.screenshot(path=str(screens / "7-varied.png"))

    # Sam is someone else: Alex's buttons answer him with one private sentence.
    await page.locator("#me").click()
    await page.locator("#people li", has_text="Sam").click()
    await expect(page.locator("#me-name")).to_have_text("Sam")
    await expect(page.get_by_text("Selected: B2, C2")).to_have_count(0)  # Alex's, ephemeral
    grid = message(page, "a lighthouse on a cliff at dawn").filter(
        has=page.get_by_role("button", name="U3")
    )
    await grid.get_by_role("button", name="U3", exact=True).click()
    refusal = message(page, "Only the person who started this job")
    await expect(refusal).to_contain_text("Only you can see this", timeout=WAIT)
    await page.screenshot(path=str(screens / "8-refused.png"))
    steps = ("command", "progress", "grid", "upscale", "paint", "modal", "varied", "refused")
    for number, step in enumerate(steps, 1):
        assert (screens / f"{number}-{step}.png").stat().st_size > 0


async def test_a_payload_that_breaks_discord_rules_shows_as_a_warning(
    playground: Playground, page: Page, screens: Path
) -> None:
    await expect(page.locator("#channel-name")).to_have_text("general")
    await expect(page.locator("#warnings")).to_be_hidden()
    # What the stand-in records when the bot sends something Discord would refuse.
    playground.fake.violate(
        "limit", "embeds[0].title", "256 characters at most", "PATCH /webhooks/…/messages/@original"
    )
    warning = page.locator("#warnings")
    await expect(warning).to_contain_text("1 payload that Discord would reject")
    await warning.locator("summary").click()
    await expect(warning).to_contain_text("embeds[0].title")
    await page.screenshot(path=str(screens / "warning.png"))
    playground.fake.violations.clear()  # seen: the fixture checks for unexpected ones
