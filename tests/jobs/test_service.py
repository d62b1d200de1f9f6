"""JobService + Tracker against the simulator: the money rules and the state machine."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.db.records import ChargeState, JobStatus
from bot.errors import Refused
from bot.jobs.actions import PressInput
from bot.sim import Fault, Simulator
from tests.jobs.conftest import ALICE, BOB, FAST, MOD, Stack, close_stack, is_, make_stack

DONE = JobStatus.SUCCEEDED


async def imagine(stack: Stack, prompt: str = "a paper boat --v 7", **kw: object) -> int:
    job = await stack.service.imagine(ALICE, prompt, mode="fast", **kw)  # type: ignore[arg-type]
    return job.id


async def test_imagine_runs_to_success_with_buttons_and_one_charge(stack: Stack) -> None:
    job_id = await imagine(stack)
    job = await stack.wait_job(job_id, is_(DONE))
    assert job.progress == 100
    assert job.image_url and job.task_id
    labels = [b.get("label") or b.get("emoji") for b in job.buttons]
    assert labels[:4] == ["U1", "U2", "U3", "U4"]
    assert len(job.buttons) == 9
    assert job.charge_state == ChargeState.CHARGED
    assert len(stack.events_for(job_id, "finished")) == 1
    submits = [r for r in stack.sim.requests if r.path.endswith("/submit/imagine")]
    assert len(submits) == 1
    assert submits[0].json["state"] == f"{await stack.db.instance()}-{job_id}"
    # Progress shown never decreases.
    seen = [e.job.progress for e in stack.events if e.job.id == job_id]
    assert seen == sorted(seen)


async def test_the_tracker_polls_in_batches(stack: Stack) -> None:
    ids = await asyncio.gather(*(imagine(stack, f"boat {i}") for i in range(30)))
    for job_id in ids:
        await stack.wait_job(job_id, is_(DONE))
    polls = [r for r in stack.sim.requests if "list-by-condition" in r.path]
    fetches = [r for r in stack.sim.requests if r.path.endswith("/fetch")]
    assert fetches == []
    assert max(len(r.json["ids"]) for r in polls) > 1


async def test_jobs_due_soon_fill_the_last_request_of_a_round(
    tmp_path: Path, sim: Simulator
) -> None:
    """Several processes each wake for a few due jobs of their own: jobs due within a quarter
    of the young interval fill the round's last request, and make none of their own."""
    config = replace(FAST, poll_young=20.0, batch_size=2)
    stack = await make_stack(tmp_path, sim, config, start=False)
    try:
        ids = [await imagine(stack, f"boat {i}") for i in range(6)]
        now = time.time()
        for n, job_id in enumerate(ids):  # 3 due, 2 due soon (within 20 s * 0.25), 1 later
            await stack.db.jobs.reschedule([job_id], now + (-3, -2, -1, 2, 3, 10)[n])
        task_of = {}
        for job_id in ids:
            job = await stack.db.jobs.get(job_id)
            assert job is not None
            task_of[job.task_id] = ids.index(job_id)
        stack.sim.requests.clear()
        await stack.tracker.round()
        polls = [r.json["ids"] for r in stack.sim.requests if "list-by-condition" in r.path]
        assert [sorted(task_of[t] for t in p) for p in polls] == [[0, 1], [2, 3]]
        stack.sim.requests.clear()  # the other job due soon: no request just for it
        await stack.tracker.round()
        assert not [r for r in stack.sim.requests if "list-by-condition" in r.path]
        job = await stack.db.jobs.get(ids[4])
        assert job is not None and job.next_poll_at == pytest.approx(now + 3)
    finally:
        await close_stack(stack)


