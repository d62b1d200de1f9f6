"""The one error tree of the CometAPI client.

```
CometAPIError
├── APIStatusError(status_code, body, message)    an HTTP error answer
│   ├── AuthError            401 / 403
│   ├── NotFound             404, and the gateway's 400 `task_no_found`
│   ├── RateLimited          429 (retry_after from `Retry-After`)
│   ├── ServerError          5xx
│   └── BadRequest           400 (gateway `upstream_error` bodies keep code/description)
│       └── UnknownAction    400 `unknown_action:<customId>`
├── BadResponse              an answer that is not what we need (HTML, 301, empty, null, bad
│   │                        gzip, a malformed task id…); `maybe_processed` for a garbled 2xx
│   ├── NotMedia             a download answered with a web page, not a picture
│   ├── UnsafeURL            a link (or redirect) to this machine or a private network
│   └── ResponseTooLarge     a body (download or JSON answer) above its byte limit
├── APIConnectionError(sent) no HTTP answer; `sent` says whether the request may have arrived
│   └── APITimeout
├── LookupUnsupported        the service offers no way to find a task by its `state`
└── SubmitRejected(code, description, properties)   a submit envelope with a refusing code
    ├── QueueFull (23; 9 "队列已满")  ├── BannedPrompt (24)  ├── TaskNotFound (3)
    ├── ValidationRejected (4)        ├── SubmitFailed (9)   └── UnknownCode (anything else)
```

`retryable_poll` says whether a read-only call (fetch, list, download) may be repeated after the
error; retry.py is the one place that decides, and reads it. Messages are built by the client
from server text that has been passed through `redact`; the API key is never part of one.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class CometAPIError(Exception):
    """Base of every error the client raises."""

    retryable_poll: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class APIStatusError(CometAPIError):
    """The service answered with an HTTP error status."""

    def __init__(self, status_code: int, body: object = None, message: str = "") -> None:
        super().__init__(message or f"HTTP {status_code}")
        self.status_code = status_code
        # Parsed JSON when the body was JSON, else a short text excerpt; already redacted.
        self.body = body

    def __str__(self) -> str:
        return f"HTTP {self.status_code}: {self.message}"


class AuthError(APIStatusError):
    """401/403: the key is wrong, disabled or out of quota for this route."""


class NotFound(APIStatusError):
    """404, or the gateway's 400 `task_no_found` (also what another user's task id gives)."""


class RateLimited(APIStatusError):
    """429: the gateway refused before doing anything; `retry_after` in seconds if sent."""

    retryable_poll = True

    def __init__(
        self,
        status_code: int = 429,
        body: object = None,
        message: str = "",
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status_code, body, message or "rate limited")
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx: the service failed; for a submit the outcome is unknown."""

    retryable_poll = True


class BadRequest(APIStatusError):
    """400. Gateway validation bodies `{"description", "type": "upstream_error", "code"}` keep
    their `code` and `description` (e.g. `task_status_not_success`, `quota_not_enough`)."""

    def __init__(
        self,
        status_code: int = 400,
        body: object = None,
        message: str = "",
        *,
        code: int | None = None,
        description: str = "",
    ) -> None:
        super().__init__(status_code, body, message or description or "bad request")
        self.code = code
        self.description = description


class UnknownAction(BadRequest):
    """The gateway refused a button family: `Invalid request, unknown_action:<customId>`.
    Nothing was charged; the bot disables that button."""

    def __init__(
        self,
        custom_id: str,
        status_code: int = 400,
        body: object = None,
        message: str = "",
        *,
        code: int | None = None,
        description: str = "",
    ) -> None:
        super().__init__(
            status_code,
            body,
            message or f"unknown action {custom_id}",
            code=code,
            description=description,
        )
        self.custom_id = custom_id


