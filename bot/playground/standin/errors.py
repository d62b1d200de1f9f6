"""Discord's error answers, and the record of a rule the bot broke."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request body: where (a dotted path) and why."""

    path: str
    message: str
    rule: str = "schema"


@dataclass(frozen=True)
class Violation:
    """A Discord rule the bot broke; recorded on the fake, fails the test at teardown."""

    rule: str
    field: str
    message: str
    request: str = ""

    def matches(self, needle: str) -> bool:
        needle = needle.lower()
        return any(needle in text.lower() for text in (self.rule, self.field, self.message))

    def __str__(self) -> str:
        where = f"{self.request}: " if self.request else ""
        return f"{where}{self.field}: {self.message} [{self.rule}]"


@dataclass
class ApiError(Exception):
    """An error answer: HTTP status plus Discord's JSON error body."""

    status: int
    code: int
    message: str
    errors: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body

    def __str__(self) -> str:
        return f"{self.status} {self.code} {self.message}"


class Dropped(ApiError):
    """No answer at all: the connection is closed under the request (a fault)."""

    def __init__(self) -> None:
        super().__init__(0, 0, "connection dropped")


def not_found(code: int, what: str) -> ApiError:
    return ApiError(404, code, f"Unknown {what}")


UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_ROLE = 10011
UNKNOWN_USER = 10013
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
UNKNOWN_COMMAND = 10063
CANNOT_EDIT_OTHERS = 50005
MISSING_PERMISSIONS = 50013
INVALID_WEBHOOK_TOKEN = 50027
INVALID_FORM_BODY = 50035
ALREADY_ACKNOWLEDGED = 40060
ENTITY_TOO_LARGE = 40005

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str]:
    """``data.components[0].custom_id`` → ``["data", "components", "0", "custom_id"]``."""
    return [name or index for name, index in _SEGMENT.findall(path)]


def form_body_error(problems: list[Problem]) -> ApiError:
    """Discord's 400 ``Invalid Form Body`` with the nested ``errors`` object."""
    errors: dict[str, Any] = {}
    for problem in problems:
        node = errors
        for part in split_path(problem.path):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append(
            {"code": problem.rule.upper().replace("-", "_"), "message": problem.message}
        )
    return ApiError(400, INVALID_FORM_BODY, "Invalid Form Body", errors=errors)
