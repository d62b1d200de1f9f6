"""What members see, rendered in headless Chromium as Discord would show the messages: a
result, a result that could only be linked, one that could not be shown, and refusals.
Screenshots go to the test's tmp dir (or $SCREENSHOTS_DIR, to look at them)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright

from bot.app import MJBot
from bot.playground.standin.server import FakeDiscord
from bot.sim import Fault, Simulator
from tests.e2e.conftest import final
from tests.fakediscord.look import render
from tests.web.test_editor_browser import ARGS, find_chromium

pytestmark = pytest.mark.browser


@pytest.fixture
def screens(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def page(screens: Path) -> AsyncIterator[Page]:
    chromium = find_chromium()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium), args=ARGS)
        page = await browser.new_page(viewport={"width": 720, "height": 400})
        yield page
        await browser.close()


async def shot(page: Page, fake: FakeDiscord, messages: list[Any], name: str, folder: Path) -> str:
    """Render, screenshot, and return the text a person reads on the page."""
    names = {user.id: user.username for user in fake.world.users.values()}
    await page.set_content(render(messages, title="imagine", names=names))
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    return await page.inner_text("body")


async def test_what_members_see(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator, page: Page, screens: Path
) -> None:
    alice = fake_discord.user("alice")
    done = await (await alice.slash("imagine", prompt="a paper boat at dawn")).wait_for_message(
        final
    )
    seen = await shot(page, fake_discord, [done], "result", screens)
    assert "a paper boat at dawn" in seen and "Done in" in seen and "U1" in seen
    assert await page.locator("img").count() == 1  # the image itself, re-hosted

    sim.faults.inject(Fault(kind="status", match="/mj/image", status=503, times=None))
    linked = await (await alice.slash("imagine", prompt="a shy boat")).wait_for_message(
        lambda m: bool(m.buttons), timeout=20
    )
    seen = await shot(page, fake_discord, [linked], "result-link", screens)
    assert "here is its link" in seen and "/mj/image/" in seen
    sim.faults.clear()

    sim.faults.inject(Fault(kind="not_image", match="/mj/image", times=None))
    unusable = await (await alice.slash("imagine", prompt="a strange boat")).wait_for_message(
        lambda m: "given back" in m.text, timeout=20
    )
    seen = await shot(page, fake_discord, [unusable], "result-unusable", screens)
    assert "can't be shown" in seen and "charge was given back" in seen
    sim.faults.clear()

    # Two jobs count today: the one that could not be shown was given back.
    await bot.db.guilds.update(fake_discord.guild.id, daily_quota_per_user=2)
    refused = await alice.slash("imagine", prompt="one boat too many")
    said = await refused.wait_for_followup(lambda m: bool(m.text))
    seen = await shot(page, fake_discord, [said], "refused-quota", screens)
    assert "daily job limit (2)" in seen and "Only you can see this" in seen
    assert "Nothing was charged" in seen


async def test_what_edit_looks_like(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator, page: Page, screens: Path
) -> None:
    from tests.e2e.test_edit import open_edit
    from tests.e2e.test_region import menu

    alice = fake_discord.user("alice")
    chooser = await open_edit(alice)
    seen = await shot(page, fake_discord, [chooser], "edit-chooser", screens)
    assert "mark the part of your image" in seen and "Nothing is charged" in seen
    editor = await (await alice.click(chooser, "Paint here")).wait_for_message(
        lambda m: bool(m.attachments) and bool(m.buttons)
    )
    await menu(alice, editor, "oval")
    await fake_discord.wait_until(lambda: "B2" in editor.text)
    seen = await shot(page, fake_discord, [editor], "edit-editor", screens)
    assert "Continue" in seen
    await alice.submit_modal(await alice.click(editor, "Continue"), {"Prompt": "a round window"})
    job = await fake_discord.wait_for_message(lambda m: final(m) and not m.ephemeral)
    seen = await shot(page, fake_discord, [job], "edit-result", screens)
    assert "a round window" in seen and "U1" in seen
    assert "Edit · fast" in seen and "edits" not in seen.lower()  # no internal kind names
