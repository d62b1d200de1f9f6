"""The wire shapes of CometAPI's answers (mj-protocol.md §2), written in one place."""

from __future__ import annotations

import json
import random
import time
from typing import Any

from aiohttp import web

from bot.sim.faults import Fault

# Every envelope carries these; the values are what the real gateway's upstream reports.
_INSTANCE = {"discordInstanceId": "5e6ca8e1f40e4de6", "discordChannelId": "5e6ca8e1f40e4de6"}

DESC_OK = "提交成功"  # submit success
DESC_MODAL = "窗口等待"  # waiting for the modal
DESC_BANNED = "可能包含敏感词"  # may contain sensitive words
DESC_QUEUE_FULL = "队列已满，请稍后尝试"  # queue full, try later


def request_id() -> str:
    # new-api style: a timestamp and random digits.
    return time.strftime("%Y%m%d%H%M%S") + f"{random.randrange(10**12):012d}"


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=dumps(data), status=status, content_type="application/json", headers=headers
    )


def envelope(
    code: int,
    description: str,
    result: str | None = None,
    properties: dict[str, Any] | None = None,
) -> web.Response:
    body: dict[str, Any] = {"code": code, "description": description}
    if result is not None:
        body["result"] = result
    body["properties"] = {**(properties or {}), **_INSTANCE}
    return json_response(body)


def submit_ok(task_id: str, code: int = 1, description: str = DESC_OK) -> web.Response:
    return envelope(code, description, task_id)


def invalid(description: str) -> web.Response:
    """The upstream proxy's own validation error: HTTP 200, envelope code 4."""
    return envelope(4, description)


def upstream_error(description: str, result: str = "", code: int = 4) -> web.Response:
    """A gateway-side refusal: HTTP 400 (429 for code 30) and the gateway's flat body."""
    status = 429 if code == 30 else 400
    body = {"description": f"{description} {result}", "type": "upstream_error", "code": code}
    return json_response(body, status=status)


def comet_error(status: int, message: str) -> web.Response:
    rid = request_id()
    body = {
        "error": {
            "code": "",
            "message": f"{message} (request id: {rid})",
            "type": "comet_api_error",
        }
    }
    return json_response(body, status=status, headers={"X-Oneapi-Request-Id": rid})


def not_found(method: str, path: str) -> web.Response:
    return comet_error(404, f"Invalid URL ({method} {path})")


_HTML = (
    "<!DOCTYPE html><html><head><title>CometAPI</title></head>"
    "<body><h1>Welcome</h1><p>Please sign in.</p></body></html>"
)


_NOT_IMAGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    "<body><p>Checking your browser before accessing the image.</p></body></html>"
)


def fault_response(fault: Fault) -> web.Response:
    """The answer of a response-level fault (all but latency, truncated, drop, stick, fail)."""
    if fault.kind == "status":
        return _status_fault(fault)
    if fault.kind == "html":
        return web.Response(text=fault.body or _HTML, content_type="text/html")
    if fault.kind == "redirect":
        return web.Response(status=301, headers={"Location": fault.body or "/console/login"})
    if fault.kind == "empty":
        return web.Response(body=b"", content_type="application/json")
    if fault.kind == "null":
        return web.Response(text="null", content_type="application/json")
    if fault.kind == "upstream_error":
        return upstream_error(fault.body or "当前分组上游负载已饱和，请稍后再试")
    if fault.kind == "not_image":
        return web.Response(text=fault.body or _NOT_IMAGE, content_type="text/html")
    raise ValueError(f"fault kind {fault.kind} has no canned answer")


def _status_fault(fault: Fault) -> web.Response:
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        # Retry-After takes whole seconds; round up so the client never retries early.
        headers["Retry-After"] = str(max(0, int(-(-fault.retry_after // 1))))
    if fault.body is not None:
        return web.Response(
            text=fault.body, status=fault.status, headers=headers, content_type="application/json"
        )
    if fault.status == 429:
        body: dict[str, Any] = {
            "description": "当前分组上游负载已饱和，请稍后再试 "
            "The current group load is saturated, please try again later",
            "type": "upstream_error",
            "code": 30,
        }
        return json_response(body, status=429, headers=headers)
    rid = request_id()
    body = {
        "error": {
            "code": "",
            "message": f"upstream error: bad response status code {fault.status} "
            f"(request id: {rid})",
            "type": "comet_api_error",
        }
    }
    return json_response(body, status=fault.status, headers=headers)


def after_fault(fault: Fault, response: web.Response) -> web.Response:
    """The real (already processed) answer, spoilt by a `truncated`, `bad_gzip` or `result`
    fault."""
    body = response.body if isinstance(response.body, bytes) else b""
    if fault.kind == "truncated":
        return web.Response(
            body=body[: max(1, len(body) // 2)],
            status=response.status,
            content_type=response.content_type,
        )
    if fault.kind == "bad_gzip":
        # The plain body under a gzip label: the client's inflater must reject it.
        return web.Response(
            body=body,
            status=response.status,
            content_type=response.content_type,
            headers={"Content-Encoding": "gzip"},
        )
    if fault.kind == "result":
        try:
            data = json.loads(body)
        except ValueError:
            return response
        if not isinstance(data, dict) or not isinstance(data.get("result"), str):
            return response  # not an accepted submit: nothing to rewrite
        data["result"] = (fault.body or "{id}").replace("{id}", data["result"])
        return json_response(data, status=response.status)
    raise ValueError(f"fault kind {fault.kind} does not spoil an answer")
