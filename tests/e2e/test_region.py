"""Vary (Region) through Discord: the chooser, painting cells, uploading a mask (faults.md 28,
30), restarts, and what reaches the simulator's /submit/modal."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from bot.app import MJBot
from bot.imaging import PaintState, clear_preview_cache, paint_grid
from bot.jobs.events import Requester
from bot.messages import say
from bot.playground.standin.server import FakeDiscord
from bot.sim import Fault, Simulator
from bot.ui.region import QUICK
from tests.e2e.conftest import final, replies_to, upstream

MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def _fresh_previews() -> None:
    # Previews are cached per process by job id, and every test's database starts at job 1.
    clear_preview_cache()


async def upscaled(fake: FakeDiscord, user: Any, prompt: str = "a harbour --v 7") -> Any:
    grid = await (await user.slash("imagine", prompt=prompt)).wait_for_message(final)
    await user.click(grid, "U1")
    return await fake.wait_for_message(lambda m: replies_to(m, grid) and final(m))


async def chooser(user: Any, up: Any, *, web: bool = False) -> Any:
    opened = await user.click(up, "Vary (Region)")
    assert opened.ephemeral
    message = opened.message
    ways = ["Paint here", "Upload a mask"] + (["Web editor"] if web else [])
    assert [b.get("label") for b in message.buttons] == ways
    return message


async def shows(fake: FakeDiscord, message: Any, text: str) -> None:
    await fake.wait_until(lambda: text in message.text, what=f"{text!r} in the editor")


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def white_share(mask: Image.Image, box: tuple[int, int, int, int]) -> float:
    region = mask.crop(box)
    return region.histogram()[255] / (region.width * region.height)


def cells_of(grid: tuple[int, int], labels: set[str]) -> set[tuple[int, int]]:
    """The sub-cells (col, row) of the fine grid that labels name: "B2" is all 3 x 3 sub-cells
    of coarse cell B2, "B2·5" its centre one (keypad order)."""
    chosen = set()
    for label in labels:
        coarse, _, sub = label.partition("·")
        col, row = (ord(coarse[0]) - 65) * 3, (int(coarse[1:]) - 1) * 3
        numbers = [int(sub)] if sub else range(1, 10)
        chosen |= {(col + (n - 1) % 3, row + (n - 1) // 3) for n in numbers}
    assert all(c < grid[0] and r < grid[1] for c, r in chosen)
    return chosen


def assert_cells(mask: Image.Image, grid: tuple[int, int], chosen: set[str]) -> None:
    """White exactly on the chosen cells of the fine grid (see cells_of) and black elsewhere,
    to the pixel."""
    cols, rows = grid
    w, h = mask.size
    histogram = mask.histogram()
    assert histogram[0] + histogram[255] == w * h
    white = cells_of(grid, chosen)
    for col in range(cols):
        for row in range(rows):
            box = (col * w // cols, row * h // rows, (col + 1) * w // cols, (row + 1) * h // rows)
            expected = 1.0 if (col, row) in white else 0.0
            assert white_share(mask, box) == expected, (col, row)


def save_preview(message: Any, name: str) -> None:
    """REGION_PREVIEW_DIR=/some/dir keeps the editor's images as PNG, to look at them."""
    folder = os.environ.get("REGION_PREVIEW_DIR")
    if folder:
        Image.open(io.BytesIO(message.attachments[0].data)).save(Path(folder) / f"{name}.png")


def cell_labels(editor: Any) -> list[str]:
    tools = {"Invert", "Clear", "Grow", "Shrink", "Continue"}
    return [b["label"] for b in editor.buttons if b["label"] not in tools]


async def menu(user: Any, editor: Any, value: str) -> None:
    await user.select(editor, say("region.preset_placeholder"), [value])


