"""Each injected fault kind, mapped to the right error, retried or not as retry.py says."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.cometapi.client import CometAPIClient
from bot.cometapi.errors import (
    APIConnectionError,
    APITimeout,
    AuthError,
    BadRequest,
    BadResponse,
    CometAPIError,
    RateLimited,
    ServerError,
)
from bot.cometapi.models import TaskStatus
from bot.sim import Fault
from tests.cometapi.conftest import SIM_KEY, SleepRecorder
from tests.cometapi.simflow import finished, poll

IMAGINE = "/mj/submit/imagine"


def hits(sim: Any, suffix: str) -> int:
    return sum(1 for r in sim.requests if r.path.endswith(suffix))


async def a_task(client: CometAPIClient) -> str:
    submitted = await client.imagine("lighthouse")
    assert submitted.task_id
    return submitted.task_id


# fault on a submit → error; the submit is sent exactly once and never repeated
SUBMIT_FAULTS: list[tuple[Fault, type[CometAPIError]]] = [
    (Fault(kind="status", match=IMAGINE, status=500), ServerError),
    (Fault(kind="status", match=IMAGINE, status=502), ServerError),
    (Fault(kind="status", match=IMAGINE, status=401), AuthError),
    (Fault(kind="html", match=IMAGINE), BadResponse),
    (Fault(kind="redirect", match=IMAGINE), BadResponse),
    (Fault(kind="empty", match=IMAGINE), BadResponse),
    (Fault(kind="null", match=IMAGINE), BadResponse),
    (Fault(kind="truncated", match=IMAGINE), BadResponse),
    (Fault(kind="drop", match=IMAGINE), APIConnectionError),
    (Fault(kind="upstream_error", match=IMAGINE, body="quota_not_enough"), BadRequest),
    (Fault(kind="bad_gzip", match=IMAGINE), BadResponse),
]


@pytest.mark.fault(2)
@pytest.mark.fault(6)
@pytest.mark.parametrize(("fault", "error"), SUBMIT_FAULTS, ids=lambda v: getattr(v, "kind", ""))
async def test_submit_fault_is_typed_and_never_resubmitted(
    sim: Any, client: CometAPIClient, fault: Fault, error: type[CometAPIError]
) -> None:
    sim.faults.inject(replace(fault))  # a copy: the simulator counts firings down in place
    with pytest.raises(error) as info:
        await client.imagine("lighthouse", state="job-7")
    assert type(info.value) is error
    assert hits(sim, "/submit/imagine") == 1
    if isinstance(info.value, APIConnectionError):
        assert info.value.sent  # the request arrived: the caller must reconcile
    if isinstance(info.value, BadRequest):
        assert info.value.code == 4
        assert "quota_not_enough" in info.value.description
    # A processed-then-garbled submit made exactly one task, findable by the state it sent.
    processed = fault.kind in ("truncated", "drop", "bad_gzip")
    assert [t.state for t in sim.tasks.values()] == (["job-7"] if processed else [])
    if processed and isinstance(info.value, BadResponse):  # a job may hide behind it
        assert info.value.maybe_processed


@pytest.mark.fault(2)
async def test_submit_after_read_timeout_is_not_repeated(sim: Any) -> None:
    sim.faults.inject(Fault(kind="drop", match=IMAGINE, delay=1.0))
    async with CometAPIClient(sim.base_url, SIM_KEY, timeout=0.2) as client:
        with pytest.raises(APITimeout) as info:
            await client.imagine("lighthouse")
    assert info.value.sent
    assert hits(sim, "/submit/imagine") == 1


@pytest.mark.fault(4)
async def test_submit_retries_429_honouring_retry_after(
    sim: Any, client: CometAPIClient, sleeps: SleepRecorder
) -> None:
    sim.faults.inject(Fault(kind="status", match=IMAGINE, times=2, status=429, retry_after=0.01))
    submitted = await client.imagine("lighthouse")
    assert submitted.code == 1
    assert hits(sim, "/submit/imagine") == 3
    assert len(sim.tasks) == 1  # two refusals and one job, not three
    assert sleeps.calls == [1.0, 1.0]  # the simulator rounds Retry-After up to whole seconds


@pytest.mark.fault(4)
async def test_submit_429_gives_up_after_max_attempts(
    sim: Any, client: CometAPIClient, sleeps: SleepRecorder
) -> None:
    sim.faults.inject(Fault(kind="status", match=IMAGINE, times=None, status=429))
    with pytest.raises(RateLimited):
        await client.imagine("lighthouse")
    assert hits(sim, "/submit/imagine") == 4
    assert len(sleeps.calls) == 3
    assert len(sim.tasks) == 0


@pytest.mark.fault(4)
@pytest.mark.fault(5)
@pytest.mark.fault(6)
@pytest.mark.parametrize(
    "fault",
    [
        Fault(kind="status", match="/mj/task", times=3, status=503),
        Fault(kind="status", match="/mj/task", times=2, status=429, retry_after=0.01),
        Fault(kind="html", match="/mj/task", times=3),
        Fault(kind="redirect", match="/mj/task", times=3),
        Fault(kind="empty", match="/mj/task", times=3),
        Fault(kind="truncated", match="/mj/task", times=3),
        Fault(kind="drop", match="/mj/task", times=3),
        Fault(kind="bad_gzip", match="/mj/task", times=3),
    ],
    ids=lambda f: f"{f.kind}-{f.status}",
)
@pytest.mark.parametrize("use_list", [False, True], ids=["fetch", "list"])
async def test_polls_recover_from_transient_faults(
    sim: Any, client: CometAPIClient, sleeps: SleepRecorder, fault: Fault, use_list: bool
) -> None:
    task_id = await a_task(client)
    times = fault.times or 0
    sim.faults.inject(replace(fault))  # a copy: the simulator counts firings down in place
    task = await poll(client, task_id, lambda t: True, use_list=use_list)
    assert task.id == task_id
    suffix = "/list-by-condition" if use_list else f"/{task_id}/fetch"
    assert hits(sim, suffix) == times + 1
    assert len(sleeps.calls) == times
    if fault.status == 429:
        assert sleeps.calls == [1.0, 1.0]


async def test_polls_give_up_after_max_attempts(sim: Any, client: CometAPIClient) -> None:
    task_id = await a_task(client)
    sim.faults.inject(Fault(kind="status", match="/mj/task", times=None, status=500))
    with pytest.raises(ServerError):
        await client.fetch(task_id)
    with pytest.raises(ServerError):
        await client.list_by_condition([task_id])
    assert hits(sim, f"/{task_id}/fetch") == 4
    assert hits(sim, "/list-by-condition") == 4


@pytest.mark.fault(6)
@pytest.mark.fault(10)
async def test_poll_null_means_unknown_for_fetch_and_bad_for_list(
    sim: Any, client: CometAPIClient
) -> None:
    task_id = await a_task(client)
    sim.faults.inject(Fault(kind="null", match=f"/mj/task/{task_id}/fetch", times=1))
    assert await client.fetch(task_id) is None  # the proxy's answer for an unknown id
    sim.faults.inject(Fault(kind="null", match="/mj/task/list-by-condition", times=None))
    with pytest.raises(BadResponse):
        await client.list_by_condition([task_id])


async def test_poll_latency_beyond_the_timeout_is_retried(sim: Any) -> None:
    recorder = SleepRecorder()
    async with CometAPIClient(sim.base_url, SIM_KEY, timeout=0.2, sleep=recorder) as client:
        task_id = await a_task(client)
        sim.faults.inject(Fault(kind="latency", match="/mj/task", times=1, delay=1.0))
        task = await client.fetch(task_id)
    assert task is not None
    assert len(recorder.calls) == 1


async def test_fail_fault_ends_in_failure_with_reason(sim: Any, client: CometAPIClient) -> None:
    sim.faults.inject(Fault(kind="fail", match=IMAGINE))
    task_id = await a_task(client)
    task = await poll(client, task_id, lambda t: t.status.is_terminal)
    assert task.status is TaskStatus.FAILURE
    assert task.fail_reason == "执行超时 5 分钟"
    assert task.progress == 100  # the gateway's 100% on failure is not success


async def test_stick_fault_stops_in_progress(sim: Any, client: CometAPIClient) -> None:
    sim.faults.inject(Fault(kind="stick", match=IMAGINE))
    task_id = await a_task(client)
    stuck = await poll(client, task_id, lambda t: t.status is TaskStatus.IN_PROGRESS)
    # Wait (by polling the simulator's own clock) until it should long have finished.
    planned_finish = sim.tasks[task_id].timeline.finish
    await poll(client, task_id, lambda t: sim.engine.clock.now() > planned_finish)
    again = await client.fetch(task_id)
    assert again is not None
    assert again.status is TaskStatus.IN_PROGRESS
    assert (again.progress or 0) < 100
    assert stuck.status is TaskStatus.IN_PROGRESS


async def test_other_tasks_are_unaffected_by_a_sticky_one(sim: Any, client: CometAPIClient) -> None:
    sim.faults.inject(Fault(kind="stick", match=IMAGINE, times=1))
    stuck = await a_task(client)
    fine = await a_task(client)
    done = await finished(client, fine)
    assert done.status is TaskStatus.SUCCESS
    found = await client.list_by_condition([stuck, fine])
    assert [t.id for t in found] == [stuck, fine]


async def _finished_image(sim: Any, client: CometAPIClient) -> str:
    task_id = await a_task(client)
    task = await finished(client, task_id)
    return task.image_url


@pytest.mark.parametrize("times", [1, 3])
async def test_download_recovers_from_a_503_image_host(
    sim: Any, client: CometAPIClient, sleeps: SleepRecorder, times: int
) -> None:
    url = await _finished_image(sim, client)
    sim.faults.inject(Fault(kind="status", match="/mj/image", status=503, times=times))
    data = await client.download(url, max_bytes=20_000_000)
    assert data.startswith(b"\x89PNG")
    assert hits(sim, url.rsplit("/mj", 1)[1]) == times + 1
    assert len(sleeps.calls) == times


async def test_download_gives_up_on_an_image_host_that_stays_down(
    sim: Any, client: CometAPIClient
) -> None:
    url = await _finished_image(sim, client)
    sim.faults.inject(Fault(kind="status", match="/mj/image", status=503, times=4))
    with pytest.raises(ServerError):
        await client.download(url, max_bytes=20_000_000)
    assert hits(sim, url.rsplit("/mj", 1)[1]) == 4


async def test_a_web_page_instead_of_an_image_is_a_bad_response(
    sim: Any, client: CometAPIClient
) -> None:
    url = await _finished_image(sim, client)
    sim.faults.inject(Fault(kind="not_image", times=4))
    with pytest.raises(BadResponse, match="HTML page"):
        await client.download(url, max_bytes=20_000_000)
    assert hits(sim, url.rsplit("/mj", 1)[1]) == 4  # retried like a failed poll, then given up
    sim.faults.inject(Fault(kind="not_image", times=1))
    data = await client.download(url, max_bytes=20_000_000)  # the page went away
    assert data.startswith(b"\x89PNG")
