"""Finding a task by the `state` the bot sent, when a submit's answer was lost (faults.md #2, #14).

CometAPI's stock gateway offers only list-by-condition by id. midjourney-proxy, which runs
upstream, also has `POST /mj/task/query` (paged, filters on `state`) and `GET /mj/task/list`
(every task); whether CometAPI exposes either is unconfirmed, so both are tried in that order,
and a route that is not there is remembered for a while instead of probed on every poll.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from bot.cometapi.errors import (
    APIStatusError,
    BadResponse,
    CometAPIError,
    LookupUnsupported,
    ResponseTooLarge,
)
from bot.cometapi.models import Task
from bot.cometapi.transport import Transport
from bot.cometapi.wire import pick_by_state, query_rows, require_rows

QUERY = "/mj/task/query"
LIST = "/mj/task/list"
PAGE_SIZE = 20
UNSUPPORTED_TTL = 3600.0


class RouteMemo:
    """Which lookup routes answered "no such route", until when. The routes belong to the
    service, not to a key, so one memo may serve every client of a pool."""

    def __init__(
        self, ttl: float = UNSUPPORTED_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._missing_until: dict[str, float] = {}

    def missing(self, route: str) -> bool:
        until = self._missing_until.get(route)
        if until is None:
            return False
        if self._clock() >= until:
            del self._missing_until[route]
            return False
        return True

    def mark_missing(self, route: str) -> None:
        self._missing_until[route] = self._clock() + self.ttl


_TASK_ERROR = re.compile(r"\btask_[a-z_]+", re.IGNORECASE)


def _task_error(exc: APIStatusError) -> bool:
    """A 400 naming a task error code (`task_no_found`…): the route exists and found nothing.
    Not just any mention of "task": a gateway's "Invalid URL (POST /mj/task/query)" is none."""
    return exc.status_code == 400 and _TASK_ERROR.search(exc.message) is not None


def route_missing(exc: CometAPIError) -> bool:
    """Whether an error means the route does not exist here (never worth a retry)."""
    if isinstance(exc, APIStatusError):
        return exc.status_code in (404, 405) or (exc.status_code == 400 and not _task_error(exc))
    if isinstance(exc, BadResponse) and not isinstance(exc, ResponseTooLarge):
        # maybe_processed is False exactly for a redirect or an HTML page: a wrong route.
        return not exc.maybe_processed
    return False


async def find_by_state(t: Transport, memo: RouteMemo, state: str) -> Task | None:
    """The most advanced task whose `state` equals `state` exactly, or None. Raises
    `LookupUnsupported` when neither route exists; transient failures (5xx, 429, timeouts)
    are retried like any read and then raised as usual."""
    query = {"state": state, "pageNumber": 0, "pageSize": PAGE_SIZE, "sort": "id,desc"}
    attempts: tuple[tuple[str, str, object], ...] = (("POST", QUERY, query), ("GET", LIST, None))
    for method, route, body in attempts:
        if memo.missing(route):
            continue
        try:
            data = await t.call(
                method, route, body, is_submit=False, check=require_rows, final=route_missing
            )
        except APIStatusError as exc:
            if _task_error(exc):
                return None
            if not route_missing(exc):
                raise
            memo.mark_missing(route)
            continue
        except BadResponse as exc:
            if not route_missing(exc):
                raise
            memo.mark_missing(route)
            continue
        return pick_by_state(query_rows(data) or [], state)
    raise LookupUnsupported(
        "this service offers no task query by state "
        f"({QUERY} and {LIST} are missing); not asked again for {memo.ttl:.0f}s"
    )
