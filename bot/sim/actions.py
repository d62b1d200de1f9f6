"""Buttons and modals: /mj/submit/action and /mj/submit/modal (mj-protocol.md §3, §5, §6)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

from aiohttp import web

from bot.sim import prompts, render
from bot.sim.buttons import (
    Pressed,
    grid_buttons,
    hd_upscale_buttons,
    parse_custom_id,
    upscale_buttons,
    video_buttons,
)
from bot.sim.context import Req, launch, text_field
from bot.sim.inputs import InputError, validate_mask
from bot.sim.responses import DESC_MODAL, envelope, invalid, submit_ok, upstream_error
from bot.sim.submit import banned_answer, describe_recipe, set_describe_prompts
from bot.sim.tasks import Recipe, SimTask

if TYPE_CHECKING:
    from bot.sim.server import Simulator

_STRENGTH = {"variation": 0.35, "low": 0.2, "high": 0.55}
_ALWAYS_MODAL = {"inpaint": "INPAINT", "custom_zoom": "CUSTOM_ZOOM"}


async def action(sim: Simulator, req: Req) -> web.Response:
    body = req.body
    custom_id, task_id = text_field(body, "customId"), text_field(body, "taskId")
    if not custom_id:
        return upstream_error("custom_id_is_required")
    if not task_id:
        return upstream_error("task_id_is_required")
    unknown = upstream_error(f"Invalid request, unknown_action:{custom_id}")
    pressed = parse_custom_id(custom_id)
    if pressed is None:
        return unknown
    parent = sim.engine.tasks.get(task_id)
    if parent is None:
        return upstream_error("task_not_found")
    if sim.engine.snap(parent).status != "SUCCESS":
        return upstream_error("task_status_not_success")
    owned = next((b for b in parent.buttons if b["customId"] == custom_id), None)
    if owned is None:
        return unknown
    child = _child(sim, req, parent, pressed)
    child.custom_id = custom_id
    if pressed.op == "picread_retry":
        await set_describe_prompts(child, child.recipe.inputs[0])
    owned["style"] = 1  # some upstreams mark a pressed button
    if pressed.op in _ALWAYS_MODAL:
        sim.engine.to_modal(child, _ALWAYS_MODAL[pressed.op])
        sim.hooks.watch(child)
        return envelope(21, DESC_MODAL, child.id)
    remix = body.get("enableRemix") is True and pressed.remixable
    if remix or pressed.op == "picreader":
        sim.engine.to_modal(child, "PICREADER" if pressed.op == "picreader" else "REMIX")
        sim.hooks.watch(child)
        return submit_ok(child.id)  # the gateway rewrites 21 to 1 for these
    return launch(sim, child, req)


def _child(sim: Simulator, req: Req, parent: SimTask, p: Pressed) -> SimTask:
    task_id = sim.engine.new_id()
    seed = sim.engine.seed_for(task_id, None)
    prompt = parent.prompt
    if p.op == "picreader":
        prompt = parent.lines[p.index - 1] if len(parent.lines) >= p.index else parent.prompt
    recipe = _recipe(sim, parent, p, seed, prompt)
    task = sim.engine.add(
        task_id=task_id,
        action=p.action,
        mode=req.mode,
        prompt=prompt,
        bot_type=parent.bot_type,
        recipe=recipe,
        body=req.body,
        parent_id=parent.id,
    )
    version = prompts.parse_version(prompt, parent.bot_type)
    if recipe.layout == "grid":
        task.buttons = grid_buttons(task.hash)
    elif p.op == "upsample":
        task.buttons = upscale_buttons(task.hash, version, recipe.size)
    elif p.op == "hd":
        task.buttons = hd_upscale_buttons(task.hash, version)
    elif recipe.layout == "video":
        task.buttons = video_buttons(task.id, upscaled=p.op == "video_upscale")
    if p.op == "picread_retry":
        task.description = f"/describe {task.id}.png"
    return task


def _recipe(sim: Simulator, parent: SimTask, p: Pressed, seed: int, prompt: str) -> Recipe:
    pr = parent.recipe
    text = prompts.prompt_text(prompt)
    single = pr.size

    def grid(
        op: str, tile: tuple[int, int], index: int = 1, factor: float = 1.0, arg: str = ""
    ) -> Recipe:
        return Recipe(
            op=op,
            layout="grid",
            size=(tile[0] * 2, tile[1] * 2),
            tile=tile,
            seed=seed,
            text=text,
            parent=parent.id,
            index=index,
            factor=factor,
            arg=arg,
        )

    if p.op == "upsample":
        return Recipe(
            op="upsample",
            layout="single",
            size=pr.tile,
            tile=pr.tile,
            seed=seed,
            text=text,
            parent=parent.id,
            index=p.index,
        )
    if p.op == "hd":
        # "Redo Upscale" on an HD result upscales the original image again
        base = sim.engine.tasks.get(pr.parent or "") if pr.op == "hd" else parent
        base = base or parent
        factor = 4 if "_4x" in p.arg else 2
        w, h = base.recipe.size
        size = prompts.fit_long_side((w * factor, h * factor), render.MAX_SIDE)
        return Recipe(
            op="hd",
            layout="single",
            size=size,
            tile=size,
            seed=seed,
            text=text,
            parent=base.id,
            factor=factor,
            arg="creative" if "creative" in p.arg else "subtle",
        )
    if p.op == "variation":
        return grid("variation", pr.tile, index=p.index, factor=_STRENGTH["variation"])
    if p.op in ("low", "high"):
        return grid("variation", single, factor=_STRENGTH[p.op])
    if p.op == "reroll":
        return _reroll(sim, parent, seed)
    if p.op == "zoom":
        return grid("zoom", single, factor=float(p.arg))
    if p.op == "square":
        side = max(single)
        return grid("square", (side, side))
    if p.op == "custom_zoom":
        return grid("custom_zoom", single, factor=2.0)
    if p.op == "pan":
        return grid("pan", render.pan_size(single, p.arg), arg=p.arg)
    if p.op == "inpaint":
        return grid("inpaint", single)
    if p.op in ("animate", "extend", "video_upscale"):
        size = prompts.fit_long_side(single, render.VIDEO_SIDE)
        return Recipe(
            op=p.op,
            layout="video",
            size=size,
            tile=size,
            seed=seed,
            text=text,
            parent=parent.id,
            index=p.index,
            arg=p.arg or "low",
        )
    if p.op == "picreader":
        tile = prompts.tile_size(prompts.parse_ar(prompt))
        return Recipe(
            op="fresh",
            layout="grid",
            size=(tile[0] * 2, tile[1] * 2),
            tile=tile,
            seed=seed,
            text=text,
        )
    # picread_retry: describe the same picture again
    return dataclasses.replace(describe_recipe(pr.inputs[0], seed))


def _reroll(sim: Simulator, parent: SimTask, seed: int) -> Recipe:
    """A reroll runs the grid's job again: from a single image, the grid it came from."""
    source: SimTask | None = parent
    while source is not None and source.recipe.layout != "grid":
        source = sim.engine.tasks.get(source.recipe.parent or "")
    if source is None:
        tile = prompts.tile_size(prompts.parse_ar(parent.prompt))
        return Recipe(
            op="fresh",
            layout="grid",
            size=(tile[0] * 2, tile[1] * 2),
            tile=tile,
            seed=seed,
            text=prompts.prompt_text(parent.prompt),
        )
    return dataclasses.replace(source.recipe, seed=seed)


