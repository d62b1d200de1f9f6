"""Reading tasks back: fetch, list-by-condition, the task query and list, image-seed, and the
image/video links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sim.context import Req
from bot.sim.responses import (
    comet_error,
    envelope,
    invalid,
    json_response,
    not_found,
    upstream_error,
)
from bot.sim.tasks import SimTask, modal_snapshot, to_dict

if TYPE_CHECKING:
    from bot.sim.server import Simulator

_CACHE = {"Cache-Control": "no-store"}
_PAGE_SIZE, _MAX_PAGE_SIZE = 10, 100


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


def _newest_first(sim: Simulator) -> list[SimTask]:
    # The task dict keeps creation order. Every task belongs to the one key the simulator
    # accepts, so "the key's own tasks" are all of them.
    return list(reversed(sim.engine.tasks.values()))


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _wanted(value: Any) -> set[str] | None:
    """A filter given as one string or a list of them; None = no filter."""
    if isinstance(value, str) and value:
        return {value}
    if isinstance(value, list):
        return {str(v) for v in value if isinstance(v, str | int) and not isinstance(v, bool)}
    return None


async def task_query(sim: Simulator, req: Req) -> web.Response:
    """midjourney-proxy's paged `POST /mj/task/query`: filters `state`, `ids`, `status`,
    `action`; `pageNumber` from 0; newest first."""
    if not sim.config.task_query:
        return not_found("POST", req.path)
    body = req.body
    state = body.get("state")
    ids, statuses, actions = (_wanted(body.get(k)) for k in ("ids", "status", "action"))
    rows: list[dict[str, Any]] = []
    for task in _newest_first(sim):
        if isinstance(state, str) and state and task.state != state:
            continue
        if ids is not None and task.id not in ids:
            continue
        if actions is not None and task.action not in actions:
            continue
        if statuses is not None and sim.engine.snap(task).status not in statuses:
            continue
        rows.append(sim.task_json(task))
    page = max(0, _int(body.get("pageNumber"), 0))
    size = min(_MAX_PAGE_SIZE, max(1, _int(body.get("pageSize"), _PAGE_SIZE)))
    pagination = {"pageNumber": page, "pageSize": size, "total": len(rows)}
    return json_response({"list": rows[page * size : (page + 1) * size], "pagination": pagination})


async def task_list(sim: Simulator, req: Req) -> web.Response:
    """midjourney-proxy's `GET /mj/task/list`: every task, newest first."""
    if not sim.config.task_query:
        return not_found("GET", req.path)
    return json_response([sim.task_json(task) for task in _newest_first(sim)])


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
