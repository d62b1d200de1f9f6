"""The Vary (Region) session core against the simulator: mask in, Inpaint job out."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from PIL import Image

from bot.db.records import ChargeState, JobStatus
from bot.errors import Refused
from bot.imaging import Selection
from bot.jobs.region import HISTORY, LIFETIME, RegionService
from bot.sim import Fault
from tests.jobs.conftest import ALICE, BOB, Stack, is_


async def upscaled(stack: Stack) -> tuple[int, int]:
    grid = await stack.service.imagine(ALICE, "a harbour --v 7", mode="fast")
    await stack.wait_job(grid.id, is_(JobStatus.SUCCEEDED))
    up = await stack.actions.press(grid.id, 0, ALICE)
    job = await stack.wait_job(up.id, is_(JobStatus.SUCCEEDED))
    index = next(i for i, b in enumerate(job.buttons) if "Inpaint" in b["customId"])
    return job.id, index


@pytest.fixture
def region(stack: Stack) -> RegionService:
    return RegionService(stack.actions, b"test-secret", public_base_url="http://127.0.0.1:1")


async def test_a_painted_selection_becomes_the_mask_upstream(
    stack: Stack, region: RegionService
) -> None:
    job_id, index = await upscaled(stack)
    session = await region.open(job_id, index, ALICE)
    _, job = await region.session(session.id, ALICE.user_id)
    image = await region.source(job)
    centre = Selection.preset(region.selection_of(session, image).grid, "centre")
    await region.save_selection(session.id, ALICE.user_id, centre)
    child = await region.submit_selection(session.id, ALICE, "a lighthouse")
    done = await stack.wait_job(child.id, is_(JobStatus.SUCCEEDED))
    assert done.parent_id == job_id
    ((_, mask),) = stack.sim.received_masks
    assert mask.size == image.size
    w, h = mask.size
    assert mask.getpixel((w // 2, h // 2)) == 255
    assert mask.getpixel((0, 0)) == 0
    modal = [r for r in stack.sim.requests if r.path.endswith("/submit/modal")][-1]
    assert modal.json["prompt"] == "a lighthouse"
    with pytest.raises(Refused):  # the session is used up
        await region.submit_selection(session.id, ALICE, "again")


@pytest.mark.fault(30)
async def test_bad_masks_are_refused_before_anything_is_charged(
    stack: Stack, region: RegionService
) -> None:
    job_id, index = await upscaled(stack)
    session = await region.open(job_id, index, ALICE)
    charged = await stack.db.ledger.usage(1, ALICE.user_id, since=0)
    for mask, key in [
        (Image.new("L", (512, 512), 0), "mask.empty"),
        (Image.new("L", (512, 512), 255), "mask.full"),
        (Image.new("L", (512, 256), 255), "mask.wrong_aspect"),
        (b"not an image", "mask.not_an_image"),
    ]:
        with pytest.raises(Refused) as caught:
            await region.submit(session.id, ALICE, mask, "x")
        assert caught.value.key == key
    assert await stack.db.ledger.usage(1, ALICE.user_id, since=0) == charged
    assert [r for r in stack.sim.requests if r.path.endswith("/submit/modal")] == []


@pytest.mark.fault(30)
async def test_an_expired_modal_task_refunds_and_says_start_again(
    stack: Stack, region: RegionService
) -> None:
    job_id, index = await upscaled(stack)
    session = await region.open(job_id, index, ALICE)
    stack.sim.faults.inject(
        Fault(kind="upstream_error", match="/mj/submit/modal", body="task_status_not_modal")
    )
    mask = Image.new("L", (512, 512), 0)
    mask.paste(255, (100, 100, 300, 300))
    child = await region.submit(session.id, ALICE, mask, "a boat")
    failed = await stack.wait_job(child.id, is_(JobStatus.FAILED))
    assert failed.charge_state == ChargeState.REFUNDED
    assert failed.meta.get("notice_key") == "region.expired"
    again = await region.open(job_id, index, ALICE)  # "start Vary Region again" works
    assert again.id != session.id


async def test_only_the_owner_opens_and_links_are_checked(
    stack: Stack, region: RegionService
) -> None:
    job_id, index = await upscaled(stack)
    with pytest.raises(Refused):
        await region.open(job_id, index, BOB)
    session = await region.open(job_id, index, ALICE)
    link = await region.link(session)
    assert link is not None
    token = link.rsplit("/", 1)[1]
    found, nonce = await region.verify(token)
    assert found.id == session.id
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, "1.2.3", token.replace(f"{session.id}.", "999.", 1)):
        with pytest.raises(Refused):
            await region.verify(bad)
    newer = await region.link(session)  # a new link supersedes the old one
    assert newer is not None
    with pytest.raises(Refused):
        await region.verify(token)
    region.clock = lambda: session.expires_at + 1  # the link outlived its session
    with pytest.raises(Refused):
        await region.verify(newer.rsplit("/", 1)[1])
    assert nonce


async def test_prune_keeps_a_day_of_history_and_drops_masks_at_once(
    stack: Stack, region: RegionService
) -> None:
    job_id, index = await upscaled(stack)
    opened = time.time()
    session = await region.open(job_id, index, ALICE)
    await stack.db.regions.stage_mask(session.id, b"\x89PNG" + bytes(5000), "a boat")
    assert await region.prune() == 0  # open: kept, mask and all
    assert await stack.db.regions.staged_mask(session.id) is not None
    region.clock = lambda: opened + LIFETIME + 60  # closed unconfirmed: the mask goes
    assert await region.prune() == 0
    assert await stack.db.regions.staged_mask(session.id) is None
    assert await stack.db.regions.get(session.id) is not None
    region.clock = lambda: opened + LIFETIME + HISTORY - 60  # still within a day
    assert await region.prune() == 0
    region.clock = lambda: opened + LIFETIME + HISTORY + 60
    assert await region.prune() == 1
    assert await stack.db.regions.get(session.id) is None
    assert HISTORY == 24 * 3600


async def test_the_source_image_cache_stays_bounded(stack: Stack, region: RegionService) -> None:
    job_id, _ = await upscaled(stack)
    job = await stack.db.jobs.get(job_id)
    assert job is not None
    downloads = len(stack.sim.requests)
    ids = [job_id + 1000 + k for k in range(3 * region._cache_size)]
    for other in ids:  # as many different jobs as three caches hold
        await region.source(replace(job, id=other))
    assert list(region._images) == ids[-region._cache_size :]
    await region.source(replace(job, id=ids[-1]))  # a hit: no download
    assert len(stack.sim.requests) - downloads == len(ids)
