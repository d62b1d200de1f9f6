"""The job state machine: which upstream task states move a job where, never backwards.

```
RESERVED ──submit──► SUBMITTED ──► QUEUED ──► RUNNING ──► SUCCEEDED
    │                    │  ▲          │          │  └────► FAILED (refunded)
    │                    ▼  │ modal    │          └───────► TIMED_OUT (refunded; a late
    │                   MODAL ─────────┘                    SUCCESS is still delivered)
    └──rejected──► FAILED (refunded)
```
MODAL goes back to SUBMITTED only when the bot itself sends `/mj/submit/modal`; after that the
gateway's stale MODAL row (mj-protocol §5b) must be ignored, which `meta["modal_sent"]` marks.

A submit whose answer was lost stays SUBMITTED without a task id while bot/jobs/reconcile.py
looks for its task by `state`; not found in time, it is TIMED_OUT (refunded, notice
"job.lost"), and a task found later still takes it to SUCCEEDED, free.
"""

from __future__ import annotations

from bot.cometapi.models import TaskStatus
from bot.db.records import JobStatus

PENDING = (JobStatus.RESERVED, JobStatus.SUBMITTED, JobStatus.QUEUED, JobStatus.RUNNING)
TERMINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.TIMED_OUT, JobStatus.CANCELLED)

_RANK = {
    JobStatus.RESERVED: 0,
    JobStatus.SUBMITTED: 1,
    JobStatus.MODAL: 1,
    JobStatus.QUEUED: 2,
    JobStatus.RUNNING: 3,
    JobStatus.SUCCEEDED: 4,
    JobStatus.FAILED: 4,
    JobStatus.TIMED_OUT: 4,
    JobStatus.CANCELLED: 4,
}


def job_status_for(task_status: TaskStatus) -> JobStatus | None:
    """What an upstream status means for the job; None for one that tells nothing."""
    return {
        TaskStatus.NOT_START: JobStatus.QUEUED,
        TaskStatus.SUBMITTED: JobStatus.QUEUED,
        TaskStatus.IN_PROGRESS: JobStatus.RUNNING,
        TaskStatus.MODAL: JobStatus.MODAL,
        TaskStatus.SUCCESS: JobStatus.SUCCEEDED,
        TaskStatus.FAILURE: JobStatus.FAILED,
        TaskStatus.CANCEL: JobStatus.FAILED,
    }.get(task_status)


def may_move(current: JobStatus, new: JobStatus, *, modal_sent: bool) -> bool:
    """True when an update from `current` to `new` is progress, not a step back."""
    if current == new:
        return False
    if current == JobStatus.TIMED_OUT:
        return new == JobStatus.SUCCEEDED  # a late success is still delivered
    if current in TERMINAL:
        return False
    if new == JobStatus.MODAL:
        # Remix tasks show MODAL only by polling; after our modal it is the stale row.
        return not modal_sent and current in (JobStatus.SUBMITTED, JobStatus.QUEUED)
    if current == JobStatus.MODAL:
        return modal_sent
    return _RANK[new] > _RANK[current]


def sources_for(new: JobStatus, *, modal_sent: bool) -> tuple[JobStatus, ...]:
    """Every status from which `new` may be reached: the compare-and-set guard in the store."""
    return tuple(s for s in JobStatus if may_move(s, new, modal_sent=modal_sent))
