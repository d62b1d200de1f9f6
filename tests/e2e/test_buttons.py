"""Buttons through Discord: modals, restarts, double clicks, permissions, stale ids."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bot.app import MJBot
from bot.playground.standin.server import FakeDiscord
from bot.sim import Fault, Simulator
from tests.e2e.conftest import final, job_id_of, replies_to, upstream


async def grid_and_upscale(fake: FakeDiscord, user: Any) -> tuple[Any, Any]:
    grid = await (await user.slash("imagine", prompt="a red kite --v 7")).wait_for_message(final)
    await user.click(grid, "U1")
    up = await fake.wait_for_message(lambda m: replies_to(m, grid) and final(m))
    return grid, up


def modal_input(modal: Any) -> dict[str, Any]:
    ((component, _label),) = modal.inputs()
    return component


@pytest.mark.fault(7)
async def test_custom_zoom_opens_a_prefilled_modal(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    _, up = await grid_and_upscale(fake_discord, alice)
    opened = await alice.click(up, "Custom Zoom")
    assert opened.modal is not None
    prefill = modal_input(opened.modal)["value"]
    assert prefill.endswith("--zoom 2")
    assert upstream(sim, "/submit/action")[-1].json["customId"].startswith("MJ::JOB::upsample")
    bad = await alice.submit_modal(opened, {"Prompt": "a red kite --v 7 --zoom 3"})
    told = await bad.wait_for_message(lambda m: bool(m.text))
    assert "zoom must be" in told.text
    opened = await alice.click(told, "Edit again")  # the form again, with what was typed
    assert modal_input(opened.modal)["value"] == "a red kite --v 7 --zoom 3"
    await alice.submit_modal(opened, {"Prompt": "a red kite --v 7 --zoom 1.5"})
    zoomed = await fake_discord.wait_for_message(lambda m: replies_to(m, up) and final(m))
    assert "--zoom 1.5" in upstream(sim, "/submit/modal")[-1].json["prompt"]
    assert zoomed.attachments


async def test_remix_asks_for_a_prompt_first(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    answer = await alice.slash("settings", remix=True)
    assert "Remix is on" in answer.message.text
    grid = await (await alice.slash("imagine", prompt="a blue bird")).wait_for_message(final)
    opened = await alice.click(grid, "V3")
    assert opened.modal is not None
    assert "a blue bird" in modal_input(opened.modal)["value"]
    await alice.submit_modal(opened, {"Prompt": "a golden bird"})
    await fake_discord.wait_for_message(lambda m: replies_to(m, grid) and final(m))
    assert upstream(sim, "/submit/action")[-1].json["enableRemix"] is True
    assert upstream(sim, "/submit/modal")[-1].json["prompt"] == "a golden bird"


@pytest.mark.fault(21)
@pytest.mark.fault(22)
async def test_double_click_makes_one_job_and_others_are_refused(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
    grid = await (await alice.slash("imagine", prompt="a castle")).wait_for_message(final)
    refused = await bob.click(grid, "U3")
    assert refused.ephemeral
    assert "Only the person" in refused.message.text
    clicks = await asyncio.gather(alice.click(grid, "U2"), alice.click(grid, "U2"))
    assert all(c.deferred for c in clicks)  # acknowledged by the button, not a message
    told = await fake_discord.wait_until(
        lambda: [f.text for c in clicks for f in c.followups], what="the second press told"
    )
    assert len(told) == 1 and "already on its way" in told[0]
    await fake_discord.wait_until(
        lambda: grid.find_component("U2")["style"] == 1, what="U2 shown as pressed"
    )
    await fake_discord.wait_for_message(lambda m: replies_to(m, grid) and final(m))
    assert len(upstream(sim, "/submit/action")) == 1
    # The moderator may press by the default policy.
    await fake_discord.user("moderator").click(grid, "U4")
    await fake_discord.wait_until(
        lambda: len(upstream(sim, "/submit/action")) == 2, what="the moderator's action"
    )


@pytest.mark.fault(23)
async def test_expired_and_forged_buttons_get_a_sentence(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    channel = fake_discord.channel("general")
    forged = await _post_raw_buttons(fake_discord, channel, ["mj:v1:b:99999:1", "junk:1"])
    for custom_id in ("mj:v1:b:99999:1", "junk:1"):
        answer = await alice.click(forged, custom_id)
        assert answer.ephemeral
        assert "expired" in answer.message.text
    assert upstream(sim, "/submit/action") == []


async def _post_raw_buttons(fake: FakeDiscord, channel: Any, ids: list[str]) -> Any:
    """A message by the bot carrying arbitrary custom ids, as an old or forged one would."""
    rows = [
        {
            "type": 1,
            "components": [{"type": 2, "style": 2, "label": i, "custom_id": i} for i in ids],
        }
    ]
    message = fake.new_message(channel, fake.world.bot)
    fake.apply(message, {"content": "old", "components": rows}, [], creating=True)
    await fake.publish(message)
    return message


@pytest.mark.fault(13)
async def test_restart_mid_job_and_old_buttons_after_restart(
    make_bot: Callable[..., MJBot],
    run_client: Callable[..., Any],
    fake_discord: FakeDiscord,
    sim: Simulator,
) -> None:
    alice = fake_discord.user("alice")
    async with run_client(make_bot()):
        grid = await (await alice.slash("imagine", prompt="a ship")).wait_for_message(final)
        sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
        pending = await alice.slash("imagine", prompt="a second ship")
        await pending.wait_for_message(lambda m: bool(m.embeds))
        task_id = upstream(sim, "/submit/imagine")[-1]
    stuck = [t for t in sim.tasks.values() if "second ship" in t.prompt]
    assert len(stuck) == 1
    async with run_client(make_bot()):
        sim.finish(stuck[0].id)
        done = await pending.wait_for_message(final)
        assert "a second ship" in done.text
        await alice.click(grid, "U1")  # a button posted before the restart
        await fake_discord.wait_for_message(lambda m: replies_to(m, grid) and final(m))
    assert task_id is not None
    assert len(upstream(sim, "/submit/imagine")) == 2  # nothing submitted again


async def test_a_private_job_stays_ephemeral(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    result = await alice.slash("imagine", prompt="a secret garden", private=True)
    assert result.ephemeral
    message = await result.wait_for_message(final)
    assert message.ephemeral
    bob_sees = fake_discord.visible_to(fake_discord.user("bob"), message.channel_id)
    assert message.id not in [m.id for m in bob_sees]


async def test_show_reposts_with_working_buttons_and_info_lists_jobs(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    grid = await (await alice.slash("imagine", prompt="a bridge")).wait_for_message(final)
    job_id = job_id_of(grid)
    shown = await (await alice.slash("show", job_id=job_id)).wait_for_message(final)
    assert shown.id != grid.id
    await alice.click(shown, "U1")
    await fake_discord.wait_until(
        lambda: len(upstream(sim, "/submit/action")) == 1,
        what="an action from the re-posted message",
    )
    info = await alice.slash("info")
    assert info.ephemeral
    assert "Used today" in info.message.text
    missing = await alice.slash("show", job_id=424242)
    assert "can't find" in missing.message.text


async def test_reroll_three_times_makes_three_jobs_and_a_second_u2_links_to_the_first(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    bot.actions.double_click = 0.0  # each press a deliberate one (no waiting in a test)
    alice = fake_discord.user("alice")
    grid = await (await alice.slash("imagine", prompt="a lighthouse")).wait_for_message(final)
    for n in range(1, 4):
        await alice.click(grid, "🔄")
        await fake_discord.wait_until(
            lambda n=n: (
                len(
                    [
                        m
                        for m in fake_discord.messages("general")
                        if replies_to(m, grid) and final(m)
                    ]
                )
                == n
            ),
            what=f"reroll {n}",
        )
    assert len(upstream(sim, "/submit/action")) == 3

    await alice.click(grid, "U2")
    up = await fake_discord.wait_for_message(
        lambda m: replies_to(m, grid) and "Image #2" in m.text and final(m)
    )
    again = await alice.click(grid, "U2")
    text = (await again.wait_for_followup(lambda m: bool(m.text))).text
    assert "upscaled already" in text and str(up.id) in text
    assert len(upstream(sim, "/submit/action")) == 4


async def test_a_failed_job_offers_try_again_charged_as_new(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
    sim.faults.inject(Fault(kind="fail", match="/mj/submit/imagine", times=1))
    started = await alice.slash("imagine", prompt="a stubborn kite")
    failed = await started.wait_for_message(lambda m: "Try again" in str(m.buttons))
    assert "charged as a new one" in failed.text
    assert (
        "Only the person" in (await (await bob.click(failed, "Try again")).wait_for_message()).text
    )
    again = await alice.click(failed, "Try again")
    done = await again.wait_for_message(final, timeout=20)
    assert "a stubborn kite" in done.text and done.id != failed.id
    first, second = job_id_of(failed), job_id_of(done)
    assert (await bot.db.jobs.get(second)).meta["retry_of"] == first  # type: ignore[union-attr]
    charges = await bot.db.ledger.entries(first) + await bot.db.ledger.entries(second)
    assert sorted(e.kind.value for e in charges) == ["charge", "charge", "refund"]
