"""New jobs: imagine, blend, describe, shorten, edits, video (mj-protocol.md §3)."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING, Any

from aiohttp import web
from PIL import Image

from bot.sim import prompts, render
from bot.sim.buttons import describe_buttons, grid_buttons, video_buttons
from bot.sim.context import Req, launch, text_field
from bot.sim.inputs import InputError, decode_image, is_url
from bot.sim.responses import DESC_BANNED, envelope, invalid, upstream_error
from bot.sim.tasks import Recipe, SimTask

if TYPE_CHECKING:
    from bot.sim.server import Simulator

BOT_TYPES = ("MID_JOURNEY", "NIJI_JOURNEY")
BLEND_DIMENSIONS = {"PORTRAIT": (2, 3), "SQUARE": (1, 1), "LANDSCAPE": (3, 2)}
MAX_PROMPT = 8192


def _grid(op: str, tile: tuple[int, int], seed: int, text: str, **kw: Any) -> Recipe:
    return Recipe(
        op=op, layout="grid", size=(tile[0] * 2, tile[1] * 2), tile=tile, seed=seed, text=text, **kw
    )


def _bot_type(body: dict[str, Any]) -> str | None:
    value = body.get("botType") or "MID_JOURNEY"
    return value if value in BOT_TYPES else None


def _size_of(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as img:
        return img.size


async def _decode_all(items: list[Any], what: str, seed: int) -> list[bytes]:
    return [
        await asyncio.to_thread(decode_image, item, what, seed + i) for i, item in enumerate(items)
    ]


def banned_answer(sim: Simulator, prompt: str) -> tuple[web.Response | None, bool]:
    """(an immediate code 24 answer, or None; whether the task must fail later)."""
    word = prompts.find_banned(prompt, sim.config.banned_words)
    if word is None:
        return None, False
    if sim.config.legacy_code24:
        return envelope(24, DESC_BANNED, None, {"promptEn": prompt, "bannedWord": word}), False
    return None, True


def _new(
    sim: Simulator,
    req: Req,
    action: str,
    prompt: str,
    bot_type: str,
    recipe: Recipe,
    task_id: str,
    **extra: Any,
) -> SimTask:
    return sim.engine.add(
        task_id=task_id,
        action=action,
        mode=req.mode,
        prompt=prompt,
        bot_type=bot_type,
        recipe=recipe,
        body=req.body,
        **extra,
    )


async def imagine(sim: Simulator, req: Req) -> web.Response:
    body = req.body
    prompt = text_field(body, "prompt")
    if not prompt:
        return upstream_error("prompt_is_required")
    if len(prompt) > MAX_PROMPT:
        return invalid(f"prompt参数错误: longer than {MAX_PROMPT} characters")
    bot_type = _bot_type(body)
    if bot_type is None:
        return invalid("botType参数错误")
    refs = body.get("base64Array") or []
    if not isinstance(refs, list) or len(refs) > 5:
        return invalid("base64Array参数错误: a list of at most 5 images")
    early, banned = banned_answer(sim, prompt)
    if early is not None:
        return early
    task_id = sim.engine.new_id()
    seed = sim.engine.seed_for(task_id, prompts.parse_seed(prompt))
    try:
        inputs = await _decode_all(refs, "base64格式错误", seed)
    except InputError as exc:
        return invalid(str(exc))
    tile = prompts.tile_size(prompts.parse_ar(prompt))
    recipe = _grid("fresh", tile, seed, prompts.prompt_text(prompt), inputs=inputs)
    task = _new(sim, req, "IMAGINE", prompt, bot_type, recipe, task_id)
    task.buttons = grid_buttons(task.hash)
    return launch(sim, task, req, banned=banned)


async def blend(sim: Simulator, req: Req) -> web.Response:
    body = req.body
    images = body.get("base64Array")
    if not isinstance(images, list) or not 2 <= len(images) <= 5:
        return invalid("base64List参数错误: blend needs 2 to 5 images")
    dims = body.get("dimensions") or "SQUARE"
    if dims not in BLEND_DIMENSIONS:
        return invalid("dimensions参数错误: PORTRAIT, SQUARE or LANDSCAPE")
    bot_type = _bot_type(body)
    if bot_type is None:
        return invalid("botType参数错误")
    task_id = sim.engine.new_id()
    seed = sim.engine.seed_for(task_id, None)
    try:
        inputs = await _decode_all(images, "base64List参数错误", seed)
    except InputError as exc:
        return invalid(str(exc))
    tile = prompts.tile_size(BLEND_DIMENSIONS[dims])
    recipe = _grid("blend", tile, seed, "blend", inputs=inputs)
    task = _new(sim, req, "BLEND", "", bot_type, recipe, task_id, description="/blend")
    task.buttons = grid_buttons(task.hash)
    return launch(sim, task, req)


async def describe(sim: Simulator, req: Req) -> web.Response:
    body = req.body
    b64, link = text_field(body, "base64"), text_field(body, "link")
    if not b64 and not link:
        return invalid("base64和link不能同时为空: send base64 or link")
    if link and not b64 and not is_url(link):
        return invalid("link参数错误: an http(s) URL")
    bot_type = _bot_type(body)
    if bot_type is None:
        return invalid("botType参数错误")
    task_id = sim.engine.new_id()
    seed = sim.engine.seed_for(task_id, None)
    try:
        png = await asyncio.to_thread(decode_image, b64 or link, "basisImageBase64格式错误", seed)
    except InputError as exc:
        return invalid(str(exc))
    task = _new(
        sim,
        req,
        "DESCRIBE",
        "",
        bot_type,
        describe_recipe(png, seed),
        task_id,
        description=f"/describe {task_id}.png",
    )
    await set_describe_prompts(task, png)
    task.buttons = describe_buttons()
    return launch(sim, task, req)


def describe_recipe(png: bytes, seed: int) -> Recipe:
    size = _size_of(png)
    return Recipe(
        op="describe", layout="describe", size=size, tile=size, seed=seed, text="", inputs=[png]
    )


async def set_describe_prompts(task: SimTask, png: bytes) -> None:
    def colour() -> str:
        with Image.open(io.BytesIO(png)) as img:
            return render.colour_name(img)

    found = prompts.describe_prompts(await asyncio.to_thread(colour), task.recipe.size)
    shift = task.seed % 4  # a retry words the same picture differently
    found = found[shift:] + found[:shift]
    task.properties = {"finalPrompt": prompts.describe_final_prompt(found)}
    task.lines = found


async def shorten(sim: Simulator, req: Req) -> web.Response:
    prompt = text_field(req.body, "prompt")
    if not prompt:
        return invalid("prompt不能为空")
    bot_type = _bot_type(req.body) or "MID_JOURNEY"
    task_id = sim.engine.new_id()
    recipe = Recipe(
        op="none",
        layout="text",
        size=(0, 0),
        tile=(0, 0),
        seed=sim.engine.seed_for(task_id, None),
        text="",
    )
    task = _new(sim, req, "SHORTEN", prompt, bot_type, recipe, task_id)
    task.properties = {"finalPrompt": prompts.shorten_markdown(prompt)}
    return launch(sim, task, req)


async def edits(sim: Simulator, req: Req) -> web.Response:
    prompt = text_field(req.body, "prompt")
    if not prompt:
        return invalid("prompt不能为空")
    image = req.body.get("image")
    if not image:
        return invalid("image不能为空")
    early, banned = banned_answer(sim, prompt)
    if early is not None:
        return early
    task_id = sim.engine.new_id()
    seed = sim.engine.seed_for(task_id, prompts.parse_seed(prompt))
    try:
        png = await asyncio.to_thread(decode_image, image, "image格式错误", seed)
    except InputError as exc:
        return invalid(str(exc))
    tile = prompts.tile_size(_size_of(png))
    recipe = _grid("edits", tile, seed, prompts.prompt_text(prompt), inputs=[png])
    task = _new(sim, req, "EDITS", prompt, _bot_type(req.body) or "MID_JOURNEY", recipe, task_id)
    task.buttons = grid_buttons(task.hash)
    return launch(sim, task, req, banned=banned)


async def video(sim: Simulator, req: Req) -> web.Response:
    body = req.body
    motion = (text_field(body, "motion") or "low").lower()
    if motion not in ("low", "high"):
        return invalid("motion参数错误: low or high")
    prompt = text_field(body, "prompt")
    action = text_field(body, "action").lower()
    task_id = sim.engine.new_id()
    seed = sim.engine.seed_for(task_id, None)
    if action == "extend":
        parent_id = text_field(body, "taskId")
        if not parent_id:
            return upstream_error("task_id_is_required")
        parent = sim.engine.tasks.get(parent_id)
        if parent is None:
            return upstream_error("task_not_found")
        if sim.engine.snap(parent).status != "SUCCESS":
            return upstream_error("task_status_not_success")
        if parent.recipe.layout != "video":
            return invalid("taskId参数错误: not a video task")
        index = body.get("index", 0)
        if not isinstance(index, int) or not 0 <= index <= 3:
            return invalid("index参数错误: 0 to 3")
        recipe = Recipe(
            op="extend",
            layout="video",
            size=parent.recipe.size,
            tile=parent.recipe.size,
            seed=seed,
            text="",
            parent=parent.id,
            index=index + 1,
            arg=motion,
        )
        prompt = prompt or parent.prompt
    elif action:
        return invalid("action参数错误: only extend")
    else:
        if not body.get("image"):
            return invalid("image不能为空")
        try:
            png = await asyncio.to_thread(decode_image, body.get("image"), "image格式错误", seed)
        except InputError as exc:
            return invalid(str(exc))
        size = prompts.fit_long_side(_size_of(png), render.VIDEO_SIDE)
        recipe = Recipe(
            op="video",
            layout="video",
            size=size,
            tile=size,
            seed=seed,
            text="",
            inputs=[png],
            arg=motion,
        )
    task = _new(sim, req, "VIDEO", prompt, _bot_type(body) or "MID_JOURNEY", recipe, task_id)
    task.buttons = video_buttons(task.id, upscaled=False)
    return launch(sim, task, req)