class BadResponse(CometAPIError):
    """The answer was not usable JSON of the expected shape: an HTML page, a redirect, an empty
    body, `null` where an object was required, truncated or invalid JSON, a wrong shape."""

    retryable_poll = True

    def __init__(
        self, message: str, *, status_code: int | None = None, maybe_processed: bool = False
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        # True when a 2xx answer came back garbled (empty, `null`, cut off): the service may have
        # acted on it. False for a redirect or an HTML page, which mean the route was wrong.
        self.maybe_processed = maybe_processed


class NotMedia(BadResponse):
    """A download answered 200 with a web page (a login, a challenge, an error) instead of a
    picture or video: retried like a failed poll, since a challenge page may pass."""


class UnsafeURL(BadResponse):
    """A link (or a redirect) to this machine or a private network: refused, never retried."""

    retryable_poll = False


class ResponseTooLarge(BadResponse):
    """A body (a download, or a JSON answer) went above its byte limit and was aborted. Never
    retried: the same link gives the same body. A BadResponse so that a submit whose answer was
    oversized counts as maybe processed (the caller reconciles)."""

    retryable_poll = False

    def __init__(
        self,
        max_bytes: int,
        *,
        declared: int | None = None,
        status_code: int | None = None,
        maybe_processed: bool = False,
    ) -> None:
        what = f"declared {declared} bytes" if declared is not None else "body"
        super().__init__(
            f"{what} exceeds the limit of {max_bytes} bytes",
            status_code=status_code,
            maybe_processed=maybe_processed,
        )
        self.max_bytes = max_bytes
        self.declared = declared


class APIConnectionError(CometAPIError):
    """No HTTP answer. `sent=False` means the request certainly never reached the service (DNS,
    connect refused, connect timeout), so even a submit may be repeated; `sent=True` means it
    may have arrived and a submit must be reconciled instead."""

    retryable_poll = True

    def __init__(self, message: str = "connection error", *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class APITimeout(APIConnectionError):
    """The request timed out; `sent` as for `APIConnectionError` (a connect timeout is unsent)."""

    def __init__(self, message: str = "request timed out", *, sent: bool = True) -> None:
        super().__init__(message, sent=sent)


class LookupUnsupported(CometAPIError):
    """Neither `POST /mj/task/query` nor `GET /mj/task/list` exists at this service, so a task
    cannot be found by its `state`; the client remembers this for a while (no probe per poll)."""


class SubmitRejected(CometAPIError):
    """A submit envelope with a code other than 1/21/22: nothing was queued."""

    def __init__(
        self,
        code: int,
        description: str = "",
        properties: Mapping[str, Any] | None = None,
        task_id: str | None = None,
    ) -> None:
        super().__init__(f"submit rejected (code {code}): {description}".rstrip(": "))
        self.code = code
        self.description = description
        self.properties: Mapping[str, Any] = properties if properties is not None else _EMPTY
        self.task_id = task_id


class QueueFull(SubmitRejected):
    """23, or 9 with "队列已满": the upstream queue is full; try again later."""


class BannedPrompt(SubmitRejected):
    """24: the prompt contains a banned word (`word`, when the proxy names it)."""

    @property
    def word(self) -> str | None:
        word = self.properties.get("bannedWord")
        return word if isinstance(word, str) and word else None


class TaskNotFound(SubmitRejected):
    """3: the related task was not found, or no upstream account is available."""


class ValidationRejected(SubmitRejected):
    """4: validation error (gateway-side errors too); `description` says which."""


class SubmitFailed(SubmitRejected):
    """9: the submit failed."""


class UnknownCode(SubmitRejected):
    """Any code the protocol does not name."""


_QUEUE_FULL_MARKERS = ("队列已满", "queue is full", "queue full")


def rejection_for(
    code: int,
    description: str = "",
    properties: Mapping[str, Any] | None = None,
    task_id: str | None = None,
) -> SubmitRejected:
    """The `SubmitRejected` subclass for a refusing envelope code."""
    cls: type[SubmitRejected]
    lowered = description.lower()
    if code == 23 or (code == 9 and any(m in lowered for m in _QUEUE_FULL_MARKERS)):
        cls = QueueFull
    elif code == 24:
        cls = BannedPrompt
    elif code == 3:
        cls = TaskNotFound
    elif code == 4:
        cls = ValidationRejected
    elif code == 9:
        cls = SubmitFailed
    else:
        cls = UnknownCode
    return cls(code, description, properties, task_id)
