"""Discord misbehaving around a result (faults.md 18, 19, 29): one result message whatever
answers come back, no stream of 403s, no pings — counted at the fake Discord."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.app import MJBot
from bot.db.records import JobStatus
from bot.playground.standin.model import ATTACH_FILES, SEND_MESSAGES, VIEW_CHANNEL
from bot.playground.standin.server import FakeDiscord
from bot.sim import Fault, Simulator
from bot.ui.render import job_id_in_footer
from tests.e2e.conftest import eventually, final, job_id_of, replies_to, result_messages

MESSAGES = "/channels/*/messages"


async def lost_child(bot: MJBot, fake: FakeDiscord, sim: Simulator) -> int:
    """A U1 press whose message could not be posted (403 once): its job runs on without one."""
    alice = fake.user("alice")
    grid = await (await alice.slash("imagine", prompt="a lighthouse")).wait_for_message(final)
    sim.faults.inject(Fault(kind="stick", match="/mj/submit/action"))
    fake.faults.forbidden(MESSAGES, "POST", times=1)
    await alice.click(grid, "U1")

    async def child() -> Any:
        found = await bot.db.jobs.children(job_id_of(grid))
        return found[0] if found and found[0].task_id else None

    job = await eventually(child, "the U1 job")
    assert job.message_id is None
    return int(job.id)


@pytest.mark.fault(18)
async def test_a_5xx_while_posting_a_result_makes_one_message(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    job_id = await lost_child(bot, fake_discord, sim)
    # The post is processed, then answered 500: discord.py posts again, with the same nonce.
    fake_discord.faults.server_error(MESSAGES, "POST", after=True, times=1)
    job = await bot.db.jobs.get(job_id)
    assert job is not None and job.task_id is not None
    sim.finish(job.task_id)
    await eventually(lambda: delivered(bot, job_id), "the result delivered")
    messages = result_messages(fake_discord, job_id)
    assert len(messages) == 1, [m.id for m in messages]
    assert final(messages[0])


@pytest.mark.fault(18)
async def test_a_result_posted_just_before_a_crash_is_found_not_posted_again(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    async with run_client(make_bot()) as bot:
        job_id = await lost_child(bot, fake_discord, sim)
        # The post lands but its answer is a 500; the bot dies while it waits to retry.
        fake_discord.faults.server_error(MESSAGES, "POST", after=True, times=1)
        job = await bot.db.jobs.get(job_id)
        assert job is not None and job.task_id is not None
        sim.finish(job.task_id)
        await fake_discord.wait_until(
            lambda: result_messages(fake_discord, job_id), what="the post"
        )
        assert not await delivered(bot, job_id)
    fake_discord.clock.advance(10 * 60)  # past Discord's nonce window: only a search helps
    async with run_client(make_bot()) as again:  # the start-up sweep renders it
        await eventually(lambda: delivered(again, job_id), "the result delivered")
    messages = result_messages(fake_discord, job_id)
    assert len(messages) == 1, [m.id for m in messages]
    assert final(messages[0])


async def delivered(bot: MJBot, job_id: int) -> bool:
    job = await bot.db.jobs.get(job_id)
    return job is not None and job.meta.get("delivered") == "succeeded"


@pytest.mark.fault(19)
async def test_a_channel_closed_to_the_bot_still_gets_the_result_while_its_token_lives(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    """The command's own message is edited through the interaction's webhook, which needs no
    channel permission: revoking them mid-job costs nothing for 15 minutes."""
    sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
    alice = fake_discord.user("alice")
    result = await alice.slash("imagine", prompt="a quiet harbour", channel="imagine")
    message = await result.wait_for_message(lambda m: bool(m.embeds))
    await fake_discord.set_bot_denied("imagine", VIEW_CHANNEL | SEND_MESSAGES | ATTACH_FILES)
    (task,) = sim.tasks.values()
    sim.finish(task.id)
    await fake_discord.wait_for_edit(message.id, final)
    assert not [r for r in fake_discord.requests if r.status == 403]


@pytest.mark.fault(19)
async def test_a_channel_closed_to_the_bot_gets_the_result_by_dm_once(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    async with run_client(make_bot()) as bot:
        sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
        result = await alice.slash("imagine", prompt="a quiet harbour", channel="imagine")
        message = await result.wait_for_message(lambda m: bool(m.embeds))
        job_id = job_id_of(message)
        # Past the interaction's 15 minutes, only the bot's own token can reach the channel.
        fake_discord.clock.advance(16 * 60)
        await bot.db.jobs.update(job_id, interaction_expires_at=time.time() - 60)
        await fake_discord.set_bot_denied("imagine", VIEW_CHANNEL | SEND_MESSAGES | ATTACH_FILES)
        (task,) = sim.tasks.values()
        sim.finish(task.id)
        dm = await fake_discord.wait_for_message(
            lambda m: m.channel_id == alice.dm_channel.id and final(m), timeout=15
        )
        assert job_id_of(dm) == job_id

        async def settled() -> bool:
            job = await bot.db.jobs.get(job_id)
            return job is not None and job.meta.get("delivered") == "succeeded"

        await eventually(settled, "the job marked delivered")
    forbidden = sum(r.status == 403 for r in fake_discord.requests)
    async with run_client(make_bot()) as again:  # a restart does not try (and fail) again
        assert await again.presenter.sweep(since=0) == 0
        job = await again.db.jobs.get(job_id)
        assert job is not None and job.status == JobStatus.SUCCEEDED
    assert sum(r.status == 403 for r in fake_discord.requests) == forbidden
    # The result stays retrievable elsewhere, with working buttons.
    async with run_client(make_bot()):
        shown = await alice.slash("show", job_id=job_id, channel="general")
        again_message = await shown.wait_for_message(final)
        assert again_message.buttons


@pytest.mark.fault(29)
async def test_nothing_the_bot_posts_pings_anyone(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    alice = fake_discord.user("alice")
    prompt = "hi @everyone and @here and <@123> and <@&456>"
    result = await alice.slash("imagine", prompt=prompt)
    message = await result.wait_for_message(final)
    text = message.text
    assert "@everyone" not in text and "<@123>" not in text  # shown, but neutralised
    upscale_click = await alice.click(message, "U1")
    assert upscale_click.deferred  # acknowledged by the button (a deferred update)
    await fake_discord.wait_for_message(lambda m: replies_to(m, message) and final(m))
    # User text in message content: a file name is echoed back in the refusal.
    refused = await alice.slash("describe", image=("@everyone <@123>.png", b"not an image"))
    await refused.wait_for_followup(lambda m: "could not be used" in m.text)
    pinging = [m for m in fake_discord.world.messages.values() if m.all_pings and m.author.bot]
    assert pinging == [], [(m.text, m.all_pings) for m in pinging]


def job_messages(fake: FakeDiscord, job_id: int) -> list[Any]:
    """Every live message about the job, whatever it shows."""
    return [
        m
        for m in fake.world.messages.values()
        if not m.deleted
        and m.embeds
        and job_id_in_footer(str((m.embeds[0].get("footer") or {}).get("text", ""))) == job_id
    ]


@pytest.mark.fault(18)
async def test_a_slow_command_message_and_a_fallback_post_leave_one_message(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    """The command's first message lands but its answer is a 500 (discord.py tries again a
    second later); the job finishes meanwhile and the presenter posts its own. One stays."""
    fake_discord.faults.server_error("/webhooks/*/*/messages/*", "PATCH", after=True, times=1)
    await fake_discord.user("alice").slash("imagine", prompt="a lighthouse")
    await eventually(lambda: delivered(bot, 1), "the result delivered")
    await eventually(lambda: settled(fake_discord, 1), "one message for the job")
    (message,) = job_messages(fake_discord, 1)
    assert final(message)


async def settled(fake: FakeDiscord, job_id: int) -> bool:
    return len(job_messages(fake, job_id)) == 1


@pytest.mark.fault(13)
async def test_a_command_message_never_recorded_is_used_after_a_restart(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    """The command's message lands but its answer is a 500, and the bot stops while
    discord.py waits to try again: the job never learnt of its message. After the restart the
    result goes into that message (found through the interaction), not into a second one."""
    async with run_client(make_bot()):
        sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
        fake_discord.faults.server_error("/webhooks/*/*/messages/*", "PATCH", after=True, times=1)
        result = await fake_discord.user("alice").slash("imagine", prompt="a lighthouse")
        await fake_discord.wait_until(lambda: job_messages(fake_discord, 1), what="its message")
    async with run_client(make_bot()) as again:
        job = await again.db.jobs.get(1)
        assert job is not None and job.message_id is None and job.task_id is not None
        sim.finish(job.task_id)
        await eventually(lambda: delivered(again, 1), "the result delivered after the restart")
    (message,) = job_messages(fake_discord, 1)
    assert final(message) and message.id == result.message.id
    assert not [r for r in fake_discord.requests if r.method == "POST" and "/messages" in r.path]


@pytest.mark.fault(18)
async def test_a_result_waits_for_its_command_still_posting_the_message(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    """The command's message lands but its answer is a 500, and the job finishes while
    discord.py waits a second to send the command's edit again. The result is rendered once
    that edit is done, not before it (the repeated edit would put "waiting" back)."""
    sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
    # Twice: discord.py's second try comes 1 s after the first, its third 3 s later.
    fake_discord.faults.server_error("/webhooks/*/*/messages/*", "PATCH", after=True, times=2)
    await fake_discord.user("alice").slash("imagine", prompt="a lighthouse")
    await fake_discord.wait_until(lambda: job_messages(fake_discord, 1), what="its message")
    (task,) = sim.tasks.values()
    sim.finish(task.id)
    await eventually(lambda: delivered(bot, 1), "the result delivered")
    await eventually(lambda: settled(fake_discord, 1), "one message for the job")
    (message,) = job_messages(fake_discord, 1)
    assert final(message) and "Waiting" not in message.text
    assert "/mj-1.png" in message.embeds[0]["image"]["url"]  # the embed shows the result


@pytest.mark.fault(18)
async def test_a_result_waits_for_a_click_still_posting_its_message(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    """A click's post is slow at Discord and its job finishes meanwhile: the result goes
    into that message once it is posted. No second message is posted (and then deleted)."""
    alice = fake_discord.user("alice")
    grid = await (await alice.slash("imagine", prompt="a lighthouse")).wait_for_message(final)
    sim.faults.inject(Fault(kind="stick", match="/mj/submit/action"))
    fake_discord.faults.slow(MESSAGES, "POST", delay=3.0, times=1)
    await alice.click(grid, "U1")
    child = job_id_of(grid) + 1

    async def submitted() -> Any:
        job = await bot.db.jobs.get(child)
        return job if job is not None and job.task_id else None

    sim.finish((await eventually(submitted, "the U1 job submitted")).task_id)
    await eventually(lambda: delivered(bot, child), "the result delivered")
    (message,) = job_messages(fake_discord, child)
    assert final(message) and replies_to(message, grid)
    posts = [r for r in fake_discord.requests if (r.method, r.path[-9:]) == ("POST", "/messages")]
    assert len(posts) == 1, [r.path for r in posts]


@pytest.mark.fault(18)
async def test_a_button_message_posted_halfway_is_not_left_beside_the_result(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    """A click's own message lands, but its answer never reaches the bot (a 500, then the
    bot dies): the job has no message. The result goes into the click's message, found
    again through its nonce even after more than a page of chatter in the channel."""
    alice = fake_discord.user("alice")
    async with run_client(make_bot()):
        grid = await (await alice.slash("imagine", prompt="a lighthouse")).wait_for_message(final)
        sim.faults.inject(Fault(kind="stick", match="/mj/submit/action"))
        fake_discord.faults.server_error(MESSAGES, "POST", after=True, times=1)
        await alice.click(grid, "U1")
        child = job_id_of(grid) + 1
        await fake_discord.wait_until(lambda: job_messages(fake_discord, child), what="its post")
    (posted,) = job_messages(fake_discord, child)
    for n in range(120):  # one page of history no longer reaches the click's message
        await alice.send(grid.channel_id, f"chatter {n}")
    async with run_client(make_bot()) as again:
        job = await again.db.jobs.get(child)
        assert job is not None and job.message_id is None and job.task_id is not None
        sim.finish(job.task_id)
        await eventually(lambda: delivered(again, child), "the result delivered")
    (message,) = job_messages(fake_discord, child)
    assert final(message) and message.id == posted.id and replies_to(message, grid)


@pytest.mark.fault(18)
async def test_a_connection_dropped_under_the_final_render_is_tried_again(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    """Discord (or a proxy) closes a kept-alive connection just as the final edit goes out:
    discord.py does not retry that, so the presenter does; the result is not left for the
    next start's sweep."""
    sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
    await fake_discord.user("alice").slash("imagine", prompt="a lighthouse")
    await fake_discord.wait_until(lambda: job_messages(fake_discord, 1), what="its message")
    dropped = fake_discord.faults.disconnect("*/messages/*", "PATCH", times=1)
    (task,) = sim.tasks.values()
    sim.finish(task.id)
    await eventually(lambda: delivered(bot, 1), "the result delivered")
    assert dropped.hits == 1
    (message,) = job_messages(fake_discord, 1)
    assert final(message)
