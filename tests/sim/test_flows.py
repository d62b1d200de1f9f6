"""Whole journeys through buttons and modals, and the other submit endpoints."""

from __future__ import annotations

import httpx
from PIL import Image

from bot.sim import SimConfig, Simulator
from tests.sim.helpers import (
    AUTH,
    KEY,
    data_url,
    decode,
    find_button,
    imagine,
    mask,
    post,
    press,
    upscaled,
)


async def test_imagine_upscale_vary_region(client: httpx.AsyncClient, sim: Simulator) -> None:
    single = await upscaled(client, sim, "a red fox --ar 3:2")
    assert single["action"] == "UPSCALE"
    env = await press(client, single, find_button(single, label="Vary (Region)"))
    assert env["code"] == 21
    modal_id = env["result"]
    modal_task = await sim.wait_for_status(modal_id, "MODAL")
    assert modal_task["action"] == "INPAINT"
    size = decode((await client.get(single["imageUrl"])).content).size
    assert size == (512, 342)
    body = {"taskId": modal_id, "prompt": "a blue fox", "maskBase64": data_url(mask(size))}
    env = await post(client, "/mj-fast/mj/submit/modal", body)
    assert (env["code"], env["result"]) == (1, modal_id)
    done = await sim.wait_for_status(modal_id, "SUCCESS")
    assert done["prompt"] == "a blue fox"
    assert [b["label"] for b in done["buttons"]][:4] == ["U1", "U2", "U3", "U4"]
    assert [m[0] for m in sim.received_masks] == [modal_id]
    assert sim.received_masks[0][1].size == size
    grid = decode((await client.get(done["imageUrl"])).content)
    assert grid.size == (1024, 684)
    again = await post(client, "/mj/submit/modal", body)
    assert again["code"] == 4  # not in MODAL any more


async def test_custom_zoom(client: httpx.AsyncClient, sim: Simulator) -> None:
    single = await upscaled(client, sim, "zoomable")
    env = await press(client, single, find_button(single, label="Custom Zoom"))
    assert env["code"] == 21
    for bad in ("zoomable", "zoomable --zoom 1", "zoomable --zoom 2.5", "zoomable --zoom x"):
        answer = await post(client, "/mj/submit/modal", {"taskId": env["result"], "prompt": bad})
        assert answer["code"] == 4, bad
    ok = await post(
        client, "/mj/submit/modal", {"taskId": env["result"], "prompt": "zoomable --zoom 1.8"}
    )
    assert ok["code"] == 1
    done = await sim.wait_for_status(env["result"], "SUCCESS")
    assert done["action"] == "CUSTOM_ZOOM"
    assert sim.tasks[done["id"]].recipe.factor == 1.8


async def test_remix_goes_to_modal_with_code_1(client: httpx.AsyncClient, sim: Simulator) -> None:
    grid = await imagine(client, sim, "remix me")
    env = await press(client, grid, find_button(grid, label="V2"), enableRemix=True)
    assert env["code"] == 1
    await sim.wait_for_status(env["result"], "MODAL")
    await post(client, "/mj/submit/modal", {"taskId": env["result"], "prompt": "remixed"})
    done = await sim.wait_for_status(env["result"], "SUCCESS")
    assert (done["action"], done["prompt"]) == ("VARIATION", "remixed")
    # without remix the same kind of button runs at once
    plain = await press(client, grid, find_button(grid, label="V3"))
    await sim.wait_for_status(plain["result"], "SUCCESS")


async def test_modal_expires() -> None:
    async with (
        Simulator(SimConfig(key=KEY, speed=400, modal_ttl=0.2)) as sim,
        httpx.AsyncClient(base_url=sim.base_url, headers=AUTH) as client,
    ):
        single = await upscaled(client, sim, "expiring")
        env = await press(client, single, find_button(single, label="Vary (Region)"))
        failed = await sim.wait_for_status(env["result"], "FAILURE", timeout=3)
        assert failed["failReason"] == "上游任务超时（超过1小时）"
        late = await post(
            client,
            "/mj/submit/modal",
            {"taskId": env["result"], "maskBase64": data_url(mask((512, 512)))},
        )
        assert late["code"] == 4
        assert "task_status_not_modal" in late["description"]


async def test_describe_then_picreader(client: httpx.AsyncClient, sim: Simulator) -> None:
    picture = Image.new("RGB", (500, 400), (40, 80, 200))
    env = await post(client, "/mj-fast/mj/submit/describe", {"base64": data_url(picture)})
    done = await sim.wait_for_status(env["result"], "SUCCESS")
    assert (done["action"], done["prompt"]) == ("DESCRIBE", "")
    lines = done["properties"]["finalPrompt"].split("\n\n")
    assert [line[:3] for line in lines] == ["1️⃣", "2️⃣", "3️⃣", "4️⃣"]
    assert all("blue" in line and "--ar 5:4" in line for line in lines)
    assert decode((await client.get(done["imageUrl"])).content).size == (500, 400)
    assert [b["customId"] for b in done["buttons"]] == [
        "MJ::Job::PicReader::1",
        "MJ::Job::PicReader::2",
        "MJ::Job::PicReader::3",
        "MJ::Job::PicReader::4",
        "MJ::Job::PicReader::all",
        "MJ::Picread::Retry",
    ]
    pick = await press(client, done, "MJ::Job::PicReader::2")
    modal_task = await sim.wait_for_status(pick["result"], "MODAL")
    assert modal_task["prompt"] == lines[1][4:]
    await post(
        client, "/mj/submit/modal", {"taskId": pick["result"], "prompt": modal_task["prompt"]}
    )
    made = await sim.wait_for_status(pick["result"], "SUCCESS")
    assert made["action"] == "IMAGINE"
    assert decode((await client.get(made["imageUrl"])).content).size == (1024, 820)
    retry = await press(client, done, "MJ::Picread::Retry")
    assert (await sim.wait_for_status(retry["result"], "SUCCESS"))["action"] == "DESCRIBE"
    link = await post(client, "/mj/submit/describe", {"link": "https://example.com/cat.png"})
    await sim.wait_for_status(link["result"], "SUCCESS")
    assert (await post(client, "/mj/submit/describe", {}))["code"] == 4
    assert (await post(client, "/mj/submit/describe", {"base64": "data:image/png;base64,xx"}))[
        "code"
    ] == 4


