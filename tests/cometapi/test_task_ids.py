"""Task ids in submit answers: one valid id (the first of "id1,id2"), never garbage that would be
stored and later break every poll; a bad id already stored never costs others their poll."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import httpx
import pytest

from bot.cometapi.client import CometAPIClient
from bot.cometapi.errors import BadResponse
from bot.cometapi.models import SubmitResult
from bot.sim import Fault
from tests.cometapi.recorder import Recorder, envelope

ACTION = "/mj/submit/action"


@pytest.mark.parametrize(
    ("result", "task_id", "task_ids"),
    [
        ("1773314942177684", "1773314942177684", ("1773314942177684",)),
        (1320098173412546, "1320098173412546", ("1320098173412546",)),
        ("11,12", "11", ("11", "12")),
        (" 11 , 12 ,13 ", "11", ("11", "12", "13")),
    ],
)
async def test_valid_results(result: object, task_id: str, task_ids: tuple[str, ...]) -> None:
    rec = Recorder(envelope(1, result))
    async with rec.client() as client:
        submitted = await client.action("1", "MJ::Job::PicReader::all")
    assert (submitted.task_id, submitted.task_ids) == (task_id, task_ids)


@pytest.mark.parametrize(
    "result",
    ["abc def", "11,", ",11", "11,,12", "11;12", "1/../2", "x" * 65, "11,abc def", "１２"],
)
async def test_a_malformed_result_is_a_maybe_processed_bad_response(result: str) -> None:
    rec = Recorder(envelope(1, result))
    async with rec.client() as client:
        with pytest.raises(BadResponse, match="malformed task id") as info:
            await client.imagine("p", state="job-1")
    assert info.value.maybe_processed  # the caller reconciles by `state`, never refunds blindly
    assert len(rec.requests) == 1  # never resubmitted


def test_the_model_keeps_the_raw_result_but_no_bad_id() -> None:
    bad = SubmitResult.from_dict({"code": 1, "result": "abc def"})
    assert (bad.task_id, bad.task_ids, bad.result) == (None, (), "abc def")
    assert SubmitResult.from_dict(bad.to_dict()) == bad
    good = SubmitResult.from_dict({"code": 22, "result": "5,6"})
    assert (good.task_id, good.task_ids) == ("5", ("5", "6"))


async def test_a_two_id_answer_from_the_simulator(sim: Any, client: CometAPIClient) -> None:
    submitted = await client.imagine("lighthouse")
    assert submitted.task_id
    await sim.wait_for_status(submitted.task_id, "SUCCESS")
    grid = await client.fetch(submitted.task_id)
    assert grid is not None
    sim.faults.inject(Fault(kind="result", match=ACTION, body="{id},{id}9"))
    pressed = await client.action(grid.id, grid.buttons[0].custom_id)
    assert pressed.task_id is not None
    assert pressed.task_ids == (pressed.task_id, pressed.task_id + "9")
    assert pressed.task_id in sim.tasks  # the first id is the real task
    sim.faults.inject(Fault(kind="result", match=ACTION, body="abc def"))
    with pytest.raises(BadResponse) as info:
        await client.action(grid.id, grid.buttons[1].custom_id)
    assert info.value.maybe_processed
    assert len(sim.tasks) == 3  # the garbled answer still made its task upstream


async def test_list_by_condition_skips_an_invalid_id_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["ids"]
        return httpx.Response(200, json=[{"id": i, "status": "SUCCESS"} for i in ids])

    rec = Recorder(handler)
    # Unique per run: the once-only memory is per process.
    tag = uuid.uuid4().hex[:8]
    bad = f"1773314942177684,{tag}"  # stored from a two-id answer, say
    junk = f"abc def {tag}"
    with caplog.at_level(logging.WARNING, logger="bot.cometapi"):
        async with rec.client() as client:
            first = await client.list_by_condition(["1", bad, "2", junk, f"{tag}/.."])
            second = await client.list_by_condition([bad, "3", junk])
    assert [t.id for t in first] == ["1", "2"]
    assert [t.id for t in second] == ["3"]
    assert [json.loads(r.content)["ids"] for r in rec.requests] == [["1", "2"], ["3"]]
    warned = [r.getMessage() for r in caplog.records if "invalid task id" in r.getMessage()]
    assert len(warned) == 3  # each bad id once, not again on the next poll
    assert sum(bad in w for w in warned) == 1
    assert sum(junk in w for w in warned) == 1


async def test_list_by_condition_of_only_invalid_ids_sends_nothing() -> None:
    rec = Recorder(lambda r: httpx.Response(200, json=[]))
    async with rec.client() as client:
        assert await client.list_by_condition(["a b", "../x"]) == []
    assert rec.requests == []
