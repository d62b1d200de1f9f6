"""The image link: real, decodable pictures of the documented sizes; previews while running."""

from __future__ import annotations

import httpx
import pytest

from bot.sim import Simulator
from bot.sim.images import draw
from bot.sim.tasks import Recipe
from tests.sim.helpers import decode, imagine, post


@pytest.mark.parametrize(
    ("ar", "size"),
    [("", (1024, 1024)), ("--ar 16:9", (1024, 576)), ("--ar 2:3", (684, 1024))],
)
async def test_grid_sizes(
    client: httpx.AsyncClient, sim: Simulator, ar: str, size: tuple[int, int]
) -> None:
    done = await imagine(client, sim, f"sized {ar}")
    async with httpx.AsyncClient() as anonymous:  # no key needed
        resp = await anonymous.get(done["imageUrl"] + "?rand=123")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "image/png"
    assert decode(resp.content).size == size


async def test_preview_while_running(client: httpx.AsyncClient, sim: Simulator) -> None:
    env = await post(client, "/mj/submit/imagine", {"prompt": "preview"})
    sim.stick(env["result"])
    task = await sim.wait_for_status(env["result"], "IN_PROGRESS")
    while task["progress"] == "0%":
        task = await sim.wait_for_status(env["result"], "IN_PROGRESS")
    assert "?rand=" in task["imageUrl"]
    resp = await client.get(task["imageUrl"])
    assert resp.headers["content-type"] == "image/webp"
    assert decode(resp.content).size == (512, 512)


async def test_image_not_ready_or_unknown(client: httpx.AsyncClient, sim: Simulator) -> None:
    assert (await client.get("/mj/image/123")).status_code == 404
    # A paused clock: the task holds each status however busy the machine is (at speed 1000
    # it used to finish before the GET now and then).
    sim.clock.pause()
    env = await post(client, "/mj/submit/imagine", {"prompt": "soon"})
    task_id = env["result"]
    tl = sim.tasks[task_id].timeline
    assert tl is not None
    steps = [
        (tl.submit, ""),
        ((tl.visible + tl.start) / 2, "NOT_START"),
        ((tl.start + tl.running) / 2, "SUBMITTED"),
        (tl.running, "IN_PROGRESS"),  # 0%: no preview yet
    ]
    for at, status in steps:
        sim.clock.advance(at - sim.clock.now())
        assert sim.status(task_id) == status
        assert (await client.get(f"/mj/image/{task_id}")).status_code == 404, status
    sim.clock.advance(tl.finish - sim.clock.now())
    assert sim.status(task_id) == "SUCCESS"
    assert (await client.get(f"/mj/image/{task_id}")).status_code == 200


def test_drawing_is_deterministic_and_tiles_differ() -> None:
    recipe = Recipe(op="fresh", layout="grid", size=(256, 256), tile=(128, 128), seed=7, text="t")
    a, b = draw(recipe, None, None), draw(recipe, None, None)
    assert a.tobytes() == b.tobytes()
    tiles = [a.crop((x, y, x + 128, y + 128)).tobytes() for x in (0, 128) for y in (0, 128)]
    assert len(set(tiles)) == 4
    other = Recipe(op="fresh", layout="grid", size=(256, 256), tile=(128, 128), seed=8, text="t")
    assert draw(other, None, None).tobytes() != a.tobytes()