@pytest.mark.fault(30)
async def test_paint_cells_presets_refine_and_continue(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    up = await upscaled(fake_discord, alice)
    size = Image.open(io.BytesIO(up.attachments[0].data)).size
    editor = await (await alice.click(await chooser(alice, up), "Paint here")).wait_for_message(
        lambda m: bool(m.attachments) and bool(m.buttons)
    )
    assert editor.ephemeral
    assert "Selected: none yet" in editor.text
    # Square: 3 x 3 cells, each split into 3 x 3 sub-cells (a 9 x 9 grid underneath).
    assert cell_labels(editor) == ["A1", "B1", "C1", "A2", "B2", "C2", "A3", "B3", "C3"]
    before = editor.attachments[0].data
    await menu(alice, editor, "left")
    await shows(fake_discord, editor, "Selected: A1, B1·1, B1·2, B1·4, B1·5, B1·7, B1·8, A2,")
    assert editor.attachments[0].data != before  # re-rendered
    styles = [editor.find_component(label)["style"] for label in ("A1", "B1", "C1")]
    assert styles == [1, 3, 2]  # blue: selected, green: partly, grey: not
    await alice.click(editor, "Invert")
    await shows(fake_discord, editor, "Selected: B1·3, B1·6, B1·9, C1, B2·3, B2·6, B2·9, C2,")
    await alice.click(editor, "B1")  # partly selected: fills up
    await shows(fake_discord, editor, "Selected: B1, C1, B2·3")
    await alice.click(editor, "B1")  # all selected: empties
    await shows(fake_discord, editor, "Selected: C1, B2·3")
    await alice.click(editor, "Clear")
    await shows(fake_discord, editor, "Selected: none yet.")
    empty = await alice.click(editor, "Continue")
    assert empty.modal is None and say("region.empty") in empty.message.text
    await alice.click(editor, "Invert")
    await shows(fake_discord, editor, "Selected: A1, B1, C1, A2, B2, C2, A3, B3, C3.")
    full = await alice.click(editor, "Continue")
    assert full.modal is None and say("region.full") in full.message.text
    await alice.click(editor, "Clear")
    for cell in ("A1", "C3", "B2", "B2"):
        await alice.click(editor, cell)
    await shows(fake_discord, editor, "Selected: A1, C3.")
    # Grow adds a ring of sub-cells; Shrink gives back exactly what was there.
    await alice.click(editor, "Grow")
    await shows(fake_discord, editor, "Selected: A1, B1·1, B1·4, B1·7, A2·1, A2·2, A2·3, C2·7,")
    await alice.click(editor, "Shrink")
    await shows(fake_discord, editor, "Selected: A1, C3.")
    # Refine B2: its 9 sub-cells become the buttons, the preview zooms in; back to the whole.
    await menu(alice, editor, "z4")
    await shows(fake_discord, editor, say("region.paint_zoom", cell="B2", cells="A1, C3"))
    assert cell_labels(editor) == [f"B2·{n}" for n in range(1, 10)]
    await alice.click(editor, "B2·5")
    await shows(fake_discord, editor, "Selected: A1, B2·5, C3.")
    assert editor.find_component("B2·5")["style"] == 1
    await menu(alice, editor, "whole")
    await shows(fake_discord, editor, say("region.paint", cells="A1, B2·5, C3"))
    assert editor.find_component("B2")["style"] == 3
    # Someone else cannot see (so cannot press) the ephemeral editor.
    assert editor.id not in [m.id for m in fake_discord.user("bob").visible_messages("general")]
    assert upstream(sim, "/submit/action")[-1].json["customId"].startswith("MJ::JOB::upsample")

    opened = await alice.click(editor, "Continue")
    assert opened.modal is not None
    ((prompt_field, label),) = opened.modal.inputs()
    assert label == "Prompt" and prompt_field["value"].startswith("a harbour")
    await alice.submit_modal(opened, {"Prompt": "a lighthouse"})
    child = await fake_discord.wait_for_message(lambda m: replies_to(m, up) and final(m))
    assert "a lighthouse" in child.text
    await shows(fake_discord, editor, "On it")
    assert editor.buttons == []
    ((_, mask),) = sim.received_masks
    assert mask.size == size
    assert_cells(mask, (9, 9), {"A1", "C3", "B2·5"})
    assert upstream(sim, "/submit/modal")[-1].json["prompt"] == "a lighthouse"


async def test_a_three_by_two_image_gets_five_by_three_cells_of_nine(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    up = await upscaled(fake_discord, alice, "a harbour at dusk --ar 3:2 --v 7")
    w, h = Image.open(io.BytesIO(up.attachments[0].data)).size
    assert w / h == pytest.approx(1.5, rel=0.01)
    editor = await (await alice.click(await chooser(alice, up), "Paint here")).wait_for_message(
        lambda m: bool(m.attachments) and bool(m.buttons)
    )
    assert cell_labels(editor) == [f"{c}{r}" for r in (1, 2, 3) for c in "ABCDE"]
    assert len(editor.components) == 5  # 3 rows of cells, the tools, the menu
    await menu(alice, editor, "oval")
    await shows(fake_discord, editor, "C2")
    save_preview(editor, "editor-3x2-oval")
    whole = Image.open(io.BytesIO(editor.attachments[0].data))
    assert whole.width / whole.height == pytest.approx(1.5, rel=0.01)
    await menu(alice, editor, "z7")  # C2
    await shows(fake_discord, editor, "Refining C2")
    await alice.click(editor, "C2·5")
    await shows(fake_discord, editor, "C2·4, C2·6")  # the centre now kept
    save_preview(editor, "editor-3x2-refine-C2")
    preview = Image.open(io.BytesIO(editor.attachments[0].data))
    assert max(preview.size) == 768
    await alice.submit_modal(await alice.click(editor, "Continue"), {"Prompt": "a moon"})
    await fake_discord.wait_for_message(lambda m: replies_to(m, up) and final(m))
    ((_, mask),) = sim.received_masks
    oval = PaintState.new(paint_grid(w, h)).preset("oval").zoom_to((2, 1)).press(4)
    assert_cells(mask, (15, 9), set(oval.labels()))
    assert 0.25 < white_share(mask, (0, 0, w, h)) < 0.40


async def test_a_restart_between_cells_and_continue_keeps_the_selection(
    make_bot: Callable[..., MJBot],
    run_client: Callable[..., Any],
    fake_discord: FakeDiscord,
    sim: Simulator,
) -> None:
    alice = fake_discord.user("alice")
    async with run_client(make_bot(public_base_url="https://mj.example.org")):
        up = await upscaled(fake_discord, alice, "a mill")
        ways = await chooser(alice, up, web=True)
        assert ways.find_component("Web editor")["url"].startswith("https://mj.example.org/region/")
        painted = await alice.click(ways, "Paint here")
        editor = await painted.wait_for_message(lambda m: bool(m.buttons))
        await alice.click(editor, "B1")
        await alice.click(editor, "B2")
        await menu(alice, editor, "z7")  # refine B3
        await alice.click(editor, "B3·5")
        await shows(fake_discord, editor, "Selected: B1, B2, B3·5.")
    async with run_client(make_bot()):
        # The new process has no source image cached: a slow download makes it defer, then edit.
        sim.faults.inject(Fault(kind="latency", match="/mj/image", delay=QUICK + 0.3))
        clicked = await alice.click(editor, "B3·2")  # still refining B3 after the restart
        assert clicked.callback_type == 6
        await shows(fake_discord, editor, "Selected: B1, B2, B3·2, B3·5.")
        await alice.click(editor, "Grow")
        await alice.click(editor, "Shrink")  # the pending step survives a restart too
        await shows(fake_discord, editor, "Selected: B1, B2, B3·2, B3·5.")
        await alice.submit_modal(await alice.click(editor, "Continue"), {"Prompt": "a river"})
        await fake_discord.wait_for_message(lambda m: replies_to(m, up) and final(m))
    ((_, mask),) = sim.received_masks
    assert_cells(mask, (9, 9), {"B1", "B2", "B3·2", "B3·5"})


async def test_upload_a_mask_and_a_painted_copy(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    grid = await (await alice.slash("imagine", prompt="a garden")).wait_for_message(final)
    ups: list[Any] = []
    for name in ("U1", "U2"):
        await alice.click(grid, name)
        ups.append(
            await fake_discord.wait_for_message(
                lambda m: replies_to(m, grid) and final(m) and m not in ups
            )
        )
    original = Image.open(io.BytesIO(ups[0].attachments[0].data)).convert("RGB")
    w, h = original.size
    # A black-and-white mask at half the size (rescaled), white on the right third.
    mask = Image.new("L", (w // 2, h // 2), 0)
    mask.paste(255, (w // 3, 0, w // 2, h // 2))
    # A copy of the second image painted over in magenta on its top-left quarter.
    copy = Image.open(io.BytesIO(ups[1].attachments[0].data)).convert("RGB")
    ImageDraw.Draw(copy).rectangle((0, 0, w // 2 - 1, h // 2 - 1), fill=(255, 0, 255))
    for up, upload in zip(ups, [("mask.png", png(mask)), ("copy.png", png(copy))], strict=True):
        opened = await alice.click(await chooser(alice, up), "Upload a mask")
        labels = [label for _, label in opened.modal.inputs()]
        assert labels == ["Mask or painted copy", "Prompt"]
        sent = await alice.submit_modal(
            opened, {"Prompt": "a fountain"}, files={"Mask or painted copy": [upload]}
        )
        confirm = await sent.wait_for_message(lambda m: bool(m.buttons))
        assert confirm.ephemeral and confirm.attachments and "Confirm" in confirm.text
        assert len(upstream(sim, "/submit/modal")) == len(sim.received_masks)  # nothing yet
        await alice.click(confirm, "Confirm")
        await fake_discord.wait_for_message(lambda m, up=up: replies_to(m, up) and final(m))
        await shows(fake_discord, confirm, "On it")
    (_, from_mask), (_, from_copy) = sim.received_masks
    assert from_mask.size == (w, h) and from_copy.size == (w, h)
    assert white_share(from_mask, (2 * w // 3 + 2, 0, w, h)) == 1.0
    assert white_share(from_mask, (0, 0, 2 * w // 3 - 2, h)) == 0.0
    assert white_share(from_copy, (4, 4, w // 2 - 4, h // 2 - 4)) > 0.99
    assert white_share(from_copy, (w // 2 + 4, 0, w, h)) < 0.01
    assert all(r.json["prompt"] == "a fountain" for r in upstream(sim, "/submit/modal"))


@pytest.mark.fault(28)
@pytest.mark.fault(30)
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # the fake's sniffing
async def test_bad_uploads_get_a_sentence_and_cost_nothing(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    up = await upscaled(fake_discord, alice)
    w, h = Image.open(io.BytesIO(up.attachments[0].data)).size
    wide = Image.new("L", (w, h // 2), 0)
    wide.paste(255, (0, 0, w // 4, h // 4))
    bomb = png(Image.new("1", (10_000, 10_000)))  # a few KB claiming 100 megapixels
    assert len(bomb) < 20_000
    frames = [Image.new("L", (8, 8), 255 * (i % 2)) for i in range(5000)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=10)
    whole = png(Image.effect_noise((w, h), 64))
    fake_discord.attachment_size_limit = 32 * MiB
    cases = [
        (("wide.png", png(wide)), "shape does not match"),
        (("black.png", png(Image.new("L", (w, h), 0))), "marks nothing"),
        (("white.png", png(Image.new("L", (w, h), 255))), "whole image"),
        (("mask.png", b"<html>not a png</html>"), "not an image"),
        (("bomb.png", bomb), "dimensions are too large"),
        (("cut.png", whole[: len(whole) // 2]), "cut short"),
        (("frames.gif", gif.getvalue()), "too many frames"),
        (("huge.png", b"\x89PNG\r\n\x1a\n" + bytes(17 * MiB)), "too large"),
    ]
    chooser_message = await chooser(alice, up)
    for upload, expected in cases:
        opened = await alice.click(chooser_message, "Upload a mask")
        sent = await alice.submit_modal(opened, files={"Mask or painted copy": [upload]})
        said = await sent.wait_for_message(lambda m: not m.loading)
        assert expected in said.text, (upload[0], said.text)
        assert said.buttons == []
    store = fake_discord.world.attachments.by_id
    assert "huge.png" not in [store[i].filename for i in fake_discord.cdn_downloads]
    # A modal closed without submitting: nothing happens at all.
    assert (await alice.click(chooser_message, "Upload a mask")).modal is not None
    painted = await alice.click(chooser_message, "Paint here")
    editor = await painted.wait_for_message(lambda m: bool(m.buttons))
    await alice.click(editor, "A1")
    assert (await alice.click(editor, "Continue")).modal is not None
    assert len(upstream(sim, "/submit/action")) == 1  # the upscale only
    assert upstream(sim, "/submit/modal") == []


@pytest.mark.fault(30)
async def test_an_expired_modal_task_says_start_again(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    up = await upscaled(fake_discord, alice)
    editor = await (await alice.click(await chooser(alice, up), "Paint here")).wait_for_message(
        lambda m: bool(m.buttons)
    )
    await menu(alice, editor, "oval")
    await shows(fake_discord, editor, "B2")
    sim.faults.inject(
        Fault(kind="upstream_error", match="/mj/submit/modal", body="task_status_not_modal")
    )
    await alice.submit_modal(await alice.click(editor, "Continue"), {"Prompt": ""})
    failed = await fake_discord.wait_for_message(
        lambda m: replies_to(m, up) and "Start Vary Region again" in m.text
    )
    assert "charge was given back" in failed.text


async def test_a_private_image_gets_a_private_vary_region_job(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
    grid = await (await alice.slash("imagine", prompt="a diary", private=True)).wait_for_message(
        final
    )
    await alice.click(grid, "U1")
    up = await fake_discord.wait_for_message(lambda m: final(m) and m.ephemeral and m is not grid)
    editor = await (await alice.click(await chooser(alice, up), "Paint here")).wait_for_message(
        lambda m: bool(m.buttons)
    )
    await menu(alice, editor, "centre")
    await shows(fake_discord, editor, "Selected: B2.")  # the middle third
    await alice.submit_modal(await alice.click(editor, "Continue"), {"Prompt": "a key"})
    child = await fake_discord.wait_for_message(
        lambda m: final(m) and m.ephemeral and "a key" in m.text
    )
    assert child.id not in [m.id for m in bob.visible_messages("general")]
    ((_, mask),) = sim.received_masks
    assert_cells(mask, (9, 9), {"B2"})


async def test_a_child_from_outside_discord_is_posted_under_its_parent(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    """What the web editor does: RegionService.submit with no interaction behind it."""
    alice = fake_discord.user("alice")
    up = await upscaled(fake_discord, alice)
    ways = await chooser(alice, up)
    session_id = int(ways.custom_ids[0].split(":")[3])
    session = await bot.db.regions.get(session_id)
    assert session is not None
    req = Requester(user_id=alice.id, channel_id=session.channel_id, guild_id=session.guild_id)
    w, h = Image.open(io.BytesIO(up.attachments[0].data)).size
    mask = Image.new("L", (w, h), 0)
    mask.paste(255, (0, 0, w // 2, h))
    await bot.region.submit(session_id, req, mask, "from the web")
    child = await fake_discord.wait_for_message(lambda m: replies_to(m, up) and final(m))
    assert "from the web" in child.text and not child.ephemeral
