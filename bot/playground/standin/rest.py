"""The REST pipeline: routing, auth, faults, body parsing (JSON or multipart), answers.

Every JSON answer carries ``Content-Type: application/json`` exactly: with ``; charset=utf-8``
discord.py would read a string and fail to log in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import MultiMapping

from .attachments import Upload, guess_type
from .errors import INVALID_FORM_BODY, ApiError

if TYPE_CHECKING:
    from .server import FakeDiscord

API_PREFIX = "/api/v10"
_FILE_PART = re.compile(r"^files\[(\d+)\]$")


@dataclass
class Req:
    method: str
    path: str
    params: dict[str, str]
    query: MultiMapping[str]
    headers: MultiMapping[str]
    json: Any = None
    uploads: list[Upload] = field(default_factory=list)
    multipart: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def int(self, name: str) -> int:
        value = self.params[name]
        if not value.isdigit():
            raise ApiError(404, 0, "404: Not Found")
        return int(value)

    def body(self) -> dict[str, Any]:
        if not isinstance(self.json, dict):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        return self.json

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true")


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Req], Awaitable[Reply]]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    template: str
    handler: Handler
    auth: bool


@dataclass
class RequestRecord:
    method: str
    path: str
    status: int
    body: Any
    files: list[str]


class UnsupportedRoute(ApiError):
    """A route the fake does not implement (reported as a violation so it is noticed)."""


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self.routes.append(Route(method, re.compile(f"^{regex}$"), template, handler, auth))

    def template(self, method: str, path: str) -> str | None:
        try:
            return self.match(method, path)[0].template
        except ApiError:
            return None

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed = False
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route, found.groupdict()
            allowed = True
        if allowed:
            raise ApiError(405, 0, "405: Method Not Allowed")
        raise UnsupportedRoute(404, 0, "404: Not Found")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    extra = dict(headers or {})
    if status == 204 or body is None:
        return web.Response(status=204 if body is None else status, headers=extra)
    data = json.dumps(body, separators=(",", ":")).encode()
    extra["Content-Type"] = "application/json"
    return web.Response(status=status, body=data, headers=extra)


async def parse_body(request: web.Request) -> tuple[Any, list[Upload], bool]:
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("multipart/form-data"):
        payload: Any = None
        uploads: list[Upload] = []
        reader = await request.multipart()
        async for part in reader:
            name = part.name or ""  # type: ignore[union-attr]
            data = await part.read()  # type: ignore[union-attr]
            if name == "payload_json":
                payload = _loads(data)
                continue
            match = _FILE_PART.match(name)
            if match is not None:
                filename = part.filename or f"file{match.group(1)}"  # type: ignore[union-attr]
                uploads.append(
                    Upload(int(match.group(1)), filename, bytes(data), guess_type(filename))
                )
        return payload, uploads, True
    raw = await request.read()
    if not raw:
        return None, [], False
    return _loads(raw), [], False


def _loads(raw: bytes | bytearray) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, INVALID_FORM_BODY, "The request body contains invalid JSON.") from exc


class RestServer:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.router = Router()

    async def handle(self, request: web.Request) -> web.Response:
        fake = self.fake
        method = request.method
        path = "/" + request.match_info["tail"]
        body: Any = None
        uploads: list[Upload] = []
        template: str | None = None
        try:
            fault = await fake.faults.before(method, path)
            if fault is not None:
                template = self.router.template(method, path)
                raise fault
            route, params = self.router.match(method, path)
            template = route.template
            if route.auth and request.headers.get("Authorization") != f"Bot {fake.token}":
                raise ApiError(401, 0, "401: Unauthorized")
            body, uploads, multipart = await parse_body(request)
            reply = await route.handler(
                Req(method, path, params, request.query, request.headers, body, uploads, multipart)
            )
            if 200 <= reply.status < 300:
                late = fake.faults.after(method, path)
                if late is not None:
                    reply = Reply(late.status, late.body(), late.headers)
        except ApiError as error:
            if isinstance(error, UnsupportedRoute) or error.status == 405:
                fake.violate(
                    "fake-unsupported",
                    path,
                    "the Discord stand-in does not implement this route; add it here",
                    f"{method} {path}",
                )
            reply = Reply(error.status, error.body(), error.headers)
        fake.counters.request(method, template, reply.status)
        fake.requests.append(
            RequestRecord(method, path, reply.status, body, [u.filename for u in uploads])
        )
        fake.notify()
        if reply.status == 0 and request.transport is not None:  # a Dropped fault
            request.transport.abort()
        return json_response(reply.status or 500, reply.body, reply.headers)
