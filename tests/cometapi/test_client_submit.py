"""Submits at the HTTP boundary (httpx's in-process transport): exact request shapes, envelope
codes, error mapping, and the rule that a submit is resent only when it never left or got 429.
The loopback tests against the simulator (test_client_sim.py) cover the same paths end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bot.cometapi.client import CometAPIClient
from bot.cometapi.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeout,
    AuthError,
    BadRequest,
    BadResponse,
    BannedPrompt,
    NotFound,
    QueueFull,
    RateLimited,
    ServerError,
    SubmitFailed,
    TaskNotFound,
    UnknownAction,
    UnknownCode,
    ValidationRejected,
)
from bot.cometapi.models import SpeedMode
from tests.cometapi.recorder import (
    BASE,
    COMET_ERROR,
    KEY,
    Handler,
    Recorder,
    envelope,
    raising,
    status,
)


async def test_imagine_request_shape() -> None:
    rec = Recorder(envelope())
    async with rec.client() as client:
        result = await client.imagine(
            "a paper boat --v 6.1",
            mode=SpeedMode.TURBO,
            bot_type="niji_journey",
            base64_array=["data:image/png;base64,AAAA"],
            account_modes=[SpeedMode.FAST, "relax"],
            state="job-42",
            notify_hook="https://bot.example/hook",
        )
    assert result.task_id == "1773314942177684"
    request = rec.requests[0]
    assert request.method == "POST"
    assert request.url.path == "/mj-turbo/mj/submit/imagine"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    assert rec.body() == {
        "prompt": "a paper boat --v 6.1",
        "botType": "NIJI_JOURNEY",
        "base64Array": ["data:image/png;base64,AAAA"],
        "accountFilter": {"modes": ["FAST", "RELAX"]},
        "state": "job-42",
        "notifyHook": "https://bot.example/hook",
    }


async def test_every_submit_body() -> None:
    rec = Recorder(envelope())
    async with rec.client() as client:
        await client.imagine("p")
        await client.action("1773314942177684", "MJ::JOB::variation::3::example")
        await client.action("1", "MJ::JOB::pan_left::1::h::SOLO", enable_remix=True, state="s")
        await client.modal("14001934816969359")
        await client.modal("2", prompt="new", mask_base64="iVBORw0K")
        await client.blend(["a", "b"], dimensions="portrait", mode=SpeedMode.RELAX)
        await client.describe(link="https://img.example/a.png")
        await client.shorten("long prompt")
        await client.video(image="https://img.example/a.png", prompt="go", motion="high")
        await client.video(prompt="more", extend_task_id="7", index=0)
        await client.edits("make it blue", "data:image/png;base64,AAAA")
    paths = [r.url.path for r in rec.requests]
    assert paths == [
        "/mj-fast/mj/submit/imagine",
        "/mj-fast/mj/submit/action",
        "/mj-fast/mj/submit/action",
        "/mj-fast/mj/submit/modal",
        "/mj-fast/mj/submit/modal",
        "/mj-relax/mj/submit/blend",
        "/mj-fast/mj/submit/describe",
        "/mj-fast/mj/submit/shorten",
        "/mj-fast/mj/submit/video",
        "/mj-fast/mj/submit/video",
        "/mj-fast/mj/submit/edits",
    ]
    bodies = [json.loads(r.content) for r in rec.requests]
    assert bodies[0] == {"prompt": "p"}
    assert bodies[1] == {"customId": "MJ::JOB::variation::3::example", "taskId": "1773314942177684"}
    assert bodies[2] == {
        "taskId": "1",
        "customId": "MJ::JOB::pan_left::1::h::SOLO",
        "enableRemix": True,
        "state": "s",
    }
    assert bodies[3] == {"taskId": "14001934816969359"}
    assert bodies[4] == {
        "taskId": "2",
        "prompt": "new",
        "maskBase64": "data:image/png;base64,iVBORw0K",
    }
    assert bodies[5] == {"base64Array": ["a", "b"], "dimensions": "PORTRAIT"}
    assert bodies[6] == {"link": "https://img.example/a.png"}
    assert bodies[7] == {"prompt": "long prompt"}
    assert bodies[8] == {"prompt": "go", "motion": "high", "image": "https://img.example/a.png"}
    assert bodies[9] == {
        "prompt": "more",
        "motion": "low",
        "action": "extend",
        "taskId": "7",
        "index": 0,
    }
    assert bodies[10] == {"prompt": "make it blue", "image": "data:image/png;base64,AAAA"}


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.blend(["only one"]),
        lambda c: c.blend(["a", "b"], dimensions="WIDE"),
        lambda c: c.describe(),
        lambda c: c.describe(base64="x", link="y"),
        lambda c: c.video(prompt="p"),
        lambda c: c.video(prompt="p", image="i", motion="extreme"),
        lambda c: c.video(prompt="p", extend_task_id="1"),
        lambda c: c.modal("1", mask_base64="data:image/jpeg;base64,AAAA"),
        lambda c: c.action("1", ""),
        lambda c: c.action("../../admin", "MJ::X"),
        lambda c: c.fetch("1/../../x"),
        lambda c: c.imagine("p", bot_type="DALL_E"),
        lambda c: c.imagine("p", state="x" * 256),
        lambda c: c.find_by_state(""),
        lambda c: c.find_by_state("x" * 256),
    ],
)
async def test_invalid_arguments_send_nothing(call: Callable[[CometAPIClient], Any]) -> None:
    rec = Recorder(envelope())
    async with rec.client() as client:
        with pytest.raises(ValueError):
            await call(client)
    assert rec.requests == []


def test_bad_construction() -> None:
    with pytest.raises(ValueError, match="base_url"):
        CometAPIClient("ftp://x", KEY)
    with pytest.raises(ValueError, match="api_key") as info:
        CometAPIClient(BASE, "sk-has space")
    assert "has space" not in str(info.value)


@pytest.mark.fault(7)
@pytest.mark.parametrize(
    ("code", "description", "props", "error"),
    [
        (23, "队列已满，请稍后尝试", {}, QueueFull),
        (9, "队列已满", {}, QueueFull),
        (9, "提交失败", {}, SubmitFailed),
        (24, "可能包含敏感词", {"promptEn": "nude body", "bannedWord": "nude"}, BannedPrompt),
        (3, "无可用的账号实例", {}, TaskNotFound),
        (4, "prompt_is_required", {}, ValidationRejected),
        (99, "新代码", {}, UnknownCode),
        (0, "", {}, UnknownCode),
    ],
)
async def test_rejecting_codes(
    code: int, description: str, props: dict[str, object], error: type[Exception]
) -> None:
    payload = {"code": code, "description": description, "properties": props}
    rec = Recorder(lambda r: httpx.Response(200, json=payload))
    async with rec.client() as client:
        with pytest.raises(error) as info:
            await client.imagine("p")
    assert len(rec.requests) == 1
    assert info.value.code == code  # type: ignore[attr-defined]
    assert info.value.description == description  # type: ignore[attr-defined]
    if error is BannedPrompt:
        assert info.value.word == "nude"  # type: ignore[attr-defined]


@pytest.mark.fault(7)
@pytest.mark.parametrize(("code", "modal"), [(1, False), (21, True), (22, False)])
async def test_accepting_codes(code: int, modal: bool) -> None:
    rec = Recorder(envelope(code, numberOfQueues=2))
    async with rec.client() as client:
        result = await client.action("1", "MJ::Inpaint::1::h::SOLO")
    assert result.is_modal is modal
    assert result.queue_ahead == 2


@pytest.mark.fault(4)
@pytest.mark.parametrize(
    ("handler", "error", "detail"),
    [
        (status(401, COMET_ERROR), AuthError, "invalid token"),
        (status(403, COMET_ERROR), AuthError, "invalid token"),
        (status(404, "404 page not found"), NotFound, "404 page not found"),
        (status(400, {"description": "task_no_found ", "type": "upstream_error", "code": 4}),
         NotFound, "task_no_found"),
        (status(400, {"description": "quota_not_enough ", "type": "upstream_error", "code": 4}),
         BadRequest, "quota_not_enough"),
        (status(400, {"description": "Invalid request, unknown_action:MJ::BOOKMARK::abc",
                       "type": "upstream_error", "code": 4}), UnknownAction, "unknown_action"),
        (status(429, {"description": "group load saturated", "code": 30}, {"Retry-After": "3"}),
         RateLimited, "saturated"),
        (status(500, "<html><body>oops</body></html>"), ServerError, "HTML error page"),
        (status(503, ""), ServerError, ""),
        (status(418, {"message": "teapot"}), APIStatusError, "teapot"),
    ],
)  # fmt: skip
async def test_status_mapping_on_a_submit(handler: Handler, error: type, detail: str) -> None:
    rec = Recorder(handler)
    async with rec.client() as client:
        with pytest.raises(error) as info:
            await client.action("1", "MJ::BOOKMARK::abc")
    assert type(info.value) is error
    assert detail in str(info.value)
    # Only a 429 is repeated on a submit; nothing else is ever resent.
    assert len(rec.requests) == (4 if error is RateLimited else 1)
    if isinstance(info.value, UnknownAction):
        assert info.value.custom_id == "MJ::BOOKMARK::abc"
    if isinstance(info.value, BadRequest):
        assert info.value.code == 4
    if isinstance(info.value, RateLimited):
        assert info.value.retry_after == 3.0
        assert rec.sleeps == [3.0, 3.0, 3.0]


@pytest.mark.fault(6)
@pytest.mark.parametrize(
    ("handler", "reason", "maybe_processed"),
    [
        (status(200, "<!DOCTYPE html><html>login</html>"), "HTML", False),
        (lambda r: httpx.Response(301, headers={"Location": "/elsewhere"}), "redirect", False),
        (lambda r: httpx.Response(200, content=b""), "empty", True),
        (lambda r: httpx.Response(200, content=b"null"), "not a submit envelope", True),
        (lambda r: httpx.Response(200, content=b'{"code": 1, "resu'), "truncated", True),
        (lambda r: httpx.Response(200, json=[1, 2]), "not a submit envelope", True),
        (lambda r: httpx.Response(200, json={"description": "x"}), "not a submit envelope", True),
        (lambda r: httpx.Response(200, json={"code": 1, "result": None}), "without a task", True),
    ],
)
async def test_bad_responses_on_a_submit_are_typed_and_not_resent(
    handler: Handler, reason: str, maybe_processed: bool
) -> None:
    rec = Recorder(handler)
    async with rec.client() as client:
        with pytest.raises(BadResponse, match=reason) as info:
            await client.imagine("p")
    assert len(rec.requests) == 1
    # A garbled 2xx may hide a created job: the caller reconciles instead of refunding at once.
    assert info.value.maybe_processed is maybe_processed


@pytest.mark.fault(2)
@pytest.mark.fault(3)
@pytest.mark.parametrize(
    ("exc", "error", "sent", "attempts"),
    [
        (httpx.ConnectError("dns failure"), APIConnectionError, False, 4),
        (httpx.ConnectTimeout("slow connect"), APITimeout, False, 4),
        (httpx.ReadTimeout("slow answer"), APITimeout, True, 1),
        (httpx.RemoteProtocolError("server disconnected"), APIConnectionError, True, 1),
        (httpx.ReadError("reset"), APIConnectionError, True, 1),
    ],
)
async def test_transport_errors_on_a_submit(
    exc: Exception, error: type[APIConnectionError], sent: bool, attempts: int
) -> None:
    rec = Recorder(raising(exc))
    async with rec.client() as client:
        with pytest.raises(error) as info:
            await client.imagine("p")
    assert type(info.value) is error
    assert info.value.sent is sent
    assert len(rec.requests) == attempts
    assert rec.sleeps == [0.5, 1.0, 2.0][: attempts - 1]  # backoff with jitter at its top


@pytest.mark.fault(3)
async def test_connect_error_then_success_submits_once() -> None:
    answers: list[Handler] = [raising(httpx.ConnectError("refused")), envelope()]
    rec = Recorder(lambda r: answers.pop(0)(r))
    async with rec.client() as client:
        result = await client.imagine("p")
    assert result.code == 1
    assert len(rec.requests) == 2
