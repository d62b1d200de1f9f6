"""Whole button flows over loopback HTTP: upscale → Vary (Region) with a real mask, Custom Zoom,
remix, and describe → PicReader, each through the MODAL step."""

from __future__ import annotations

from typing import Any

from bot.cometapi.buttons import ButtonKind, classify, needs_modal
from bot.cometapi.client import CometAPIClient
from bot.cometapi.models import Task, TaskAction, TaskStatus, split_describe_prompts
from tests.cometapi.simflow import finished, image_size, pick, png_data_url, poll, region_mask


async def grid_and_upscale(client: CometAPIClient, prompt: str) -> tuple[Task, Task]:
    submitted = await client.imagine(prompt)
    assert submitted.task_id
    grid = await finished(client, submitted.task_id)
    up = await client.action(grid.id, pick(grid, ButtonKind.UPSAMPLE, 1).custom_id)
    assert up.task_id
    return grid, await finished(client, up.task_id)


async def is_modal(client: CometAPIClient, task_id: str) -> Task:
    return await poll(client, task_id, lambda t: t.status is TaskStatus.MODAL, use_list=False)


async def test_inpaint_flow_with_a_real_mask(sim: Any, client: CometAPIClient) -> None:
    _, single = await grid_and_upscale(client, "a cat wearing a hat --ar 4:3 --v 6.1")
    button = pick(single, ButtonKind.INPAINT)
    assert needs_modal(classify(button), remix=False)
    pressed = await client.action(single.id, button.custom_id)
    assert pressed.code == 21
    assert pressed.task_id
    assert pressed.task_id != single.id
    waiting = await is_modal(client, pressed.task_id)
    assert waiting.status.is_modal

    size = image_size(await client.download(single.image_url, max_bytes=50_000_000))
    answered = await client.modal(
        pressed.task_id, prompt="a cat wearing a red hat", mask_base64=region_mask(size)
    )
    assert answered.task_id == pressed.task_id
    done = await finished(client, pressed.task_id)  # list-by-condition: duplicate rows deduped
    assert done.action is TaskAction.INPAINT
    assert done.image_url
    modal_request = next(r for r in sim.requests if r.path.endswith("/submit/modal"))
    assert modal_request.json["maskBase64"].startswith("data:image/png;base64,")
    assert modal_request.json["taskId"] == pressed.task_id


async def test_custom_zoom_flow(client: CometAPIClient) -> None:
    _, single = await grid_and_upscale(client, "a lighthouse on a cliff --v 7")
    button = pick(single, ButtonKind.CUSTOM_ZOOM)
    pressed = await client.action(single.id, button.custom_id)
    assert pressed.code == 21
    assert pressed.task_id
    await is_modal(client, pressed.task_id)
    await client.modal(pressed.task_id, prompt="a lighthouse on a cliff --v 7 --zoom 1.8")
    done = await finished(client, pressed.task_id)
    assert done.action is TaskAction.CUSTOM_ZOOM


async def test_remix_flow(client: CometAPIClient) -> None:
    submitted = await client.imagine("a red fox in snow --v 6.1")
    assert submitted.task_id
    grid = await finished(client, submitted.task_id)
    button = pick(grid, ButtonKind.VARIATION, 2)
    info = classify(button)
    assert needs_modal(info, remix=True)
    assert not needs_modal(info, remix=False)
    pressed = await client.action(grid.id, button.custom_id, enable_remix=True)
    assert pressed.code in (1, 21)  # the gateway rewrites remix's 21 to 1
    assert pressed.task_id
    await is_modal(client, pressed.task_id)  # remix MODAL is seen by polling
    await client.modal(pressed.task_id, prompt="a silver fox in snow --v 6.1")
    done = await finished(client, pressed.task_id)
    assert done.action is TaskAction.VARIATION
    assert "silver fox" in done.final_prompt


async def test_describe_then_pic_reader_flow(client: CometAPIClient) -> None:
    submitted = await client.describe(base64=png_data_url((96, 64)))
    assert submitted.task_id
    described = await finished(client, submitted.task_id)
    prompts = split_describe_prompts(described.final_prompt)
    assert len(prompts) == 4
    button = pick(described, ButtonKind.PIC_READER, 3)
    assert needs_modal(classify(button), remix=False)
    pressed = await client.action(described.id, button.custom_id)
    assert pressed.task_id
    await is_modal(client, pressed.task_id)
    await client.modal(pressed.task_id, prompt=prompts[2] + " --ar 3:2")
    done = await finished(client, pressed.task_id)
    assert done.action is TaskAction.IMAGINE
    assert classify(done.buttons[0]).kind is ButtonKind.UPSAMPLE


async def test_every_button_on_an_upscale_is_classified_and_labelled(
    client: CometAPIClient,
) -> None:
    _, single = await grid_and_upscale(client, "a teapot --v 7")
    for button in single.buttons:
        info = classify(button)
        assert info.kind is not ButtonKind.UNKNOWN, button
        assert info.accessible_label.strip()


async def test_after_a_modal_the_stale_modal_row_never_wins() -> None:
    from bot.sim import SimConfig, Simulator

    # Tasks read "" (before the gateway's first upstream poll) until forced on, and fetch keeps
    # showing the stale MODAL row after the modal: list-by-condition must pick the fresh row.
    config = SimConfig(
        key="sk-test", speed=200, first_poll_delay=3600.0 * 200, stale_modal_fetch=True
    )
    async with Simulator(config) as sim, CometAPIClient(sim.base_url, "sk-test") as client:
        submitted = await client.imagine("a boat")
        assert submitted.task_id
        sim.finish(submitted.task_id)
        grid = await finished(client, submitted.task_id)
        button = pick(grid, ButtonKind.VARIATION, 1)
        pressed = await client.action(grid.id, button.custom_id, enable_remix=True)
        assert pressed.task_id
        await is_modal(client, pressed.task_id)
        await client.modal(pressed.task_id, prompt="a red boat")
        [fresh] = await client.list_by_condition([pressed.task_id])
        assert fresh.status is TaskStatus.EMPTY
        stale = await client.fetch(pressed.task_id)
        assert stale is not None
        assert stale.status is TaskStatus.MODAL
        sim.finish(pressed.task_id)
        done = await finished(client, pressed.task_id)
        assert "red boat" in done.final_prompt
