"""Tolerant readers of single wire fields, and the task id rule (mj-protocol.md §1, §4).

Each reader turns whatever the service sent (missing, `null`, a number where text is documented,
a container, NaN, a huge number) into a usable value and never raises.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})

# A task id the client will put in a path or a list request: digits in practice; letters, "_"
# and "-" tolerated, never "/", "." or spaces.
TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def is_task_id(text: str) -> bool:
    return TASK_ID.match(text) is not None


def split_task_ids(text: str) -> tuple[str, ...] | None:
    """The ids of a submit's `result`: one id, or "id1,id2" from a multi-job action. None when
    any part (an empty one too) is not a valid id; () for no result at all."""
    text = text.strip()
    if not text:
        return ()
    parts = tuple(part.strip() for part in text.split(","))
    return parts if all(is_task_id(part) for part in parts) else None


def as_str(value: object) -> str:
    """Text of a field: None/containers → "", numbers → their digits (ids arrive as numbers)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else str(value)
    return ""


def as_int(value: object, default: int | None = None) -> int | None:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else default
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return default
            return int(number) if math.isfinite(number) else default
    return default


def as_mapping(value: object) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    return _EMPTY


def parse_progress(value: object) -> int | None:
    """ "42%", "42", 42, 42.5 → 42 (clamped to 0..100); "", None, junk → None."""
    if isinstance(value, str):
        value = value.strip().rstrip("%").strip()
        if not value:
            return None
    number = as_int(value)
    return None if number is None else max(0, min(100, number))


def as_time(value: object) -> int:
    number = as_int(value, 0) or 0
    return max(0, number)


def url_list(value: object) -> tuple[str, ...]:
    """A list of URLs whose items are strings or `{"url": …}` objects."""
    if not isinstance(value, list):
        return ()
    urls: list[str] = []
    for item in value:
        url = as_str(item.get("url")) if isinstance(item, Mapping) else as_str(item)
        if url:
            urls.append(url)
    return tuple(urls)
