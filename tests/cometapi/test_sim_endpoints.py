"""Every endpoint, over loopback HTTP against the simulator."""

from __future__ import annotations

from typing import Any

import pytest

from bot.cometapi.buttons import ButtonKind, classify
from bot.cometapi.client import CometAPIClient
from bot.cometapi.errors import AuthError, UnknownAction
from bot.cometapi.models import SpeedMode, TaskAction, TaskStatus, split_describe_prompts
from tests.cometapi.simflow import finished, image_size, pick, png_data_url

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def routes(sim: Any, method: str = "POST") -> list[str]:
    return [r.path for r in sim.requests if r.method == method]


async def test_imagine_poll_fetch_list_seed_download(sim: Any, client: CometAPIClient) -> None:
    submitted = await client.imagine("a paper boat at sunrise --v 6.1", state="job-1")
    assert submitted.code == 1
    assert submitted.task_id
    first = await client.fetch(submitted.task_id)
    assert first is not None
    assert first.id == submitted.task_id
    task = await finished(client, submitted.task_id, use_list=False)
    assert task.action is TaskAction.IMAGINE
    assert task.state == "job-1"
    assert task.progress == 100
    assert task.finish_time >= task.start_time > 0
    assert task.final_prompt.startswith("a paper boat")
    kinds = [classify(b).kind for b in task.buttons]
    assert kinds == [ButtonKind.UPSAMPLE] * 4 + [ButtonKind.REROLL] + [ButtonKind.VARIATION] * 4
    listed = await client.list_by_condition([submitted.task_id, "1000000000000999"])
    assert [t.id for t in listed] == [submitted.task_id]
    seed = await client.image_seed(submitted.task_id)
    assert seed is None or seed.isdigit()
    data = await client.download(task.image_url, max_bytes=20_000_000)
    assert data.startswith(PNG_MAGIC) or data[:4] in (b"RIFF", b"\xff\xd8\xff\xe0")
    assert "/mj-fast/mj/submit/imagine" in routes(sim)
    imagine = next(r for r in sim.requests if r.path.endswith("/submit/imagine"))
    assert imagine.json == {"prompt": "a paper boat at sunrise --v 6.1", "state": "job-1"}


@pytest.mark.parametrize("mode", list(SpeedMode))
async def test_speed_prefix(sim: Any, client: CometAPIClient, mode: SpeedMode) -> None:
    submitted = await client.imagine("fox", mode=mode)
    assert submitted.task_id
    assert routes(sim) == [f"{mode.prefix}/mj/submit/imagine"]
    await finished(client, submitted.task_id)


async def test_blend(client: CometAPIClient) -> None:
    images = [png_data_url(color="red"), png_data_url(color="blue")]
    submitted = await client.blend(images, dimensions="LANDSCAPE")
    assert submitted.task_id
    task = await finished(client, submitted.task_id)
    assert task.action is TaskAction.BLEND
    assert classify(task.buttons[0]).kind is ButtonKind.UPSAMPLE


async def test_describe(client: CometAPIClient) -> None:
    submitted = await client.describe(base64=png_data_url())
    assert submitted.task_id
    task = await finished(client, submitted.task_id)
    assert task.action is TaskAction.DESCRIBE
    prompts = split_describe_prompts(task.final_prompt)
    assert len(prompts) == 4
    assert all("\u20e3" not in p[:3] for p in prompts)
    assert {classify(b).kind for b in task.buttons} >= {ButtonKind.PIC_READER}


async def test_describe_by_link(client: CometAPIClient) -> None:
    submitted = await client.describe(link="https://images.example/cat.png")
    assert submitted.task_id
    await finished(client, submitted.task_id)


async def test_shorten(client: CometAPIClient) -> None:
    prompt = "a very very detailed majestic ancient castle on a hill, dramatic lighting, 8k"
    submitted = await client.shorten(prompt)
    assert submitted.task_id
    task = await finished(client, submitted.task_id)
    assert task.action is TaskAction.SHORTEN
    assert task.final_prompt


async def test_video_and_extend(client: CometAPIClient) -> None:
    submitted = await client.video(image=png_data_url(), prompt="waves roll in", motion="high")
    assert submitted.task_id
    task = await finished(client, submitted.task_id)
    assert task.action is TaskAction.VIDEO
    assert task.video_url
    assert task.video_url in task.all_video_urls
    extended = await client.video(prompt="and further", extend_task_id=task.id, index=0)
    assert extended.task_id
    again = await finished(client, extended.task_id)
    assert again.action is TaskAction.VIDEO


async def test_edits(client: CometAPIClient) -> None:
    submitted = await client.edits("make the sky purple", png_data_url((80, 80)))
    assert submitted.task_id
    task = await finished(client, submitted.task_id)
    assert task.action is TaskAction.EDITS
    assert task.image_url


async def test_upscale_then_download_single_image(client: CometAPIClient) -> None:
    grid = await finished(client, (await client.imagine("owl --ar 3:2")).task_id or "")
    up = await client.action(grid.id, pick(grid, ButtonKind.UPSAMPLE, 2).custom_id)
    assert up.task_id
    single = await finished(client, up.task_id)
    assert single.action is TaskAction.UPSCALE
    grid_w, grid_h = image_size(await client.download(grid.image_url, max_bytes=50_000_000))
    one_w, one_h = image_size(await client.download(single.image_url, max_bytes=50_000_000))
    assert (one_w, one_h) < (grid_w, grid_h)
    assert abs(one_w / one_h - 3 / 2) < 0.05
    families = {classify(b).row_group for b in single.buttons}
    assert {"vary", "zoom", "pan"} <= families


async def test_refused_button_family(client: CometAPIClient) -> None:
    grid = await finished(client, (await client.imagine("cat --v 7")).task_id or "")
    single = await finished(
        client,
        (await client.action(grid.id, pick(grid, ButtonKind.UPSAMPLE, 1).custom_id)).task_id or "",
    )
    bookmark = pick(single, ButtonKind.BOOKMARK)
    with pytest.raises(UnknownAction) as info:
        await client.action(single.id, bookmark.custom_id)
    assert info.value.custom_id == bookmark.custom_id


async def test_unknown_task(client: CometAPIClient) -> None:
    assert await client.fetch("1000000000000999") is None
    assert await client.list_by_condition(["1000000000000999"]) == []


@pytest.mark.fault(27)
async def test_wrong_key(sim: Any) -> None:
    async with CometAPIClient(sim.base_url, "sk-wrong-key-000") as wrong:
        with pytest.raises(AuthError) as info:
            await wrong.imagine("cat")
        with pytest.raises(AuthError):
            await wrong.fetch("1000000000000999")
    assert "sk-wrong-key-000" not in str(info.value)
    assert len(sim.tasks) == 0


async def test_fresh_task_reads_empty_status() -> None:
    from bot.sim import SimConfig, Simulator

    # The gateway's first upstream poll is an hour away: the task must read as "not yet".
    config = SimConfig(key="sk-test", speed=200, first_poll_delay=3600 * 200)
    async with Simulator(config) as sim, CometAPIClient(sim.base_url, "sk-test") as client:
        submitted = await client.imagine("slow start")
        assert submitted.task_id
        task = await client.fetch(submitted.task_id)
    assert task is not None
    assert task.status is TaskStatus.EMPTY
    assert task.status.is_pending
    assert task.progress == 0
    assert task.buttons == ()
    assert task.image_url == ""