async def test_blend(client: httpx.AsyncClient, sim: Simulator) -> None:
    red, green = Image.new("RGB", (64, 64), "red"), Image.new("RGB", (64, 32), "green")
    one = await post(client, "/mj/submit/blend", {"base64Array": [data_url(red)]})
    assert one["code"] == 4
    six = await post(client, "/mj/submit/blend", {"base64Array": [data_url(red)] * 6})
    assert six["code"] == 4
    bad_dims = await post(
        client,
        "/mj/submit/blend",
        {"base64Array": [data_url(red), data_url(green)], "dimensions": "WIDE"},
    )
    assert bad_dims["code"] == 4
    env = await post(
        client,
        "/mj/submit/blend",
        {"base64Array": [data_url(red), data_url(green)], "dimensions": "PORTRAIT"},
    )
    done = await sim.wait_for_status(env["result"], "SUCCESS")
    assert done["action"] == "BLEND"
    assert len(done["buttons"]) == 9
    assert decode((await client.get(done["imageUrl"])).content).size == (684, 1024)


async def test_shorten_edits_and_bad_refs(client: httpx.AsyncClient, sim: Simulator) -> None:
    env = await post(client, "/mj/submit/shorten", {"prompt": "a very detailed castle on a hill"})
    done = await sim.wait_for_status(env["result"], "SUCCESS")
    final = done["properties"]["finalPrompt"]
    assert final.startswith("## Important tokens")
    assert "## Shortened prompts" in final
    assert sum(final.count(k) for k in ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣")) == 5
    assert (await post(client, "/mj/submit/shorten", {"prompt": ""}))["code"] == 4

    holed = Image.new("RGBA", (300, 200), (200, 0, 0, 255))
    holed.paste((0, 0, 0, 0), (100, 50, 200, 150))
    env = await post(client, "/mj/submit/edits", {"prompt": "fill it", "image": data_url(holed)})
    done = await sim.wait_for_status(env["result"], "SUCCESS")
    assert done["action"] == "EDITS"
    assert decode((await client.get(done["imageUrl"])).content).size == (1024, 684)
    assert (await post(client, "/mj/submit/edits", {"prompt": "x"}))["code"] == 4

    refs = await post(
        client,
        "/mj/submit/imagine",
        {"prompt": "with refs", "base64Array": [data_url(holed), "https://example.com/a.png"]},
    )
    assert refs["code"] == 1
    bad = await post(client, "/mj/submit/imagine", {"prompt": "x", "base64Array": ["%%%"]})
    assert bad["code"] == 4


async def test_zoom_pan_square_and_hd_sizes(client: httpx.AsyncClient, sim: Simulator) -> None:
    single = await upscaled(client, sim, "sizes --v 5.2 --ar 2:1")
    assert decode((await client.get(single["imageUrl"])).content).size == (512, 256)

    async def result_size(label: str = "", id_part: str = "") -> tuple[int, int]:
        env = await press(client, single, find_button(single, label=label, id_part=id_part))
        done = await sim.wait_for_status(env["result"], "SUCCESS")
        return decode((await client.get(done["imageUrl"])).content).size

    assert await result_size(label="Zoom Out 2x") == (1024, 512)
    assert await result_size(label="Make Square") == (1024, 1024)
    assert await result_size(id_part="pan_left") == (1536, 512)
    assert await result_size(id_part="pan_up") == (1024, 768)
    assert await result_size(label="Upscale (2x)") == (1024, 512)
    assert await result_size(label="Upscale (4x)") == (2048, 1024)


async def test_video_and_animate(client: httpx.AsyncClient, sim: Simulator) -> None:
    still = Image.new("RGB", (320, 180), (10, 120, 60))
    env = await post(
        client, "/mj/submit/video", {"image": data_url(still), "motion": "high", "prompt": "go"}
    )
    done = await sim.wait_for_status(env["result"], "SUCCESS")
    assert done["action"] == "VIDEO"
    assert done["videoUrls"] == [{"url": done["videoUrl"]}]
    anim = decode((await client.get(done["videoUrl"])).content)
    assert getattr(anim, "is_animated", False)
    assert getattr(anim, "n_frames", 1) > 1
    labels = [b["label"] for b in done["buttons"]]
    assert labels == ["U1", "U2", "U3", "U4", "Extend (High motion)", "Extend (Low motion)"]
    ext = await post(
        client, "/mj/submit/video", {"action": "extend", "taskId": done["id"], "index": 0}
    )
    await sim.wait_for_status(ext["result"], "SUCCESS")
    up = await press(client, done, find_button(done, label="U3"))
    upped = await sim.wait_for_status(up["result"], "SUCCESS")
    assert [b["label"] for b in upped["buttons"]] == ["Extend (High motion)", "Extend (Low motion)"]
    assert (await post(client, "/mj/submit/video", {"image": data_url(still), "motion": "x"}))[
        "code"
    ] == 4

    single = await upscaled(client, sim, "animate me")
    env = await press(client, single, find_button(single, label="Animate (Low motion)"))
    animated = await sim.wait_for_status(env["result"], "SUCCESS")
    assert animated["videoUrl"].endswith(f"/mj/video/{animated['id']}")
