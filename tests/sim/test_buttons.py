"""Buttons by model version (mj-protocol.md §5) and how pressed ones are refused."""

from __future__ import annotations

import httpx
import pytest

from bot.sim import Simulator
from bot.sim.buttons import parse_custom_id
from tests.sim.helpers import find_button, imagine, press, upscaled

GRID = ["U1", "U2", "U3", "U4", "", "V1", "V2", "V3", "V4"]


async def test_grid_buttons(client: httpx.AsyncClient, sim: Simulator) -> None:
    one = await imagine(client, sim, "grid one")
    two = await imagine(client, sim, "grid two")
    assert [b["label"] for b in one["buttons"]] == GRID
    assert one["buttons"][4]["emoji"] == "🔄"
    assert one["buttons"][4]["customId"].startswith("MJ::JOB::reroll::0::")
    assert one["buttons"][4]["customId"].endswith("::SOLO")
    assert all(b["type"] == 2 for b in one["buttons"])
    ids_one = {b["customId"] for b in one["buttons"]}
    assert ids_one.isdisjoint({b["customId"] for b in two["buttons"]})
    h = one["buttons"][0]["customId"].split("::")[-1]
    assert one["buttons"][0]["customId"] == f"MJ::JOB::upsample::1::{h}"
    assert one["buttons"][5]["customId"] == f"MJ::JOB::variation::1::{h}"


@pytest.mark.parametrize(
    ("suffix", "upscalers", "animate"),
    [
        ("--v 5.2 --ar 3:2", ["upsample_v5_2x", "upsample_v5_4x"], False),
        ("--v 6", ["upsample_v6_2x_subtle", "upsample_v6_2x_creative"], True),
        ("--v 6.1", ["upsample_v6r1_2x_subtle", "upsample_v6r1_2x_creative"], True),
        ("--v 7", ["upsample_v7_2x_subtle", "upsample_v7_2x_creative"], True),
        ("", ["upsample_v7_2x_subtle", "upsample_v7_2x_creative"], True),
        ("--v 8", [], True),
        ("--niji 6", ["upsample_v6_2x_subtle", "upsample_v6_2x_creative"], True),
    ],
)
async def test_upscale_buttons_by_version(
    client: httpx.AsyncClient, sim: Simulator, suffix: str, upscalers: list[str], animate: bool
) -> None:
    single = await upscaled(client, sim, f"versions {suffix}")
    ids = [b["customId"] for b in single["buttons"]]
    h = ids[-1].split("::")[-2]
    found = [i.split("::")[2] for i in ids if "::upsample_" in i]
    assert found == upscalers
    if upscalers:
        labels = [b["label"] for b in single["buttons"][:2]]
        kinds = ["(2x)", "(4x)"] if "v5" in upscalers[0] else ["(Subtle)", "(Creative)"]
        assert labels == [f"Upscale {k}" for k in kinds]
        assert single["buttons"][0]["emoji"] == "upscale_1"
    for expected in (
        f"MJ::JOB::low_variation::1::{h}::SOLO",
        f"MJ::JOB::high_variation::1::{h}::SOLO",
        f"MJ::Inpaint::1::{h}::SOLO",
        f"MJ::Outpaint::50::1::{h}::SOLO",
        f"MJ::Outpaint::75::1::{h}::SOLO",
        f"MJ::CustomZoom::1::{h}",
        f"MJ::JOB::pan_left::1::{h}::SOLO",
        f"MJ::JOB::pan_down::1::{h}::SOLO",
        f"MJ::BOOKMARK::{h}",
        f"MJ::JOB::reroll::0::{h}::SOLO",
    ):
        assert expected in ids
    assert (f"MJ::JOB::animate_high::1::{h}::SOLO" in ids) is animate
    assert (f"MJ::Outpaint::100::1::{h}::SOLO" in ids) is ("5.2" in suffix)
    emoji = {b["label"] or b["customId"].split("::")[2]: b["emoji"] for b in single["buttons"]}
    assert emoji["Vary (Region)"] == "🖌️"
    assert emoji["Vary (Subtle)"] == "🪄"
    assert emoji["Custom Zoom"] == "🔍"


async def test_refused_actions(client: httpx.AsyncClient, sim: Simulator) -> None:
    single = await upscaled(client, sim, "refusals")

    async def refused(task_id: str, custom_id: str) -> str:
        resp = await client.post(
            "/mj/submit/action", json={"taskId": task_id, "customId": custom_id}
        )
        assert resp.status_code == 400
        body = resp.json()
        assert (body["type"], body["code"]) == ("upstream_error", 4)
        return str(body["description"])

    bookmark = find_button(single, id_part="BOOKMARK")
    assert await refused(single["id"], bookmark) == f"Invalid request, unknown_action:{bookmark} "
    foreign = "MJ::JOB::upsample::1::00000000-0000-4000-8000-000000000000"
    assert "unknown_action" in await refused(single["id"], foreign)
    assert (await refused("42", find_button(single, label="Vary (Strong)"))).startswith(
        "task_not_found"
    )
    running = (await client.post("/mj/submit/imagine", json={"prompt": "busy"})).json()["result"]
    sim.stick(running)
    vary = find_button(single, label="Vary (Strong)")
    assert (await refused(running, vary)).startswith("task_status_not_success")
    resp = await client.post("/mj/submit/action", json={"taskId": single["id"]})
    assert resp.json()["description"].startswith("custom_id_is_required")


async def test_pressed_button_is_marked(client: httpx.AsyncClient, sim: Simulator) -> None:
    grid = await imagine(client, sim, "mark")
    await press(client, grid, find_button(grid, label="U2"))
    fresh = sim.task_json(sim.tasks[grid["id"]])
    styles = {b["label"]: b["style"] for b in fresh["buttons"]}
    assert styles["U2"] == 1
    assert styles["U1"] == 2


def test_parse_custom_id_families() -> None:
    assert parse_custom_id("MJ::JOB::upsample::3::h") is not None
    assert parse_custom_id("MJ::CustomZoom::h") is not None  # both forms are seen
    assert parse_custom_id("MJ::CustomZoom::1::h") is not None
    assert parse_custom_id("MJ::Job::PicReader::all") is None
    assert parse_custom_id("MJ::BOOKMARK::h") is None
    assert parse_custom_id("MJ::JOB::PromptAnalyzer::1::h") is None
    assert parse_custom_id("garbage") is None
