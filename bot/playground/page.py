"""The playground's page and its small JSON API, served beside the Discord stand-in.

The page acts as one of the people (`user` in each request): it runs slash commands, presses
buttons, picks from selects and submits modals through the stand-in's scripted users, exactly
as the tests do, so the bot sees real Discord interactions. `/play/api/events` streams a
change counter (server-sent events); the page then fetches the channel again.

A wrong input from the page (a required option left empty, a file too large) gets a sentence
back, as Discord's client would show under the message box; nothing reaches the bot."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from bot.playground.standin import ApiError, FakeDiscord, FakeModal, FakeUser, InteractionResult
from bot.playground.standin.model import ChannelRecord, GuildRecord
from bot.playground.view import Person, commands_json, messages_json, world_json

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FAILED = "This interaction failed"  # what Discord's client says when the bot did not answer
HEARTBEAT = 15.0  # seconds between keep-alive comments on the event stream
MAX_UPLOAD = 25 * 1024 * 1024
# What the page may get wrong; shown to the person, never a stack trace.
INPUT_ERRORS = (TypeError, ValueError, KeyError, LookupError, PermissionError, ApiError)


class PageError(Exception):
    """A request the page cannot make: answered 400 with the sentence."""


class Page:
    def __init__(
        self, fake: FakeDiscord, guild: GuildRecord, people: list[Person], editor: str | None
    ) -> None:
        self.fake, self.guild, self.people, self.editor = fake, guild, people, editor
        self.modals: dict[str, FakeModal] = {}  # open modals by the id the page holds

    def install(self, app: web.Application) -> None:
        app.router.add_get("/", self._index)
        app.router.add_static("/play/static/", STATIC)
        get, post = app.router.add_get, app.router.add_post
        get("/play/api/world", self._wrap(self._world))
        get("/play/api/messages", self._wrap(self._messages))
        get("/play/api/events", self._events)
        post("/play/api/command", self._wrap(self._command))
        post("/play/api/autocomplete", self._wrap(self._autocomplete))
        post("/play/api/component", self._wrap(self._component))
        post("/play/api/modal", self._wrap(self._modal))
        post("/play/api/send", self._wrap(self._send))

    # --- plumbing ----------------------------------------------------------------------
    def _wrap(self, handler: Callable[[web.Request], Awaitable[Any]]) -> Handler:
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                return web.json_response(await handler(request))
            except PageError as exc:
                return web.json_response({"error": str(exc)}, status=400)
            except INPUT_ERRORS as exc:
                return web.json_response({"error": _sentence(exc)}, status=400)

        return run

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    def _person(self, key: str | None) -> FakeUser:
        for person in self.people:
            if person.key == key:
                return person.user
        raise PageError(f"Nobody called {key!r} is in the playground.")

    def _channel(self, channel_id: Any) -> ChannelRecord:
        try:
            channel = self.fake.world.channels[int(channel_id)]
        except (KeyError, TypeError, ValueError):
            raise PageError("That channel does not exist.") from None
        if channel.guild_id != self.guild.id:
            raise PageError("That channel does not exist.")
        return channel

    @staticmethod
    async def _form(request: web.Request) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """The JSON part of a request (a `json` field when multipart) and its files by field."""
        if not request.content_type.startswith("multipart/"):
            return await request.json(), {}
        fields: dict[str, Any] = {}
        files: dict[str, list[Any]] = {}
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue  # a nested multipart: browsers do not send those
            data = await part.read(decode=False)
            if len(data) > MAX_UPLOAD:
                raise PageError("That file is larger than 25 MB.")
            if part.filename:
                files.setdefault(part.name, []).append((part.filename, bytes(data)))
            else:
                fields[part.name] = json.loads(bytes(data).decode("utf-8"))
        return fields.get("json") or {}, files

    async def _answer(self, result: InteractionResult) -> dict[str, Any]:
        """Wait for the bot's first response, as a person waits on Discord's spinner."""
        await result.wait_for_response()
        if result.failed or result.errors:
            return {"failed": FAILED}
        if result.modal is not None:
            key = str(result.id)
            self.modals[key] = result.modal
            return {"modal": {"id": key, "title": result.modal.title, **_modal(result.modal)}}
        return {"ok": True}

    # --- reads -------------------------------------------------------------------------
    async def _world(self, request: web.Request) -> Any:
        return world_json(self.fake, self.guild, self.people, self.editor)

    async def _messages(self, request: web.Request) -> Any:
        user = self._person(request.query.get("user"))
        channel = self._channel(request.query.get("channel"))
        return {
            "messages": messages_json(self.fake, user.record, channel),
            "commands": commands_json(self.fake, user.record, channel),
            "warnings": [str(v) for v in self.fake.violations],
            "changes": self.fake.changes,
        }

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        seen = -1
        try:
            while True:
                if self.fake.changes != seen:
                    seen = self.fake.changes
                    await response.write(f"data: {seen}\n\n".encode())
                if not await self._changed(HEARTBEAT):
                    await response.write(b": still here\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    async def _changed(self, timeout: float) -> bool:
        event = asyncio.Event()
        self.fake._wakers.add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self.fake._wakers.discard(event)

    # --- actions -----------------------------------------------------------------------
    async def _command(self, request: web.Request) -> Any:
        body, files = await self._form(request)
        user = self._person(body.get("user"))
        channel = self._channel(body.get("channel"))
        options = dict(body.get("options") or {})
        for name, uploads in files.items():
            options[name.removeprefix("file:")] = uploads[0]
        name = str(body.get("command") or "").strip().lstrip("/")
        result = await user.slash(name, channel=channel, options=options, wait=False)
        return await self._answer(result)

    async def _autocomplete(self, request: web.Request) -> Any:
        body = await request.json()
        user = self._person(body.get("user"))
        channel = self._channel(body.get("channel"))
        options = {k: v for k, v in (body.get("options") or {}).items() if v not in ("", None)}
        focused = str(body.get("focused"))
        options[focused] = str(body.get("value") or "")
        result = await user.autocomplete(
            str(body.get("command")), focused, channel=channel, options=options
        )
        return {"choices": result.choices or []}

    async def _component(self, request: web.Request) -> Any:
        body = await request.json()
        user = self._person(body.get("user"))
        message = str(body.get("message"))
        target = str(body.get("custom_id"))
        if "values" in body:
            result = await user.select(message, target, list(body["values"]), wait=False)
        else:
            result = await user.click(message, target, wait=False)
        return await self._answer(result)

    async def _modal(self, request: web.Request) -> Any:
        body, files = await self._form(request)
        user = self._person(body.get("user"))
        modal = self.modals.get(str(body.get("modal")))
        if modal is None:
            raise PageError("That form was already sent or has expired.")
        uploads = {name.removeprefix("file:"): items for name, items in files.items()}
        result = await user.submit_modal(
            modal, dict(body.get("values") or {}), files=uploads, wait=False
        )
        self.modals.pop(str(body.get("modal")), None)
        return await self._answer(result)

    async def _send(self, request: web.Request) -> Any:
        body = await request.json()
        user = self._person(body.get("user"))
        content = str(body.get("content") or "").strip()
        if not content:
            raise PageError("Type a message first.")
        await user.send(self._channel(body.get("channel")), content[:2000])
        return {"ok": True}


def _modal(modal: FakeModal) -> dict[str, Any]:
    return {"custom_id": modal.custom_id, "components": modal.components}


def _sentence(exc: BaseException) -> str:
    given = getattr(exc, "message", None) or (exc.args[0] if exc.args else "")
    text = str(given) or "That did not work"
    text = text.strip("'\"")
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
