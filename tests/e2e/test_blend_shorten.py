"""/blend and /shorten through Discord and the simulator."""

from __future__ import annotations

import io

from PIL import Image

from bot.app import MJBot
from bot.playground.standin.server import FakeDiscord
from bot.sim import Simulator
from tests.e2e.conftest import final, upstream


def png(colour: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buf, "PNG")
    return buf.getvalue()


async def test_blend_makes_a_grid_with_buttons(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    started = await alice.slash(
        "blend",
        image1=("red.png", png("red")),
        image2=("blue.png", png("blue")),
        image3=("green.png", png("green")),
        dimensions="landscape",
    )
    grid = await started.wait_for_message(final, timeout=20)
    assert {"U1", "V4"} <= {b.get("label") for b in grid.buttons}
    assert "Blend" in grid.text
    (sent,) = upstream(sim, "/submit/blend")
    assert sent.json["dimensions"] == "LANDSCAPE" and len(sent.json["base64Array"]) == 3
    await alice.click(grid, "U1")
    await fake_discord.wait_for_message(lambda m: m.id != grid.id and final(m), timeout=20)


async def test_shorten_offers_five_prompts_to_edit_and_imagine(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    prompt = "a very detailed cinematic photograph of an old lighthouse on a cliff at dawn"
    started = await alice.slash("shorten", prompt=prompt)
    shown = await started.wait_for_message(lambda m: len(m.buttons) == 5, timeout=20)
    assert "Important tokens:" in shown.text and "1. " in shown.text and "5. " in shown.text
    opened = await alice.click(shown, "2️⃣")
    assert opened.modal is not None
    ((field, _),) = opened.modal.inputs()
    assert field["value"] and field["value"] in shown.text
    done = await alice.submit_modal(opened, {field["custom_id"]: field["value"] + " --ar 3:2"})
    grid = await done.wait_for_message(final, timeout=20)
    assert "--ar 3:2" in grid.text
    assert upstream(sim, "/submit/imagine")[-1].json["prompt"].endswith("--ar 3:2")


async def test_describe_shows_the_image_then_imagine_all_after_a_confirmation(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    started = await alice.slash("describe", image=("cat.png", png("orange")))
    first = await started.wait_for_message(lambda m: bool(m.embeds))
    assert "****" not in first.text
    assert "Reading your image" in first.text and first.embeds[0].get("image")
    described = await started.wait_for_message(
        lambda m: "Imagine all" in str(m.buttons), timeout=20
    )
    confirm = await (await alice.click(described, "Imagine all")).wait_for_message(
        lambda m: bool(m.buttons)
    )
    assert confirm.ephemeral and "**4 jobs**" in confirm.text
    await alice.click(confirm, "Start 4 jobs")
    await fake_discord.wait_until(lambda: "Started 4 of 4" in confirm.text, what="four jobs")
    assert len(upstream(sim, "/submit/imagine")) == 4
    assert upstream(sim, "/submit/action") == []  # the gateway refuses PicReader::all


async def test_describe_a_web_link_and_refuse_two_sources(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    both = await alice.slash(
        "describe", image=("a.png", png("red")), link="https://example.org/a.png"
    )
    assert "not both" in (await both.wait_for_message(lambda m: bool(m.text))).text
    started = await alice.slash("describe", link=f"{sim.base_url}/static/cat.png")
    await started.wait_for_message(lambda m: "Imagine all" in str(m.buttons), timeout=20)
    (sent,) = upstream(sim, "/submit/describe")
    assert sent.json["link"].endswith("/static/cat.png") and not sent.json.get("base64")


async def test_video_from_an_image_with_progress_and_extend(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    started = await alice.slash(
        "video",
        image=("first.png", png("purple")),
        prompt="the waves roll in",
        motion="high",
        loop=True,
    )
    done = await started.wait_for_message(
        lambda m: bool(m.buttons) and (m.attachments or "mp4" in m.text), timeout=30
    )
    assert "Video" in done.text
    (sent,) = upstream(sim, "/submit/video")
    assert sent.json["motion"] == "high" and "--loop" in sent.json["prompt"]
    extend = next(b for b in done.buttons if "Extend" in (b.get("label") or ""))
    await alice.click(done, extend["custom_id"])
    await fake_discord.wait_until(
        lambda: len(upstream(sim, "/submit/video")) + len(upstream(sim, "/submit/action")) >= 2,
        what="the extension submitted",
    )
