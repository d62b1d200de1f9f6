from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, get_type_hints

import pytest
from sqlalchemy.exc import IntegrityError

from bot.db import (
    PENDING_STATUSES,
    ChargeState,
    Database,
    JobStatus,
    NotFound,
)
from bot.db.jobs import EDITABLE, PENDING_VALUES
from bot.db.records import JobChanges
from bot.db.schema import ACTIVE
from tests.db.conftest import FakeClock, new_job

BUTTONS = [
    {"custom_id": "MJ::JOB::upsample::1::3785da15", "emoji": "", "label": "U1", "style": 2},
    {"custom_id": "MJ::JOB::reroll::0::3785da15::SOLO", "emoji": "🔄", "label": "", "style": 2},
]


async def test_create_fills_the_defaults(db: Database, clock: FakeClock) -> None:
    job = await new_job(db)
    assert job.id >= 1
    assert job.status is JobStatus.RESERVED
    assert job.charge_state is ChargeState.NONE
    assert (job.progress, job.buttons, job.meta, job.private) == (0, (), {}, False)
    assert job.created_at == job.updated_at == job.next_poll_at == clock.now
    assert job.task_id is None
    assert job.finished_at is None
    assert await db.jobs.get(job.id) == job
    assert await db.jobs.get(job.id + 1) is None


async def test_json_fields_and_types_round_trip(db: Database, clock: FakeClock) -> None:
    job = await new_job(db, guild_id=None, private=True, meta={"ref": [1, "é"]}, mode="turbo")
    clock.advance(5)
    updated = await db.jobs.update(
        job.id,
        task_id=1773314942177684,  # type: ignore[arg-type]  # upstream may send a number
        buttons=BUTTONS,
        meta={"nested": {"a": [1, 2]}, "emoji": "🐱"},
        progress=42,
        interaction_expires_at=clock.now + 900,
        charge_state=ChargeState.CHARGED,
    )
    assert updated.task_id == "1773314942177684"
    assert updated.buttons == tuple(BUTTONS)
    assert updated.meta == {"nested": {"a": [1, 2]}, "emoji": "🐱"}
    assert updated.updated_at == clock.now
    assert updated.created_at == job.created_at
    assert (updated.guild_id, updated.private, updated.mode) == (None, True, "turbo")
    assert await db.jobs.get(job.id) == updated
    assert await db.jobs.get_by_task("1773314942177684") == updated
    assert await db.jobs.get_by_task("nope") is None


async def test_update_validates_names_and_values(db: Database) -> None:
    job = await new_job(db)
    bad: list[dict[str, Any]] = [
        {"colour": "red"},
        {"id": 5},
        {"created_at": 0.0},
        {"progress": 101},
        {"progress": True},
        {"status": "exploded"},
        {"charge_state": "stolen"},
        {"buttons": "U1"},
        {"buttons": ["U1"]},
        {"meta": [1]},
        {"private": 1},
    ]
    for fields in bad:
        with pytest.raises(ValueError):
            await db.jobs.update(job.id, **fields)
    assert await db.jobs.get(job.id) == job
    with pytest.raises(NotFound):
        await db.jobs.update(job.id + 100, progress=1)


async def test_task_ids_are_unique(db: Database) -> None:
    await new_job(db, task_id="111")
    with pytest.raises(IntegrityError):
        await new_job(db, task_id="111")
    other = await new_job(db)
    with pytest.raises(IntegrityError):
        await db.jobs.update(other.id, task_id="111")


def test_the_typed_changes_cover_exactly_the_editable_fields() -> None:
    assert set(get_type_hints(JobChanges)) == EDITABLE


def test_status_helpers_and_the_pending_sql_agree() -> None:
    assert JobStatus.RUNNING.is_pending
    assert not JobStatus.RUNNING.is_terminal
    assert JobStatus.MODAL.is_pending
    for status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.TIMED_OUT):
        assert status.is_terminal
        assert not status.is_pending
    assert set(PENDING_VALUES) == {s.value for s in PENDING_STATUSES}
    assert set(re.findall(r"'(\w+)'", ACTIVE)) == set(PENDING_VALUES)  # the index's list


async def test_interaction_tokens_stay_out_of_reprs(db: Database) -> None:
    job = await new_job(db, interaction_token="aW50ZXJhY3Rpb24tdG9rZW4")
    assert "aW50ZXJhY3Rpb24tdG9rZW4" not in repr(job)


