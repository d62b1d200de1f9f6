"""The core loop through Discord: /imagine → progress → final image with real buttons."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import MJBot
from bot.playground.standin.server import FakeDiscord
from bot.sim import Simulator
from tests.e2e.conftest import final, replies_to, upstream


@pytest.mark.sim_speed(25)
async def test_imagine_progress_final_and_buttons(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    result = await alice.slash(
        "imagine", prompt="a paper boat at sunrise", aspect="16:9", channel="imagine"
    )
    assert result.deferred
    message = await result.wait_for_message(final)
    assert [b.get("label") for b in message.buttons][:4] == ["U1", "U2", "U3", "U4"]
    assert len(message.buttons) == 9
    assert "a paper boat at sunrise --ar 16:9" in message.text
    assert message.attachments[0].data[:4] in (b"RIFF", b"\x89PNG")
    assert len(upstream(sim, "/submit/imagine")) == 1
    shown = [str(snapshot) for snapshot in message.history]
    assert any("%" in text and "█" in text for text in shown), "no progress edit seen"
    assert "Done in" in message.text


@pytest.mark.fault(29)
async def test_prompt_problems_answer_at_once_and_charge_nothing(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    for prompt, words in [("some g\u200bore", "blocked"), ("fox --chaos 900", "--chaos")]:
        result = await alice.slash("imagine", prompt=prompt)
        assert result.ephemeral
        assert words in result.message.text
    assert upstream(sim, "/submit/imagine") == []


async def test_click_u2_then_each_action_makes_a_job(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    grid = await (await alice.slash("imagine", prompt="a lighthouse")).wait_for_message(final)
    click = await alice.click(grid, "U2")
    assert click.deferred  # acknowledged by the button (a deferred update)
    upscale = await fake_discord.wait_for_message(lambda m: replies_to(m, grid) and final(m))
    labels = [b.get("label") for b in upscale.buttons]
    assert any("Vary (Strong)" in (label or "") for label in labels)
    for target in ("Vary (Strong)", "Zoom Out 2x", "⬅️", "🔄"):
        answer = await alice.click(upscale, target)
        assert answer.deferred
    children = await _children_done(fake_discord, upscale, 4)
    assert len(children) == 4
    assert len(upstream(sim, "/submit/action")) == 5


async def _children_done(fake: FakeDiscord, parent: Any, count: int) -> list[Any]:
    def done() -> list[Any]:
        return [m for m in fake.messages(parent.channel_id) if replies_to(m, parent) and final(m)]

    await fake.wait_until(lambda: len(done()) >= count, timeout=20, what="child jobs")
    return done()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


async def test_describe_then_a_prompt_button_imagines_it(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    described = await (await alice.slash("describe", image=("cat.png", png()))).wait_for_message(
        lambda m: bool(m.buttons)
    )
    assert "1️⃣" in str(described.buttons) or "Prompt 1" in str(described.buttons)
    target = next(
        b
        for b in described.buttons
        if "2" in (b.get("label") or "") or (b.get("emoji") or {}).get("name") == "2️⃣"
    )
    opened = await alice.click(described, target["custom_id"])
    assert opened.modal is not None
    ((field, _),) = opened.modal.inputs()
    assert field["value"]
    await alice.submit_modal(opened, {"Prompt": field["value"] + " --ar 3:2"})
    made = await fake_discord.wait_for_message(lambda m: replies_to(m, described) and final(m))
    assert made.buttons
    assert upstream(sim, "/submit/modal")[-1].json["prompt"].endswith("--ar 3:2")


@pytest.mark.fault(28)
async def test_hostile_images_are_refused_before_anything_is_sent(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    import struct
    import zlib

    # A tiny PNG whose header claims 10000 x 10000 pixels.
    ihdr = struct.pack(">IIBBBBB", 10000, 10000, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )
    alice = fake_discord.user("alice")
    for name, data in [("bomb.png", bomb), ("fake.png", b"<html>not an image</html>")]:
        result = await alice.slash("describe", image=(name, data))
        said = await result.wait_for_followup(lambda m: bool(m.text))
        assert name in said.text
        assert said.ephemeral  # a refusal is for the user alone
        original = result.message
        await fake_discord.wait_until(lambda m=original: m.deleted, what="no public trace")
    assert upstream(sim, "/submit/describe") == []


async def test_queued_jobs_show_what_is_ahead_and_about_when_they_start(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord
) -> None:
    from bot.sim import SimConfig
    from tests.e2e.conftest import KEY

    config = SimConfig(key=KEY, speed=20, concurrency=1, first_poll_delay=0.2)
    async with Simulator(config) as slow, run_client(make_bot(cometapi_base_url=slow.base_url)):
        alice = fake_discord.user("alice")
        started = [await alice.slash("imagine", prompt=f"a queue {n}") for n in range(3)]
        second = await started[1].wait_for_message(lambda m: "Starting…" in m.text)
        third = await started[2].wait_for_message(lambda m: "1 job(s) ahead" in m.text)
        assert "starting in about 1 min" in third.text and "Queued" not in second.text
        await started[2].wait_for_message(final, timeout=30)


async def test_permutations_start_after_a_confirmation_with_their_cost(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    asked = await alice.slash("imagine", prompt="a {red, blue} bird --repeat 2")
    confirm = await asked.wait_for_message(lambda m: bool(m.buttons))
    assert confirm.ephemeral and "**4 jobs**" in confirm.text and "**4 credits**" in confirm.text
    assert "1. a red bird" in confirm.text and "4. a blue bird" in confirm.text
    assert upstream(sim, "/submit/imagine") == []  # nothing before the confirmation
    await alice.click(confirm, "Start 4 jobs")
    await fake_discord.wait_until(lambda: "Started 4 of 4" in confirm.text, what="all started")
    prompts = sorted(r.json["prompt"] for r in upstream(sim, "/submit/imagine"))
    assert prompts == ["a blue bird", "a blue bird", "a red bird", "a red bird"]

    cancelled = await (await alice.slash("imagine", prompt="a {cat, dog}")).wait_for_message(
        lambda m: bool(m.buttons)
    )
    await alice.click(cancelled, "Cancel")
    await fake_discord.wait_until(lambda: "nothing was started" in cancelled.text, what="cancel")
    assert len(upstream(sim, "/submit/imagine")) == 4

    await fake_discord.user("moderator").slash("admin prompts max-jobs", jobs=3)
    refused = await alice.slash("imagine", prompt="a {red, blue} bird --repeat 2")
    said = await refused.wait_for_message(lambda m: bool(m.text))
    assert "4 jobs" in said.text and "at most 3" in said.text