@pytest.mark.fault(9)
async def test_banned_word_failure_is_refunded_once(stack: Stack) -> None:
    job_id = await imagine(stack, "a nsfwword cat")  # the simulator's own banned list
    job = await stack.wait_job(job_id, is_(JobStatus.FAILED))
    assert job.charge_state == ChargeState.REFUNDED
    assert "敏感词" in (job.fail_reason or "")
    entries = await stack.db.ledger.entries(job_id)
    assert [e.kind.value for e in entries] == ["charge", "refund"]
    assert len(stack.events_for(job_id, "failed")) == 1
    # The same failure seen again (webhook after poll) changes nothing.
    await stack.service.apply(await stack.pool.client("sk-test-jobs").fetch(job.task_id or ""))
    assert len(await stack.db.ledger.entries(job_id)) == 2


@pytest.mark.fault(7)
@pytest.mark.parametrize(
    ("fault", "key"),
    [
        (Fault(kind="status", match="/mj/submit", status=401), "upstream.auth"),
        (
            Fault(kind="upstream_error", match="/mj/submit", body="quota_not_enough"),
            "upstream.rejected",
        ),
    ],
)
async def test_refused_submit_is_not_charged(stack: Stack, fault: Fault, key: str) -> None:
    stack.sim.faults.inject(fault)
    with pytest.raises(Refused) as caught:
        await imagine(stack)
    assert caught.value.key == key
    assert await stack.db.ledger.usage(1, ALICE.user_id, since=0) == 0


@pytest.mark.fault(2)
async def test_ambiguous_submit_is_reconciled_not_resubmitted(
    tmp_path: Path, sim: Simulator
) -> None:
    stack = await make_stack(tmp_path / "x", sim)
    try:
        # The answer never comes (a read timeout): the task is found by its state instead.
        sim.faults.inject(Fault(kind="drop", match="/mj/submit/imagine", delay=5))
        job = await stack.service.imagine(ALICE, "boat", mode="fast")
        assert job.status == JobStatus.SUBMITTED and job.task_id is None
        done = await stack.wait_job(job.id, is_(DONE), timeout=15)
        assert done.charge_state == ChargeState.CHARGED
        imagines = [r for r in sim.requests if r.path.endswith("/submit/imagine")]
        assert len(imagines) == 1  # never resubmitted
    finally:
        await close_stack(stack)


@pytest.mark.fault(8)
async def test_deadline_times_out_and_refunds_once(tmp_path: Path, sim: Simulator) -> None:
    config = replace(FAST, deadline_seconds=0.5)
    stack = await make_stack(tmp_path / "x", sim, config)
    try:
        sim.faults.inject(Fault(kind="stick", match="/mj/submit/imagine"))
        job_id = await imagine(stack)
        event = await stack.wait_event(job_id, "failed")  # sent after the refund's commit
        assert event.job.status == JobStatus.TIMED_OUT
        assert event.job.charge_state == ChargeState.REFUNDED
        entries = await stack.db.ledger.entries(job_id)
        assert [e.kind.value for e in entries] == ["charge", "refund"]
        assert len(stack.events_for(job_id, "failed")) == 1
    finally:
        await close_stack(stack)


@pytest.mark.fault(10)
async def test_unknown_task_fails_after_some_polls(stack: Stack) -> None:
    job_id = await imagine(stack)
    job = await stack.wait_job(job_id, lambda j: j.task_id is not None)
    other = await stack.db.jobs.update(job_id, task_id="1700000000000999")
    assert other.task_id != job.task_id
    done = await stack.wait_job(job_id, is_(JobStatus.FAILED))
    assert done.charge_state == ChargeState.REFUNDED


@pytest.mark.fault(5)
async def test_polling_survives_5xx_and_tells_once(stack: Stack) -> None:
    stack.sim.faults.inject(
        # More failures than the client retries in one poll: whole rounds fail and back off.
        Fault(kind="status", match="/mj/task/list-by-condition", status=503, times=8)
    )
    job_id = await imagine(stack)
    await stack.wait_job(job_id, is_(DONE), timeout=20)
    assert len(stack.events_for(job_id, "notice")) == 1  # "delayed", said once


