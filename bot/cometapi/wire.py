"""Pure checks of what the client sends and of the shape of what comes back.

Arguments are validated strictly (ValueError: a caller's mistake, nothing is sent). Answers
are read tolerantly, but an answer of the wrong shape raises `BadResponse`, never anything
outside the error tree, whatever JSON it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.cometapi.errors import BadResponse, rejection_for
from bot.cometapi.fields import as_str, is_task_id
from bot.cometapi.models import SpeedMode, SubmitResult, Task, most_advanced

ACCEPTED_CODES = frozenset({1, 21, 22})
_BOT_TYPES = frozenset({"MID_JOURNEY", "NIJI_JOURNEY"})
_PNG_PREFIX = "data:image/png;base64,"
# Where a paged task query may put its rows (midjourney-proxy forks and gateways differ).
_ROW_KEYS = ("list", "content", "records", "items", "data")


# --- what goes out ---------------------------------------------------------------------


def task_id_arg(task_id: str) -> str:
    text = as_str(task_id).strip()
    if not is_task_id(text):
        raise ValueError("invalid task id")  # never a path fragment of our choosing
    return text


def bot_type_arg(value: str | None) -> str | None:
    if value is None:
        return None
    upper = value.strip().upper()
    if upper not in _BOT_TYPES:
        raise ValueError("bot_type must be MID_JOURNEY or NIJI_JOURNEY")
    return upper


def account_mode_arg(value: SpeedMode | str) -> str:
    return SpeedMode(value.lower() if isinstance(value, str) else value).account_mode


def png_data_url_arg(mask: str) -> str:
    """The proxy strips exactly this prefix; raw base64 gets it, another image type is refused."""
    if mask.startswith(_PNG_PREFIX):
        return mask
    if mask.startswith("data:"):
        raise ValueError("the mask must be a PNG data URL")
    return _PNG_PREFIX + mask


# --- what comes back -------------------------------------------------------------------


def accepted_submit(name: str, data: object, redact: Callable[[str], str]) -> SubmitResult:
    """The envelope of an accepted submit; `SubmitRejected` for a refusing code, `BadResponse`
    (maybe processed: the service may have made a job) for anything unusable."""
    if not isinstance(data, Mapping) or data.get("code") is None:
        raise BadResponse(
            f"submit/{name}: the answer is not a submit envelope", maybe_processed=True
        )
    result = SubmitResult.from_dict(data)
    if result.code not in ACCEPTED_CODES:
        description = redact(result.description)
        raise rejection_for(result.code, description, result.properties, result.task_id)
    if not result.task_id:
        # A malformed `result` ("abc def", "1,,2") would be stored as the job's task id and
        # break every later poll of it: refuse it here, the caller reconciles by `state`.
        what = (
            f"with a malformed task id {redact(result.result[:40])!r}"
            if result.result
            else "without a task id"
        )
        raise BadResponse(
            f"submit/{name}: accepted (code {result.code}) {what}", maybe_processed=True
        )
    return result


def require_list(data: object) -> None:
    if not isinstance(data, list):
        raise BadResponse("list-by-condition: the answer is not an array")


def task_or_null(data: object) -> None:
    if data is not None and not isinstance(data, Mapping):
        raise BadResponse("fetch: the answer is not a task object")


def query_rows(data: object, _depth: int = 0) -> list[object] | None:
    """The task rows of a task query or list answer: an array, or an object holding one under
    `list`, `content`, `records`, `items` or `data` (one level of such wrapping inside another
    allowed, e.g. `{"data": {"list": [...]}}`); None for any other shape."""
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping) and _depth < 2:
        for key in _ROW_KEYS:
            rows = query_rows(data.get(key), _depth + 1)
            if rows is not None:
                return rows
    return None


def require_rows(data: object) -> None:
    if query_rows(data) is None:
        raise BadResponse("task query: the answer holds no list of tasks")


def pick_by_state(rows: list[object], state: str) -> Task | None:
    """The most advanced task whose `state` is exactly `state` and whose id is usable. The
    server's own filtering is never trusted: it may ignore the filter and list everything."""
    best: Task | None = None
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        task = Task.from_dict(row)
        if task.state == state and is_task_id(task.id):
            best = most_advanced(best, task)
    return best
