"""Reading tasks back: fetch, list-by-condition, image-seed, and the image/video links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sim.context import Req
from bot.sim.responses import comet_error, envelope, invalid, json_response, upstream_error
from bot.sim.tasks import modal_snapshot, to_dict

if TYPE_CHECKING:
    from bot.sim.server import Simulator

_CACHE = {"Cache-Control": "no-store"}


async def fetch(sim: Simulator, req: Req) -> web.Response:
    task = sim.engine.tasks.get(req.params["id"])
    if task is None:
        return upstream_error("task_no_found")
    if sim.config.stale_modal_fetch and task.modal_submitted:
        return json_response(to_dict(task, modal_snapshot(task), sim.clock, sim.public_url))
    return json_response(sim.task_json(task))


async def list_by_condition(sim: Simulator, req: Req) -> web.Response:
    ids = req.body.get("ids")
    if not isinstance(ids, list):
        return upstream_error("do_request_failed")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for raw in ids:
        task_id = str(raw) if isinstance(raw, str | int) else ""
        task = sim.engine.tasks.get(task_id)
        if task is None or task_id in seen:  # unknown ids are silently left out
            continue
        seen.add(task_id)
        rows.append(sim.task_json(task))
        if task.modal_submitted and sim.config.duplicate_modal_rows:
            # the gateway's stale MODAL row, after the live one so "last wins" is wrong
            rows.append(to_dict(task, modal_snapshot(task), sim.clock, sim.public_url))
    return json_response(rows)


async def image_seed(sim: Simulator, req: Req) -> web.Response:
    task = sim.engine.tasks.get(req.params["id"])
    if task is None:
        return upstream_error("task_no_found")
    if sim.engine.snap(task).status != "SUCCESS":
        return invalid("任务状态错误: the task has not finished")
    return envelope(1, "成功", str(task.seed))


async def image(sim: Simulator, req: Req) -> web.Response:
    """No key needed, like CometAPI's own link; `?rand=` is ignored."""
    task = sim.engine.tasks.get(req.params["id"])
    if task is None:
        return comet_error(404, "image not found")
    layout = task.recipe.layout
    snap = sim.engine.snap(task)
    if layout == "describe" or (snap.status == "SUCCESS" and layout in ("grid", "single", "video")):
        data = await sim.images.png(task)
        return web.Response(body=data, content_type="image/png", headers=_CACHE)
    if snap.status == "IN_PROGRESS" and snap.progress > 0 and layout in ("grid", "single"):
        data = await sim.images.preview(task, snap.progress)
        return web.Response(body=data, content_type="image/webp", headers=_CACHE)
    return comet_error(404, "image not ready")


async def video(sim: Simulator, req: Req) -> web.Response:
    task = sim.engine.tasks.get(req.params["id"])
    if task is None or task.recipe.layout != "video" or sim.engine.snap(task).status != "SUCCESS":
        return comet_error(404, "video not found")
    data = await sim.images.video(task)
    return web.Response(body=data, content_type="image/webp", headers=_CACHE)
