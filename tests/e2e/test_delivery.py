"""Delivering results through Discord: retries, links, refunds, limits, pacing (faults.md 17,
18, 20) — counted at the fake Discord, not inside the bot."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from bot.app import MJBot
from bot.db.records import ChargeState, JobStatus
from bot.playground.standin.server import FakeDiscord
from bot.sim import Fault, Simulator
from tests.e2e.conftest import final, job_id_of, upstream


async def test_a_result_whose_download_fails_for_a_while_is_delivered(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    # Six 503s: more than one download's own retries (4), so the presenter must try again.
    sim.faults.inject(Fault(kind="status", match="/mj/image", status=503, times=6))
    result = await fake_discord.user("alice").slash("imagine", prompt="a shy boat")
    message = await result.wait_for_message(final, timeout=20)
    assert message.attachments[0].data[:4] in (b"RIFF", b"\x89PNG")
    assert "Done in" in message.text
    job = await bot.db.jobs.get(job_id_of(message))
    assert job is not None and job.meta.get("delivery_attempts", 0) >= 1


async def test_a_result_that_never_downloads_is_delivered_as_a_link(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    sim.faults.inject(Fault(kind="status", match="/mj/image", status=503, times=None))
    result = await fake_discord.user("alice").slash("imagine", prompt="a hidden boat")
    message = await result.wait_for_message(lambda m: bool(m.buttons), timeout=20)
    assert not message.attachments
    assert "/mj/image/" in message.text  # the link, in plain words, instead of silence
    job = await bot.db.jobs.get(job_id_of(message))
    assert job is not None and job.charge_state == ChargeState.CHARGED


async def test_a_result_that_is_not_an_image_is_refunded_not_uploaded(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    sim.faults.inject(Fault(kind="not_image", match="/mj/image", times=None))
    result = await fake_discord.user("alice").slash("imagine", prompt="a paper boat")
    message = await result.wait_for_message(lambda m: "charge was given back" in m.text, timeout=20)
    assert not message.attachments and not message.buttons
    job = await bot.db.jobs.get(job_id_of(message))
    assert job is not None and job.status == JobStatus.SUCCEEDED
    assert job.charge_state == ChargeState.REFUNDED
    assert [e.kind.value for e in await bot.db.ledger.entries(job.id)] == ["charge", "refund"]


@pytest.mark.fault(20)
async def test_a_result_is_fitted_under_a_lowered_attachment_limit(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    fake_discord.attachment_size_limit = 40 * 1024  # below the simulator's grid PNG
    result = await fake_discord.user("alice").slash("imagine", prompt="a detailed harbour")
    message = await result.wait_for_message(final, timeout=20)
    (attachment,) = message.attachments
    assert len(attachment.data) <= 40 * 1024
    refused = [r for r in fake_discord.requests if r.status == 413 or (r.status >= 400 and r.files)]
    assert refused == []  # accepted the first time


@pytest.mark.sim_speed(15)
@pytest.mark.fault(17)
async def test_progress_edits_are_coalesced_per_message(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord, sim: Simulator, monkeypatch: Any
) -> None:
    edits: dict[int, list[float]] = {}
    publish_edit = fake_discord.publish_edit

    async def recording(message: Any) -> None:
        edits.setdefault(message.id, []).append(time.monotonic())
        await publish_edit(message)

    monkeypatch.setattr(fake_discord, "publish_edit", recording)
    interval = 0.5
    async with run_client(make_bot(edit_interval=interval)):
        result = await fake_discord.user("alice").slash("imagine", prompt="a slow harbour")
        message = await result.wait_for_message(final, timeout=30)
    times = edits[message.id][:-1]  # the final edit goes at once, whatever the pace
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) >= 3, "the job showed no progress at all"
    # Edits start at least `interval` apart; where they land varies with the request's own
    # latency, so allow for that in each gap and bound the count over the whole run.
    assert min(gaps) >= interval / 2, f"edits {gaps} closer than {interval} s"
    assert len(times) <= (times[-1] - times[0]) / interval + 2, f"{len(times)} edits: {gaps}"


@pytest.mark.fault(7)
async def test_a_refused_job_leaves_one_private_sentence_even_after_a_restart(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    channel = fake_discord.channel("general")
    async with run_client(make_bot()):
        sim.faults.inject(Fault(kind="upstream_error", match="/mj/submit", body="quota_not_enough"))
        result = await alice.slash("imagine", prompt="a boat", channel="general")
        said = await result.wait_for_followup(lambda m: "refused" in m.text)
        assert said.ephemeral
        assert "out of credit" in said.text  # the gateway's code in words, not internals
    async with run_client(make_bot()) as again:
        await fake_discord.wait_until(lambda: again.is_ready(), what="the restarted bot")
        swept = await again.presenter.sweep(since=0)
    public = [m for m in fake_discord.messages(channel.id) if not m.ephemeral and not m.deleted]
    assert public == [], [m.text for m in public]
    assert swept == 0


async def test_the_presenter_forgets_finished_jobs(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    results = [await alice.slash("imagine", prompt=f"boat {n}") for n in range(6)]
    for result in results:
        await result.wait_for_message(final, timeout=20)

    def flat() -> bool:
        sizes = bot.presenter.sizes()
        sizes.pop("channels_budgeted")  # a 5 s window per channel, pruned past 256 channels
        return not any(sizes.values())

    await fake_discord.wait_until(flat, what="an empty presenter")
    assert len(upstream(sim, "/submit/imagine")) == 6


async def test_paid_commands_in_direct_messages_are_refused_for_free(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    result = await alice.slash("imagine", prompt="a boat", channel="dm")
    assert result.ephemeral and "direct messages" in result.message.text
    result = await alice.slash("describe", image=("cat.png", b"x"), channel="dm")
    assert result.ephemeral and "direct messages" in result.message.text
    assert not [r for r in sim.requests if "/submit/" in r.path]
    assert await bot.db.ledger.usage(None, alice.id, since=0) == 0
