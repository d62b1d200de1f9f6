"""Async client for CometAPI's Midjourney routes (mj-protocol.md §1-§4).

Strict in what it sends (camelCase JSON, explicit speed prefix, validated ids), tolerant in what
it accepts (models.py). Read-only calls retry per retry.py; a submit is repeated only when the
request certainly never left or the gateway answered 429, so one call makes one paid job at most.
After an ambiguous submit failure the caller reconciles through the `state` it sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Self, cast

import httpx

from bot.cometapi.errors import NotFound, SubmitRejected
from bot.cometapi.fields import TASK_ID, as_str
from bot.cometapi.lookup import UNSUPPORTED_TTL, RouteMemo, find_by_state
from bot.cometapi.models import SpeedMode, SubmitResult, Task, most_advanced
from bot.cometapi.netguard import Resolver
from bot.cometapi.transport import Sleep, Transport
from bot.cometapi.wire import ACCEPTED_CODES as ACCEPTED_CODES
from bot.cometapi.wire import (
    accepted_submit,
    account_mode_arg,
    bot_type_arg,
    png_data_url_arg,
    require_list,
    task_id_arg,
    task_or_null,
)

log = logging.getLogger(__name__)

LIST_BATCH = 100
_TASK_ID = TASK_ID  # one id rule for paths, list requests and submit answers (fields.py)
_KEY = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces: anything else breaks headers
_DIMENSIONS = frozenset({"PORTRAIT", "SQUARE", "LANDSCAPE"})
# Invalid ids already warned about by list_by_condition (bounded: it is only log hygiene).
_WARNED_IDS: set[str] = set()
_WARNED_MAX = 1000


class CometAPIClient:
    """One API key's view of CometAPI. Cheap to create; share one `httpx.AsyncClient`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 30.0,
        max_attempts: int = 4,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        resolver: Resolver | None = None,
        lookup_memo: RouteMemo | None = None,
        unsupported_ttl: float = UNSUPPORTED_TTL,
    ) -> None:
        """`resolver` (host, port → addresses) replaces DNS for download links, tests only.
        `lookup_memo` remembers which task-query routes are missing (`unsupported_ttl`
        seconds); a pool passes one memo to all its clients."""
        base = httpx.URL(base_url.strip().rstrip("/"))
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError("base_url must be an http(s) URL")
        key = api_key.strip()
        if not _KEY.match(key):
            raise ValueError("api_key is empty or contains invalid characters")
        self._owns_http = http is None
        self._t = Transport(
            http if http is not None else httpx.AsyncClient(timeout=timeout),
            base,
            key,
            timeout=timeout,
            max_attempts=max_attempts,
            sleep=sleep,
            rand=rand,
            resolver=resolver,
        )
        self._lookups = lookup_memo if lookup_memo is not None else RouteMemo(unsupported_ttl)

    def __repr__(self) -> str:
        return f"CometAPIClient({self._t.base!r})"  # never the key

    @property
    def base_url(self) -> str:
        return self._t.base

    async def aclose(self) -> None:
        if self._owns_http:
            await self._t.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- submits ------------------------------------------------------------------------

    async def imagine(
        self,
        prompt: str,
        *,
        mode: SpeedMode = SpeedMode.FAST,
        bot_type: str | None = None,
        base64_array: Sequence[str] | None = None,
        account_modes: Sequence[SpeedMode | str] | None = None,
        state: str | None = None,
        notify_hook: str | None = None,
    ) -> SubmitResult:
        body: dict[str, Any] = {"prompt": prompt, "botType": bot_type_arg(bot_type)}
        if base64_array:
            body["base64Array"] = list(base64_array)
        if account_modes:
            body["accountFilter"] = {"modes": [account_mode_arg(m) for m in account_modes]}
        return await self._submit("imagine", body, mode, state, notify_hook)

    async def action(
        self,
        task_id: str,
        custom_id: str,
        *,
        enable_remix: bool = False,
        mode: SpeedMode = SpeedMode.FAST,
        state: str | None = None,
        notify_hook: str | None = None,
    ) -> SubmitResult:
        if not custom_id:
            raise ValueError("custom_id is required")
        body: dict[str, Any] = {"taskId": task_id_arg(task_id), "customId": custom_id}
        if enable_remix:
            body["enableRemix"] = True
        return await self._submit("action", body, mode, state, notify_hook)

    async def modal(
        self,
        task_id: str,
        *,
        prompt: str | None = None,
        mask_base64: str | None = None,
        mode: SpeedMode = SpeedMode.FAST,
        state: str | None = None,
        notify_hook: str | None = None,
    ) -> SubmitResult:
        """Answer a MODAL task; `task_id` is the MODAL task (the action result), not the parent."""
        body: dict[str, Any] = {"taskId": task_id_arg(task_id), "prompt": prompt}
        if mask_base64 is not None:
            body["maskBase64"] = png_data_url_arg(mask_base64)
        return await self._submit("modal", body, mode, state, notify_hook)

    async def blend(
        self,
        images: Sequence[str],
        *,
        dimensions: str = "SQUARE",
        bot_type: str | None = None,
        mode: SpeedMode = SpeedMode.FAST,
        state: str | None = None,
        notify_hook: str | None = None,
    ) -> SubmitResult:
        if not 2 <= len(images) <= 5:
            raise ValueError("blend takes 2 to 5 images")
        if dimensions.upper() not in _DIMENSIONS:
            raise ValueError("dimensions must be PORTRAIT, SQUARE or LANDSCAPE")
        body = {
            "base64Array": list(images),
            "dimensions": dimensions.upper(),
            "botType": bot_type_arg(bot_type),
        }
        return await self._submit("blend", body, mode, state, notify_hook)

    async def describe(
        self,
        *,
        base64: str | None = None,
        link: str | None = None,
        bot_type: str | None = None,
        mode: SpeedMode = SpeedMode.FAST,
        state: str | None = None,
        notify_hook: str | None = None,
    ) -> SubmitResult:
        if (base64 is None) == (link is None):
            raise ValueError("describe takes exactly one of base64 or link")
        body = {"base64": base64, "link": link, "botType": bot_type_arg(bot_type)}
        return await self._submit("describe", body, mode, state, notify_hook)

    async def shorten(
        self,
        prompt: str,
        *,
        bot_type: str | None = None,
        mode: SpeedMode = SpeedMode.FAST,
        state: str | None = None,
        notify_hook: str | None = None,
    ) -> SubmitResult:
        body = {"prompt": prompt, "botType": bot_type_arg(bot_type)}
        return await self._submit("shorten", body, mode, state, notify_hook)

    async def video(
        self,
        *,
        prompt: str,
        image: str | None = None,
        motion: str = "low",
        extend_task_id: str | None = None,
        index: int | None = None,
        mode: SpeedMode = SpeedMode.FAST,
        state: str | None = None,
        notify_hook: str | None = None,
    ) -> SubmitResult:
        """A video from a first frame, or with `extend_task_id` + 0-based `index` an extension."""
        if motion not in ("low", "high"):
            raise ValueError("motion must be 'low' or 'high'")
        body: dict[str, Any] = {"prompt": prompt, "motion": motion, "image": image}
        if extend_task_id is not None:
            if index is None or index < 0:
                raise ValueError("extending a video needs a 0-based index")
            body.update(action="extend", taskId=task_id_arg(extend_task_id), index=index)
        elif not image:
            raise ValueError("video needs an image (or extend_task_id)")
        return await self._submit("video", body, mode, state, notify_hook)

    async def edits(
        self,
        prompt: str,
        image: str,
        *,
        mode: SpeedMode = SpeedMode.FAST,
        state: str | None = None,
        notify_hook: str | None = None,
    ) -> SubmitResult:
        return await self._submit(
            "edits", {"prompt": prompt, "image": image}, mode, state, notify_hook
        )

    async def _submit(
        self,
        name: str,
        body: dict[str, Any],
        mode: SpeedMode,
        state: str | None,
        notify_hook: str | None,
    ) -> SubmitResult:
        if state is not None and len(state) > 255:
            raise ValueError("state is limited to 255 characters")
        if notify_hook is not None and len(notify_hook) > 2000:
            raise ValueError("notify_hook is limited to 2000 characters")
        body.update(state=state, notifyHook=notify_hook)
        payload = {k: v for k, v in body.items() if v is not None}
        path = f"{SpeedMode(mode).prefix}/mj/submit/{name}"
        data = await self._t.call("POST", path, payload, is_submit=True)
        try:
            result = accepted_submit(name, data, self._t.redact)
        except SubmitRejected as exc:
            log.info("submit/%s rejected: code %s %s", name, exc.code, exc.description)
            raise
        log.debug("submit/%s accepted: code %s task %s", name, result.code, result.task_id)
        return result

    # --- reads --------------------------------------------------------------------------

    async def fetch(self, task_id: str) -> Task | None:
        """The task, or None when the service does not know it (400 task_no_found, 404, null)."""
        tid = task_id_arg(task_id)
        path = f"/mj/task/{tid}/fetch"
        try:
            data = await self._t.call("GET", path, None, is_submit=False, check=task_or_null)
        except NotFound:
            return None
        if not isinstance(data, Mapping):  # `null`: the proxy's answer for an unknown id
            return None
        task = Task.from_dict(data)
        return task if task.id else dataclasses.replace(task, id=tid)

    async def list_by_condition(
        self, ids: Iterable[str], *, batch_size: int = LIST_BATCH
    ) -> list[Task]:
        """Tasks for `ids` in request order, one per id (the most advanced of duplicate rows);
        ids the service does not know are left out. Batches run one after another."""
        wanted = list(dict.fromkeys(self._valid_ids(ids)))
        best: dict[str, Task] = {}
        size = max(1, min(batch_size, LIST_BATCH))
        for start in range(0, len(wanted), size):
            batch = wanted[start : start + size]
            path = "/mj/task/list-by-condition"
            data = await self._t.call(
                "POST", path, {"ids": batch}, is_submit=False, check=require_list
            )
            asked = set(batch)
            for item in cast(list[object], data):  # checked inside the retry loop
                if not isinstance(item, Mapping):
                    continue
                task = Task.from_dict(item)
                if task.id in asked:
                    best[task.id] = most_advanced(best.get(task.id), task)
        return [best[i] for i in wanted if i in best]

    def _valid_ids(self, ids: Iterable[str]) -> Iterable[str]:
        """The usable ids; a malformed one (stored from a bad submit answer, say) is skipped
        and logged once, so it never costs the other ids of the batch their poll."""
        for raw in ids:
            text = as_str(raw).strip()
            if _TASK_ID.match(text):
                yield text
                continue
            if text not in _WARNED_IDS:
                if len(_WARNED_IDS) >= _WARNED_MAX:
                    _WARNED_IDS.clear()
                _WARNED_IDS.add(text)
                shown = self._t.redact(text[:80])
                log.warning("list-by-condition: skipping an invalid task id %r", shown)

    async def find_by_state(self, state: str) -> Task | None:
        """The task this key submitted with `state` (the bot's job id), for a submit whose
        answer was lost; None when no such task is listed. Only a task whose `state` equals
        `state` exactly is returned, the most advanced if several. Raises `LookupUnsupported`
        when the service has no task query (remembered for `unsupported_ttl` seconds)."""
        if not state or len(state) > 255:
            raise ValueError("state must be 1 to 255 characters")
        return await find_by_state(self._t, self._lookups, state)

    async def image_seed(self, task_id: str) -> str | None:
        """The seed of a finished task, or None when unknown or not offered."""
        tid = task_id_arg(task_id)
        try:
            data = await self._t.call("GET", f"/mj/task/{tid}/image-seed", None, is_submit=False)
        except NotFound:
            return None
        if not isinstance(data, Mapping):
            return None
        result = SubmitResult.from_dict(data)  # an envelope whose `result` is the seed
        return (result.result or None) if result.code == 1 else None

    async def download(self, url: str, *, max_bytes: int) -> bytes:
        """The body at `url`, streamed and aborted above `max_bytes` (`ResponseTooLarge`).
        The key is sent only to the configured base origin, redirects included."""
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        return await self._t.download(url, max_bytes)


class CometAPIPool:
    """One connection pool shared by per-guild keys: `pool.client(key)` per request scope."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        max_attempts: int = 4,
        sleep: Sleep = asyncio.sleep,
        limits: httpx.Limits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        unsupported_ttl: float = UNSUPPORTED_TTL,
    ) -> None:
        self._base_url = base_url
        # Short-lived per-key clients share what was learnt about missing lookup routes.
        self._lookups = RouteMemo(unsupported_ttl)
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            timeout=timeout,
            limits=limits or httpx.Limits(max_connections=50, max_keepalive_connections=20),
            transport=transport,  # tests only: an in-process transport
        )

    def client(self, api_key: str) -> CometAPIClient:
        return CometAPIClient(
            self._base_url,
            api_key,
            http=self._http,
            timeout=self._timeout,
            max_attempts=self._max_attempts,
            sleep=self._sleep,
            lookup_memo=self._lookups,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