@pytest.mark.fault(13)
async def test_restart_resumes_without_resubmitting(tmp_path: Path, sim: Simulator) -> None:
    first = await make_stack(tmp_path, sim, start=False)  # no tracker: the bot "dies"
    job = await first.service.imagine(ALICE, "boat", mode="fast")
    await close_stack(first)
    second = await make_stack(tmp_path, sim, start=False)
    try:
        assert await second.service.resume() == 1
        second.tracker.start()
        await second.wait_job(job.id, is_(DONE))
        assert len([r for r in sim.requests if r.path.endswith("/submit/imagine")]) == 1
    finally:
        await close_stack(second)


@pytest.mark.fault(21)
async def test_double_click_makes_one_action(stack: Stack) -> None:
    job_id = await imagine(stack)
    await stack.wait_job(job_id, is_(DONE))
    results = await asyncio.gather(
        stack.actions.press(job_id, 1, ALICE),
        stack.actions.press(job_id, 1, MOD),
        return_exceptions=True,
    )
    children = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(children) == 1
    assert [r.key for r in refused] == ["button.on_its_way"]  # the first is being submitted
    actions = [r for r in stack.sim.requests if r.path.endswith("/submit/action")]
    assert len(actions) == 1
    assert (
        await stack.db.ledger.usage(1, MOD.user_id, since=0)
        + await stack.db.ledger.usage(1, ALICE.user_id, since=0)
        == 2
    )  # the grid and one action: one charge for the double click
    child = await stack.wait_job(children[0].id, is_(DONE))
    assert child.parent_id == job_id
    assert any("Vary" in (b.get("label") or "") for b in child.buttons)


@pytest.mark.fault(22)
async def test_someone_else_is_refused_by_default(stack: Stack) -> None:
    job_id = await imagine(stack)
    await stack.wait_job(job_id, is_(DONE))
    with pytest.raises(Refused) as caught:
        await stack.actions.press(job_id, 0, BOB)
    assert caught.value.key == "button.denied"
    assert not [r for r in stack.sim.requests if r.path.endswith("/submit/action")]
    assert await stack.db.ledger.usage(1, BOB.user_id, since=0) == 0


@pytest.mark.fault(23)
@pytest.mark.parametrize(("job_id", "index"), [(999, 0), (1, 24)])
async def test_stale_buttons_expire(stack: Stack, job_id: int, index: int) -> None:
    await stack.wait_job(await imagine(stack), is_(DONE))
    with pytest.raises(Refused) as caught:
        await stack.actions.press(job_id, index, ALICE)
    assert caught.value.key == "button.expired"


async def upscaled(stack: Stack) -> int:
    grid = await imagine(stack)
    await stack.wait_job(grid, is_(DONE))
    child = await stack.actions.press(grid, 0, ALICE)
    await stack.wait_job(child.id, is_(DONE))
    return child.id


def index_of(job_buttons: tuple[dict[str, object], ...], needle: str) -> int:
    for i, b in enumerate(job_buttons):
        if needle in str(b.get("customId")):
            return i
    raise AssertionError(f"no {needle} button in {job_buttons}")


@pytest.mark.fault(7)
async def test_custom_zoom_goes_through_the_modal(stack: Stack) -> None:
    up = await stack.db.jobs.get(await upscaled(stack))
    assert up is not None
    index = index_of(up.buttons, "CustomZoom")
    child = await stack.actions.press(
        up.id, index, ALICE, PressInput(prompt="a paper boat --v 7 --zoom 1.5")
    )
    done = await stack.wait_job(child.id, is_(DONE))
    modal = [r for r in stack.sim.requests if r.path.endswith("/submit/modal")]
    assert len(modal) == 1
    assert "--zoom 1.5" in modal[0].json["prompt"]
    assert done.meta.get("modal_sent")


