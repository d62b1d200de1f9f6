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
