"""An in-process httpx transport that answers from a handler and records every request."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from bot.cometapi.client import CometAPIClient

BASE = "https://api.example.test"
KEY = "sk-" + "Secret0Key1" * 4

COMET_ERROR = {"error": {"code": "", "message": "invalid token (request id: 1)", "type": "x"}}

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """An httpx transport answering from a handler and keeping every request."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def client(self, **kwargs: Any) -> CometAPIClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self))
        return CometAPIClient(BASE, KEY, http=http, sleep=self.sleep, rand=lambda: 1.0, **kwargs)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def envelope(code: int = 1, result: object = "1773314942177684", **props: object) -> Handler:
    payload = {"code": code, "description": "提交成功", "result": result, "properties": props}
    return lambda request: httpx.Response(200, json=payload)


def status(code: int, body: object, headers: dict[str, str] | None = None) -> Handler:
    if isinstance(body, str):
        return lambda r: httpx.Response(code, text=body, headers=headers)
    return lambda r: httpx.Response(code, json=body, headers=headers)


def raising(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler
