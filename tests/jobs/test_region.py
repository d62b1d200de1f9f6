"""The Vary (Region) session core against the simulator: mask in, Inpaint job out."""

from __future__ import annotations

import base64
import io
import time

import pytest
from PIL import Image

from bot.db.records import ChargeState, JobStatus
from bot.errors import Refused
from bot.imaging import Selection
from bot.jobs.region import HISTORY, LIFETIME, RegionService
from bot.sim import Fault
from tests.jobs.conftest import ALICE, BOB, Stack, is_

EDIT = {"prompt": "a red door", "mode": "fast", "private": False}


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


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
    image = await region.source(session)
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
    job_id, index = await upscaled(stack)
    session = await region.open(job_id, index, ALICE)
    downloads = len(stack.sim.requests)
    await region.source(session)
    await region.source(session)  # a hit: no second download
    assert len(stack.sim.requests) - downloads == 1
    edits = [
        await region.open_edit(ALICE, png(Image.new("RGB", (64, 48), (9, 9, 9 + k))), **EDIT)
        for k in range(3 * region._cache_size)
    ]
    for edit in edits:  # as many different images as three caches hold
        await region.source(edit)
    assert list(region._images) == [f"edit:{e.id}" for e in edits[-region._cache_size :]]


async def test_an_edit_sends_the_image_with_the_marked_area_transparent(
    stack: Stack, region: RegionService
) -> None:
    photo = Image.new("RGB", (300, 200), (200, 40, 40))
    session = await region.open_edit(ALICE, png(photo), **EDIT)
    assert session.is_edit and session.job_id is None
    image = await region.source(session)
    assert image.size == (300, 200)
    left = Selection.preset(region.selection_of(session, image).grid, "left")
    await region.save_selection(session.id, ALICE.user_id, left)
    child = await region.submit_selection(session.id, ALICE, "  a blue   door ")
    assert child.kind == "edits" and child.prompt == "a blue door" and child.parent_id is None
    assert child.charge_state == ChargeState.CHARGED and child.cost > 0
    done = await stack.wait_job(child.id, is_(JobStatus.SUCCEEDED))
    assert done.buttons  # a grid with its buttons, as for imagine
    (sent,) = [r.json for r in stack.sim.requests if r.route == "/mj/submit/edits"]
    assert sent["prompt"] == "a blue door"
    head, _, data = sent["image"].partition(",")
    assert head == "data:image/png;base64"
    upstream = Image.open(io.BytesIO(base64.b64decode(data)))
    assert upstream.mode == "RGBA" and upstream.size == (300, 200)
    alpha = upstream.getchannel("A")
    assert alpha.getpixel((10, 100)) == 0  # the left half: to redraw
    assert alpha.getpixel((290, 100)) == 255  # the right half: kept, colours untouched
    assert upstream.getpixel((290, 100)) == (200, 40, 40, 255)
    with pytest.raises(Refused) as used:  # one session, one job
        await region.submit_selection(session.id, ALICE, "again")
    assert used.value.key == "edit.session_gone"


async def test_an_edit_costs_nothing_until_submitted_and_refusals_keep_the_session(
    stack: Stack, region: RegionService
) -> None:
    session = await region.open_edit(ALICE, png(Image.new("RGB", (64, 64), "white")), **EDIT)
    with pytest.raises(Refused) as empty:
        await region.submit_selection(session.id, ALICE, "x")
    assert empty.value.key == "region.empty"
    with pytest.raises(Refused) as other:  # another member cannot use the session
        await region.submit_selection(session.id, BOB, "x")
    assert other.value.key == "edit.session_gone"
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (0, 0, 32, 32))
    stack.sim.faults.inject(Fault(kind="status", status=400, match="/mj/submit/edits"))
    with pytest.raises(Refused):  # refused upstream: refunded, and the session stays open
        await region.submit(session.id, ALICE, mask, "a cat")
    child = await region.submit(session.id, ALICE, mask, "   ")  # nothing had to be redone
    assert child.kind == "edits" and child.prompt == "a red door"  # the prompt of /edit
    jobs = [await stack.db.jobs.get(i) for i in (child.id - 1, child.id)]
    assert [(j.charge_state, j.kind) for j in jobs if j] == [
        (ChargeState.REFUNDED, "edits"),
        (ChargeState.CHARGED, "edits"),
    ]


async def test_an_upload_that_is_no_image_is_refused_before_a_session(
    stack: Stack, region: RegionService
) -> None:
    from bot.imaging import ImageRejected

    with pytest.raises(ImageRejected):
        await region.open_edit(ALICE, b"not an image at all", **EDIT)
    big = Image.new("RGB", (4000, 1000), "navy")
    session = await region.open_edit(ALICE, png(big), **EDIT)
    assert (await region.source(session)).size == (2048, 512)  # scaled to Midjourney's size