async def test_remix_sends_the_edited_prompt(stack: Stack) -> None:
    up = await stack.db.jobs.get(await upscaled(stack))
    assert up is not None
    index = index_of(up.buttons, "high_variation")
    child = await stack.actions.press(
        up.id, index, ALICE, PressInput(prompt="a paper plane --v 7", remix=True)
    )
    await stack.wait_job(child.id, is_(DONE))
    actions = [r for r in stack.sim.requests if r.path.endswith("/submit/action")]
    assert actions[-1].json.get("enableRemix") is True
    modal = [r for r in stack.sim.requests if r.path.endswith("/submit/modal")]
    assert modal[-1].json["prompt"] == "a paper plane --v 7"


async def test_vary_region_without_a_mask_is_refused_free(stack: Stack) -> None:
    up = await stack.db.jobs.get(await upscaled(stack))
    assert up is not None
    with pytest.raises(Refused) as caught:
        await stack.actions.press(up.id, index_of(up.buttons, "Inpaint"), ALICE)
    assert caught.value.key == "region.session_gone"
    assert await stack.db.claims.get(up.id, index_of(up.buttons, "Inpaint")) is None


@pytest.mark.fault(11)
async def test_out_of_order_updates_never_go_backwards(stack: Stack) -> None:
    from bot.cometapi.models import Task

    job_id = await imagine(stack)
    job = await stack.wait_job(job_id, is_(DONE))
    stale = Task.from_dict({"id": job.task_id, "status": "IN_PROGRESS", "progress": "60%"})
    await stack.service.apply(stale)
    again = await stack.db.jobs.get(job_id)
    assert again is not None
    assert again.status == DONE and again.progress == 100
    assert len(stack.events_for(job_id, "finished")) == 1


@pytest.mark.fault(29)
async def test_a_remix_prompt_is_checked_before_anything_is_charged(stack: Stack) -> None:
    up = await stack.db.jobs.get(await upscaled(stack))
    assert up is not None
    index = index_of(up.buttons, "high_variation")
    actions = len([r for r in stack.sim.requests if r.path.endswith("/submit/action")])
    for prompt, key in [
        ("a g\u200bore scene", "prompt.banned"),
        ("x" * 3000, "prompt.too_long"),
        ("a boat \u2014Repeat 40", "prompt.too_many_jobs"),
    ]:
        with pytest.raises(Refused) as caught:
            await stack.actions.press(up.id, index, ALICE, PressInput(prompt=prompt, remix=True))
        assert caught.value.key == key
    assert len([r for r in stack.sim.requests if r.path.endswith("/submit/action")]) == actions
    assert await stack.db.claims.get(up.id, index) is None


async def test_a_new_preview_link_alone_is_kept_but_not_shown(stack: Stack) -> None:
    from bot.cometapi.models import Task, TaskStatus

    job = await stack.db.jobs.create(
        guild_id=1, channel_id=100, user_id=ALICE.user_id, kind="imagine",
        status=JobStatus.RUNNING, task_id="9000000000000001",
    )  # fmt: skip

    def changed() -> int:
        return len(stack.events_for(job.id, "changed"))

    await stack.service.apply(
        Task(
            id="9000000000000001",
            status=TaskStatus.IN_PROGRESS,
            progress=40,
            image_url="http://p/1",
        )
    )
    assert changed() == 1
    await stack.service.apply(
        Task(
            id="9000000000000001",
            status=TaskStatus.IN_PROGRESS,
            progress=40,
            image_url="http://p/2",
        )
    )
    assert changed() == 1  # the message is not edited for it…
    assert (await stack.db.jobs.get(job.id)).image_url == "http://p/2"  # type: ignore[union-attr]
    await stack.service.apply(
        Task(
            id="9000000000000001",
            status=TaskStatus.IN_PROGRESS,
            progress=55,
            image_url="http://p/2",
        )
    )
    assert changed() == 2  # …the next progress step shows it