@pytest.mark.fault(11)
async def test_transition_is_a_compare_and_set(db: Database, clock: FakeClock) -> None:
    job = await new_job(db)
    submitted = await db.jobs.transition(
        job.id, from_statuses={JobStatus.RESERVED}, to=JobStatus.SUBMITTED, task_id="1"
    )
    assert submitted is not None
    assert (submitted.status, submitted.task_id) == (JobStatus.SUBMITTED, "1")
    # The same transition again (a replayed event) changes nothing.
    again = await db.jobs.transition(
        job.id, from_statuses={JobStatus.RESERVED}, to=JobStatus.SUBMITTED, task_id="2"
    )
    assert again is None
    running = {JobStatus.SUBMITTED, JobStatus.QUEUED, JobStatus.RUNNING}
    await db.jobs.transition(job.id, from_statuses=running, to=JobStatus.RUNNING, progress=60)
    clock.advance(30)
    done = await db.jobs.transition(
        job.id, from_statuses=running, to=JobStatus.SUCCEEDED, progress=100
    )
    assert done is not None
    assert done.finished_at == clock.now
    # A late IN_PROGRESS 60 % after success must not move the job backwards.
    late = await db.jobs.transition(
        job.id, from_statuses=running, to=JobStatus.RUNNING, progress=60
    )
    assert late is None
    assert await db.jobs.get(job.id) == done
    assert await db.jobs.transition(999, from_statuses=running, to=JobStatus.FAILED) is None


async def test_transition_refuses_ambiguous_arguments(db: Database) -> None:
    job = await new_job(db)
    with pytest.raises(ValueError):
        await db.jobs.transition(
            job.id,
            from_statuses={JobStatus.RESERVED},
            to=JobStatus.SUBMITTED,
            status=JobStatus.FAILED,
        )
    with pytest.raises(ValueError):
        await db.jobs.transition(job.id, from_statuses=(), to=JobStatus.SUBMITTED)


async def test_transition_happens_exactly_once_under_concurrency(db_path: Path) -> None:
    async with await Database.open(db_path) as first, await Database.open(db_path) as second:
        job = await new_job(first, status=JobStatus.RUNNING, task_id="42")

        async def attempt(db: Database, n: int) -> Any:
            return await db.jobs.transition(
                job.id,
                from_statuses={JobStatus.RUNNING},
                to=JobStatus.SUCCEEDED,
                image_url=f"https://img/{n}",
            )

        results = await asyncio.gather(*(attempt(first if n % 2 else second, n) for n in range(20)))
        winners = [r for r in results if r is not None]
        assert len(winners) == 1
        assert await first.jobs.get(job.id) == winners[0]


async def test_the_due_scan_uses_the_partial_index(sqlite_path: Path) -> None:
    """SQLite only: its planner reports the index on an empty table, PostgreSQL's would not."""
    statuses = ", ".join(f"'{s}'" for s in PENDING_VALUES)
    async with await Database.open(sqlite_path) as db, db._read() as conn:
        plan = await conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE status IN ({statuses}) "
            "AND next_poll_at <= 0"
        )
        assert any("jobs_due" in str(row[-1]) for row in plan)


async def test_list_for_user_and_children(db: Database) -> None:
    first = await new_job(db, status=JobStatus.SUCCEEDED)
    second = await new_job(db, status=JobStatus.RUNNING, task_id="x")
    dm = await new_job(db, guild_id=None)
    await new_job(db, user_id=31)
    child = await new_job(db, parent_id=first.id, button_index=3, kind="action", action="upsample")

    ids = [j.id for j in await db.jobs.list_for_user(10, 30)]
    assert ids == [child.id, second.id, first.id]
    active = await db.jobs.list_for_user(10, 30, active_only=True)
    assert [j.id for j in active] == [child.id, second.id]
    assert [j.id for j in await db.jobs.list_for_user(10, 30, limit=1)] == [child.id]
    assert [j.id for j in await db.jobs.list_for_user(None, 30)] == [dm.id]

    children = await db.jobs.children(first.id)
    assert [(j.id, j.button_index, j.action) for j in children] == [(child.id, 3, "upsample")]
    assert await db.jobs.children(second.id) == []
