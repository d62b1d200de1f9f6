from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.db import Database, NotFound
from tests.db.conftest import FakeClock, new_job


@pytest.mark.fault(21)
async def test_the_first_claim_wins_and_release_frees_the_button(
    db: Database, clock: FakeClock
) -> None:
    job = await new_job(db)
    assert await db.claims.claim(job.id, 2, user_id=30) is True
    assert await db.claims.claim(job.id, 2, user_id=31) is False  # a second user
    assert await db.claims.claim(job.id, 2, user_id=30) is False  # a double click
    assert await db.claims.claim(job.id, 3, user_id=31) is True  # another button
    claim = await db.claims.get(job.id, 2)
    assert claim is not None
    assert (claim.user_id, claim.child_job_id, claim.claimed_at) == (30, None, clock.now)

    assert await db.claims.release(job.id, 2) is True
    assert await db.claims.release(job.id, 2) is False
    assert await db.claims.get(job.id, 2) is None
    assert await db.claims.claim(job.id, 2, user_id=31) is True


async def test_the_child_job_is_attached_to_the_claim(db: Database) -> None:
    parent = await new_job(db)
    assert await db.claims.claim(parent.id, 0, user_id=30)
    child = await new_job(db, parent_id=parent.id, button_index=0, kind="action")
    assert await db.claims.set_child(parent.id, 0, child.id) is True
    assert await db.claims.set_child(parent.id, 1, child.id) is False  # not claimed
    claims = await db.claims.for_job(parent.id)
    assert [(c.button_index, c.child_job_id) for c in claims] == [(0, child.id)]


async def test_claiming_a_missing_job_raises_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        await db.claims.claim(12345, 0, user_id=30)


@pytest.mark.fault(21)
async def test_one_claim_wins_among_concurrent_presses(db_path: Path) -> None:
    async with await Database.open(db_path) as first, await Database.open(db_path) as second:
        job = await new_job(first)
        results = await asyncio.gather(
            *(
                (first if n % 2 else second).claims.claim(job.id, 1, user_id=100 + n)
                for n in range(20)
            )
        )
        assert results.count(True) == 1
        claim = await second.claims.get(job.id, 1)
        assert claim is not None
        assert claim.user_id == 100 + results.index(True)
