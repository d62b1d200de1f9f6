"""Transport: auth, routing, speed prefixes, envelopes and error bodies."""

from __future__ import annotations

import re

import httpx

from bot.sim import Simulator
from tests.sim.helpers import imagine, post


async def test_missing_or_wrong_key_is_401_with_comet_body(sim: Simulator) -> None:
    async with httpx.AsyncClient(base_url=sim.base_url) as raw:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "sk-test"}):
            resp = await raw.post("/mj/submit/imagine", json={"prompt": "x"}, headers=headers)
            assert resp.status_code == 401
            err = resp.json()["error"]
            assert err["type"] == "comet_api_error"
            assert err["code"] == ""
            assert re.fullmatch(r"invalid token \(request id: \d+\)", err["message"])
    assert sim.tasks == {}


async def test_unknown_routes_are_404(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("POST", "/mj/submit/edit"),
        ("POST", "/v1/mj/submit/imagine"),
        ("GET", "/mj/submit/imagine"),
        ("POST", "/mj-slow/mj/submit/imagine"),
    ]:
        resp = await client.request(method, path, json={})
        assert resp.status_code == 404, path
        assert resp.json()["error"]["type"] == "comet_api_error"


async def test_imagine_envelope_id_and_state(client: httpx.AsyncClient, sim: Simulator) -> None:
    env = await post(client, "/mj/submit/imagine", {"prompt": "a boat", "state": "job-7"})
    assert env["code"] == 1
    assert env["description"] == "提交成功"
    assert re.fullmatch(r"\d{16}", env["result"])
    assert set(env["properties"]) >= {"discordInstanceId", "discordChannelId"}
    task = await sim.wait_for_status(env["result"], "SUCCESS")
    assert task["state"] == "job-7"
    assert task["submitTime"] <= task["startTime"] <= task["finishTime"]
    assert task["submitTime"] > 1_600_000_000_000  # milliseconds


async def test_empty_prompt_is_a_gateway_400(client: httpx.AsyncClient) -> None:
    for body in ({"prompt": ""}, {"prompt": "   "}, {}):
        resp = await client.post("/mj-fast/mj/submit/imagine", json=body)
        assert resp.status_code == 400
        assert resp.json() == {
            "description": "prompt_is_required ",
            "type": "upstream_error",
            "code": 4,
        }


async def test_bad_json_and_long_state(client: httpx.AsyncClient) -> None:
    resp = await client.post("/mj/submit/imagine", content=b"{nope")
    assert resp.status_code == 400
    assert resp.json()["description"].startswith("bind_request_body_failed")
    env = await post(client, "/mj/submit/imagine", {"prompt": "x", "state": "s" * 256})
    assert env["code"] == 4


async def test_speed_prefixes_set_mode_and_pace(client: httpx.AsyncClient, sim: Simulator) -> None:
    ids = {}
    for prefix in ("/mj-fast", "/mj-turbo", "/mj-relax", ""):
        env = await post(client, f"{prefix}/mj/submit/imagine", {"prompt": "same --seed 5"})
        ids[prefix] = env["result"]
    modes = {p: sim.tasks[i].mode for p, i in ids.items()}
    assert modes == {"/mj-fast": "FAST", "/mj-turbo": "TURBO", "/mj-relax": "RELAX", "": "FAST"}

    def length(prefix: str) -> float:
        tl = sim.tasks[ids[prefix]].timeline
        assert tl is not None
        return tl.finish - tl.submit

    assert length("/mj-turbo") < length("/mj-fast") < length("/mj-relax")
    assert [r.mode for r in sim.requests[-4:]] == ["FAST", "TURBO", "RELAX", None]
    assert sim.requests[-1].route == "/mj/submit/imagine"
    assert sim.requests[-1].json == {"prompt": "same --seed 5"}
    assert sim.requests[-1].headers["authorization"].startswith("Bearer ")


async def test_plain_prefix_honours_account_filter(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    env = await post(
        client, "/mj/submit/imagine", {"prompt": "x", "accountFilter": {"modes": ["RELAX"]}}
    )
    assert sim.tasks[env["result"]].mode == "RELAX"


async def test_default_pace_is_realistic() -> None:
    sim = Simulator()  # speed 1: never started, only the scheduler is asked
    from bot.sim.tasks import Recipe

    for mode, low, high in (("FAST", 30, 45), ("TURBO", 12, 20), ("RELAX", 65, 105)):
        task = sim.engine.add(
            task_id=sim.engine.new_id(),
            action="IMAGINE",
            mode=mode,
            prompt="p",
            bot_type="MID_JOURNEY",
            body={},
            recipe=Recipe(op="fresh", layout="grid", size=(8, 8), tile=(4, 4), seed=1, text=""),
        )
        assert sim.engine.schedule(task) is None  # three slots at the real pace
        tl = task.timeline
        assert tl is not None
        assert low <= tl.finish - tl.submit <= high, mode


async def test_fetch_unknown_and_list_leaves_unknown_out(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    resp = await client.get("/mj-fast/mj/task/123/fetch")
    assert resp.status_code == 400
    assert resp.json() == {"description": "task_no_found ", "type": "upstream_error", "code": 4}
    done = await imagine(client, sim, "listed")
    resp = await client.post(
        "/mj/task/list-by-condition", json={"ids": ["nope", done["id"], int(done["id"])]}
    )
    rows = resp.json()
    assert isinstance(rows, list)
    assert [r["id"] for r in rows] == [done["id"]]
    resp = await client.post("/mj/task/list-by-condition", json={"ids": []})
    assert resp.json() == []


async def test_image_seed(client: httpx.AsyncClient, sim: Simulator) -> None:
    done = await imagine(client, sim, "seeded --seed 1234")
    resp = await client.get(f"/mj/task/{done['id']}/image-seed")
    assert resp.json()["code"] == 1
    assert resp.json()["result"] == "1234"
    assert (await client.get("/mj/task/999/image-seed")).status_code == 400
