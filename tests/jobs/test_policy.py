"""The one reserve path: every paid action passes every check, in DMs and for every command
(faults.md 22, 24, 29; issue: quotas bypassed in DMs and by /describe)."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from bot.db import DatabaseBusy
from bot.db.records import ChargeState, JobStatus
from bot.errors import Refused
from bot.imaging import to_data_url
from bot.jobs.actions import PressInput
from bot.sim import Simulator
from tests.jobs.conftest import ALICE, FAST, MOD, Stack, close_stack, is_, make_stack

DM = replace(ALICE, guild_id=None, channel_id=900)
NSFW_CHANNEL = replace(ALICE, channel_nsfw=True)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = png()


def submits(stack: Stack) -> int:
    return sum("/submit/" in r.path for r in stack.sim.requests)


async def refused(stack: Stack, coro: object, key: str) -> Refused:
    before = submits(stack)
    with pytest.raises(Refused) as caught:
        await coro  # type: ignore[misc]
    assert caught.value.key == key, caught.value.fields
    assert submits(stack) == before  # nothing went upstream
    return caught.value


async def test_direct_messages_are_off_by_default(stack: Stack) -> None:
    await refused(stack, stack.service.imagine(DM, "a boat", mode="fast"), "dm.off")
    image = to_data_url(PNG, "image/png")
    await refused(stack, stack.service.describe(DM, image, mode="fast"), "dm.off")
    assert await stack.db.ledger.usage(None, DM.user_id, since=0) == 0


async def test_direct_messages_follow_the_operators_daily_quota(
    tmp_path: Path, sim: Simulator
) -> None:
    stack = await make_stack(tmp_path, sim, replace(FAST, dm_daily_jobs=2))
    try:
        for prompt in ("one", "two"):
            await stack.service.imagine(DM, prompt, mode="fast")
        refusal = await refused(stack, stack.service.imagine(DM, "three", mode="fast"), "quota.dm")
        assert refusal.fields["limit"] == 2
        assert await stack.db.ledger.usage(None, DM.user_id, since=0) == 2
    finally:
        await close_stack(stack)


async def test_describe_obeys_the_channel_list_and_the_quota(stack: Stack) -> None:
    image = to_data_url(PNG, "image/png")
    await stack.db.guilds.update(1, allowed_channel_ids=[555])
    await refused(stack, stack.service.describe(ALICE, image, mode="fast"), "channel.not_allowed")
    await stack.db.guilds.update(1, allowed_channel_ids=[], daily_quota_per_user=1)
    await stack.service.describe(ALICE, image, mode="fast")
    refusal = await refused(stack, stack.service.describe(ALICE, image, mode="fast"), "quota.user")
    assert refusal.fields["limit"] == 1
    assert int(str(refusal.fields["reset"])) > 0  # when the next one frees up


async def test_a_banned_member_is_refused_everywhere_for_free(stack: Stack) -> None:
    job = await stack.service.imagine(ALICE, "a boat", mode="fast")
    await stack.wait_job(job.id, is_(JobStatus.SUCCEEDED))
    await stack.db.guilds.ban(1, ALICE.user_id, actor_id=MOD.user_id, reason="spam")
    await refused(stack, stack.service.imagine(ALICE, "a boat", mode="fast"), "member.banned")
    image = to_data_url(PNG, "image/png")
    await refused(stack, stack.service.describe(ALICE, image, mode="fast"), "member.banned")
    await refused(stack, stack.actions.press(job.id, 0, ALICE), "member.banned")
    assert await stack.db.claims.get(job.id, 0) is None  # the button still works for others


async def test_the_guild_budget_covers_button_presses(stack: Stack) -> None:
    job = await stack.service.imagine(ALICE, "a boat", mode="fast")
    await stack.wait_job(job.id, is_(JobStatus.SUCCEEDED))
    await stack.db.guilds.update(1, monthly_budget=1)
    refusal = await refused(stack, stack.actions.press(job.id, 0, ALICE), "quota.guild")
    assert "reset" in refusal.fields
    assert await stack.db.claims.get(job.id, 0) is None
    assert await stack.db.ledger.usage(1, None, since=0) == 1


async def test_relax_needs_the_operator_and_the_guild(tmp_path: Path, sim: Simulator) -> None:
    stack = await make_stack(tmp_path, sim)
    try:
        await refused(stack, stack.service.imagine(ALICE, "a", mode="relax"), "mode.relax_off")
    finally:
        await close_stack(stack)
    stack = await make_stack(tmp_path / "on", sim, replace(FAST, relax_enabled=True))
    try:
        await stack.service.imagine(ALICE, "a", mode="relax")
        await stack.db.guilds.update(1, relax_enabled=False)
        await refused(stack, stack.service.imagine(ALICE, "b", mode="relax"), "mode.relax_off")
    finally:
        await close_stack(stack)


@pytest.mark.fault(29)
async def test_nsfw_prompts_follow_the_guild_policy(stack: Stack) -> None:
    prompt = "a n\u200bude marble statue"
    await refused(stack, stack.service.imagine(ALICE, prompt, mode="fast"), "prompt.nsfw_channel")
    job = await stack.service.imagine(NSFW_CHANNEL, prompt, mode="fast")
    assert job.charge_state == ChargeState.CHARGED
    await stack.db.guilds.update(1, nsfw_policy="block")
    await refused(
        stack, stack.service.imagine(NSFW_CHANNEL, prompt, mode="fast"), "prompt.nsfw_blocked"
    )


@pytest.mark.fault(29)
async def test_multipliers_are_capped_by_the_guild(stack: Stack) -> None:
    key = "prompt.too_many_jobs"
    refusal = await refused(
        stack, stack.service.imagine(ALICE, "a \u2014Repeat 40", mode="fast"), key
    )
    assert refusal.fields["limit"] == 10  # the default cap: one prompt, at most ten jobs
    await stack.db.guilds.update(1, max_repeat=4)
    refusal = await refused(stack, stack.service.imagine(ALICE, "{a,b,c}{d,e}", mode="fast"), key)
    assert (refusal.fields["count"], refusal.fields["limit"]) == (6, 4)
    await refused(
        stack,
        stack.service.imagine(ALICE, "a {red, blue} bird", mode="fast"),
        "prompt.one_job_per_command",
    )


@pytest.mark.fault(29)
async def test_a_guild_banned_word_added_later_stops_presses_on_old_jobs(stack: Stack) -> None:
    job = await stack.service.imagine(ALICE, "a paper boat", mode="fast")
    await stack.wait_job(job.id, is_(JobStatus.SUCCEEDED))
    await stack.db.guilds.update(1, banned_words=["boat"])
    await refused(stack, stack.actions.press(job.id, 0, ALICE), "prompt.banned")


async def test_a_claim_is_released_when_the_reservation_fails_unexpectedly(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = await stack.service.imagine(ALICE, "a boat", mode="fast")
    await stack.wait_job(job.id, is_(JobStatus.SUCCEEDED))

    async def busy(*args: object, **kwargs: object) -> None:
        raise DatabaseBusy("another writer held the lock too long")

    with monkeypatch.context() as patch:
        patch.setattr(stack.db.ledger, "reserve_within_quota", busy)
        with pytest.raises(DatabaseBusy):
            await stack.actions.press(job.id, 0, ALICE)
    assert await stack.db.claims.get(job.id, 0) is None  # not "already requested" forever
    assert await stack.db.jobs.children(job.id) == []  # the failed reservation left no row
    child = await stack.actions.press(job.id, 0, ALICE, PressInput())
    assert child.parent_id == job.id