async def modal(sim: Simulator, req: Req) -> web.Response:
    body = req.body
    task_id = text_field(body, "taskId")
    if not task_id:
        return upstream_error("task_id_is_required")
    task = sim.engine.tasks.get(task_id)
    if task is None:
        return upstream_error("task_not_found")
    if sim.engine.snap(task).status != "MODAL" or task.modal_submitted:
        return invalid("task_status_not_modal: 任务状态不是MODAL (start again)")
    prompt = text_field(body, "prompt") or task.prompt
    kind = task.modal_kind
    recipe = task.recipe
    if kind == "INPAINT":
        parent = sim.engine.tasks.get(recipe.parent or "")
        size = parent.recipe.size if parent is not None else recipe.tile
        try:
            mask = await asyncio.to_thread(validate_mask, body.get("maskBase64"), size)
        except InputError as exc:
            return invalid(str(exc))
        recipe.mask = await asyncio.to_thread(render.encode_png, mask)
        sim.received_masks.append((task.id, mask))
    elif kind == "CUSTOM_ZOOM":
        zoom = prompts.parse_zoom(prompt)
        if zoom is None or not 1 < zoom <= 2:
            return invalid("zoom参数错误: the prompt needs --zoom X with 1 < X <= 2")
        recipe.factor = zoom
        ar = prompts.parse_ar(prompt)
        if ar is not None:
            recipe.tile = prompts.tile_size(ar, max(recipe.tile))
            recipe.size = (recipe.tile[0] * 2, recipe.tile[1] * 2)
    elif kind == "PICREADER":
        recipe.tile = prompts.tile_size(prompts.parse_ar(prompt))
        recipe.size = (recipe.tile[0] * 2, recipe.tile[1] * 2)
    early, banned = banned_answer(sim, prompt)
    if early is not None:
        return early
    task.prompt = prompt
    recipe.text = prompts.prompt_text(prompt)
    task.modal_submitted = True
    hook = body.get("notifyHook")
    if isinstance(hook, str) and hook:
        task.notify_hook = hook
    return launch(sim, task, req, banned=banned)
