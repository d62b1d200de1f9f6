"""JSON columns and per-scope settings stored as "only what was changed" overrides."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Collection, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

log = logging.getLogger(__name__)

S = TypeVar("S", bound="DataclassInstance")


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads_object(text: str | None) -> dict[str, Any]:
    """A JSON object column; anything else (hand-edited, corrupt) reads as empty."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        log.warning("ignoring a corrupt JSON column value")
        return {}
    return value if isinstance(value, dict) else {}


def loads_list(text: str | None) -> list[Any]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        log.warning("ignoring a corrupt JSON column value")
        return []
    return value if isinstance(value, list) else []


def jsonable(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def apply_overrides(defaults: S, overrides: Mapping[str, Any], editable: Collection[str]) -> S:
    """Lay stored overrides over the declared defaults, one by one, so one bad value (a
    removed setting, a hand edit) falls back to its default instead of breaking the scope."""
    settings = defaults
    for name, value in overrides.items():
        if name not in editable:
            log.warning("ignoring unknown stored setting %r", name)
            continue
        try:
            settings = dataclasses.replace(settings, **{name: value})
        except (TypeError, ValueError):
            log.warning("ignoring invalid stored value for setting %r", name)
    return settings


def check_names(fields: Collection[str], editable: Collection[str], what: str) -> None:
    unknown = sorted(set(fields) - set(editable))
    if unknown:
        raise ValueError(f"unknown {what} field(s): {', '.join(unknown)}")
