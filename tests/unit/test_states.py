from __future__ import annotations

import pytest

from bot.cometapi.models import TaskStatus
from bot.db.records import JobStatus as S
from bot.jobs.states import job_status_for, may_move, sources_for


@pytest.mark.fault(8)
@pytest.mark.fault(11)
@pytest.mark.parametrize(
    ("current", "new", "modal_sent", "ok"),
    [
        (S.RESERVED, S.SUBMITTED, False, True),
        (S.SUBMITTED, S.RUNNING, False, True),
        (S.RUNNING, S.QUEUED, False, False),  # never backwards
        (S.RUNNING, S.SUCCEEDED, False, True),
        (S.SUCCEEDED, S.RUNNING, False, False),
        (S.SUCCEEDED, S.FAILED, False, False),
        (S.FAILED, S.SUCCEEDED, False, False),
        (S.TIMED_OUT, S.SUCCEEDED, False, True),  # a late success is still delivered
        (S.TIMED_OUT, S.FAILED, False, False),
        (S.SUBMITTED, S.MODAL, False, True),  # remix: MODAL seen by polling
        (S.SUBMITTED, S.MODAL, True, False),  # the stale row after our modal
        (S.RUNNING, S.MODAL, False, False),
        (S.MODAL, S.RUNNING, False, False),  # only our own modal submit moves it on
        (S.MODAL, S.RUNNING, True, True),
        (S.QUEUED, S.QUEUED, False, False),
    ],
)
def test_transitions(current: S, new: S, modal_sent: bool, ok: bool) -> None:
    assert may_move(current, new, modal_sent=modal_sent) is ok
    assert (current in sources_for(new, modal_sent=modal_sent)) is ok


def test_upstream_statuses_map() -> None:
    assert job_status_for(TaskStatus.parse("")) is None
    assert job_status_for(TaskStatus.parse("IN_PROGRESS")) == S.RUNNING
    assert job_status_for(TaskStatus.parse("SUCCESS")) == S.SUCCEEDED
    assert job_status_for(TaskStatus.parse("FAILURE")) == S.FAILED
    assert job_status_for(TaskStatus.parse("WHATEVER")) is None
