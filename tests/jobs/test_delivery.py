"""What a finished job's message carries (bot/ui/delivery.py), against a real loopback host:
a video too big to attach is linked, a page that is no result is refused, a result that
fits is attached (faults.md 20)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from aiohttp import web
from PIL import Image

from bot.cometapi.client import CometAPIClient
from bot.db import Database
from bot.db.records import JobRecord
from bot.ui.delivery import RetryLater, fetch_result
from tests.cometapi.tinyserver import tiny_server

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 300_000  # a video container, 300 KB


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 640), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


BODIES = {"/video.mp4": (MP4, "video/mp4"), "/page": (b"<html>login</html>", "text/html")}


async def serve(request: web.Request) -> web.Response:
    if request.path == "/grid.png":
        return web.Response(body=png(), content_type="image/png")
    body, kind = BODIES.get(request.path, (b"", "text/plain"))
    return web.Response(body=body, content_type=kind, status=200 if body else 404)


async def job_with(
    tmp_path: Path, *, video: str | None, image: str | None, limit: int
) -> JobRecord:
    async with await Database.open(tmp_path / "d.db") as db:
        job = await db.jobs.create(guild_id=1, channel_id=2, user_id=3, kind="imagine")
        return await db.jobs.update(
            job.id, video_url=video, image_url=image, meta={"attachment_limit": limit}
        )


@pytest.mark.fault(20)
async def test_a_video_over_the_attachment_limit_is_linked_not_retried(tmp_path: Path) -> None:
    async with tiny_server(serve) as host:
        url = f"{host.base_url}/video.mp4"
        job = await job_with(tmp_path, video=url, image=None, limit=100_000)
        async with CometAPIClient(host.base_url, "sk-delivery-test") as client:
            result = await fetch_result(job, client, last_try=False)
            assert (result.link, result.file, result.unusable) == (url, None, None)
            fits = await job_with(tmp_path / "b", video=url, image=None, limit=1_000_000)
            attached = await fetch_result(fits, client, last_try=False)
            assert attached.file is not None and attached.file.filename.endswith(".mp4")


async def test_an_image_is_fitted_and_a_web_page_is_never_a_result(tmp_path: Path) -> None:
    async with tiny_server(serve) as host:
        grid = await job_with(tmp_path, video=None, image=f"{host.base_url}/grid.png", limit=20_000)
        page = await job_with(tmp_path / "p", video=None, image=f"{host.base_url}/page", limit=1)
        async with CometAPIClient(host.base_url, "sk-delivery-test", max_attempts=1) as client:
            fitted = await fetch_result(grid, client, last_try=False)
            assert fitted.file is not None
            assert len(fitted.file.fp.read()) <= 20_000
            with pytest.raises(RetryLater):  # a challenge page may pass: try again later
                await fetch_result(page, client, last_try=False)
            last = await fetch_result(page, client, last_try=True)
            assert (last.unusable, last.file, last.link) == ("result.not_media", None, None)
