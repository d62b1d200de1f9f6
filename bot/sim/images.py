"""Turns task recipes into pictures, off the event loop, with small LRU caches.

A result depends on its parent's result (U2 crops the grid, Zoom Out shrinks the upscale), so
drawing walks up the chain first. Drawing is deterministic: an evicted entry is simply redrawn.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Generic, TypeVar

from PIL import Image

from bot.sim import render
from bot.sim.inputs import load_png
from bot.sim.tasks import Recipe, SimTask

K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self._size:
            self._data.popitem(last=False)


def draw(recipe: Recipe, parent: Image.Image | None, parent_layout: str | None) -> Image.Image:
    """The finished picture of a recipe (for a video: its first frame)."""
    r = recipe
    if r.layout == "grid":
        tiles = [_tile(r, parent, parent_layout, i).resize(r.tile) for i in range(1, 5)]
        return render.grid(tiles)
    if r.op == "upsample" and parent is not None:
        return render.crop(parent, r.index).resize(r.size)
    if r.op == "hd" and parent is not None:
        return render.upscale(parent, r.size, creative=r.arg == "creative")
    if r.layout == "video":
        return render.video_frames(_video_base(r, parent), r.arg, r.seed)[0]
    if r.inputs:
        return load_png(r.inputs[0]).convert("RGB")
    return render.fresh(r.size, r.seed, r.text)


def _tile(r: Recipe, parent: Image.Image | None, parent_layout: str | None, i: int) -> Image.Image:
    seed = (r.seed * 4 + i) & 0xFFFFFFFF
    label = str(i)
    if parent is not None:
        base = render.crop(parent, r.index) if parent_layout == "grid" else parent
        if r.op == "variation":
            return render.variant(base, r.tile, seed, r.factor, r.text, label)
        if r.op in ("zoom", "custom_zoom"):
            return render.zoom_out(base, r.tile, r.factor, seed, r.text, label)
        if r.op == "square":
            return render.square(base, seed, r.text, label)
        if r.op == "pan":
            return render.pan(base, r.arg, seed, r.text, label)
        if r.op == "inpaint" and r.mask is not None:
            return render.inpaint(base, load_png(r.mask), seed, r.text, label)
    if r.op == "blend" and r.inputs:
        return render.blend([load_png(b) for b in r.inputs], r.tile, seed, r.text, label)
    if r.op == "edits" and r.inputs:
        return render.edit(load_png(r.inputs[0]), r.tile, seed, r.text, label)
    if r.inputs:  # imagine with reference images: let the first one show through
        return render.variant(load_png(r.inputs[0]), r.tile, seed, 0.6, r.text, label)
    return render.fresh(r.tile, seed, r.text, label)


def _video_base(r: Recipe, parent: Image.Image | None) -> Image.Image:
    if parent is not None:
        return parent
    if r.inputs:
        return load_png(r.inputs[0]).convert("RGB")
    return render.fresh(r.size, r.seed, r.text)


class Images:
    def __init__(self, tasks: dict[str, SimTask]) -> None:
        self._tasks = tasks
        self._pictures: _Lru[str, Image.Image] = _Lru(64)
        self._bytes: _Lru[tuple[str, str, int], bytes] = _Lru(256)
        self._inflight: dict[str, asyncio.Future[Image.Image]] = {}

    async def picture(self, task: SimTask) -> Image.Image:
        cached = self._pictures.get(task.id)
        if cached is not None:
            return cached
        pending = self._inflight.get(task.id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Image.Image] = asyncio.get_running_loop().create_future()
        self._inflight[task.id] = future
        try:
            parent = self._tasks.get(task.recipe.parent or "")
            parent_img = await self.picture(parent) if parent is not None else None
            layout = parent.recipe.layout if parent is not None else None
            img = await asyncio.to_thread(draw, task.recipe, parent_img, layout)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: nobody else may be waiting
            raise
        finally:
            self._inflight.pop(task.id, None)
        future.set_result(img)
        self._pictures.put(task.id, img)
        return img

    async def png(self, task: SimTask) -> bytes:
        key = (task.id, "png", 0)
        data = self._bytes.get(key)
        if data is None:
            img = await self.picture(task)
            data = await asyncio.to_thread(render.encode_png, img)
            self._bytes.put(key, data)
        return data

    async def preview(self, task: SimTask, progress: int) -> bytes:
        key = (task.id, "preview", progress)
        data = self._bytes.get(key)
        if data is None:
            img = await self.picture(task)
            data = await asyncio.to_thread(
                lambda: render.encode_webp(render.preview(img, progress))
            )
            self._bytes.put(key, data)
        return data

    async def video(self, task: SimTask) -> bytes:
        key = (task.id, "video", 0)
        data = self._bytes.get(key)
        if data is None:
            parent = self._tasks.get(task.recipe.parent or "")
            parent_img = await self.picture(parent) if parent is not None else None
            r = task.recipe
            data = await asyncio.to_thread(
                lambda: render.encode_animation(
                    render.video_frames(_video_base(r, parent_img), r.arg, r.seed)
                )
            )
            self._bytes.put(key, data)
        return data
