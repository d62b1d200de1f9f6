"""The retry rules, as a table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.cometapi.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeout,
    AuthError,
    BadRequest,
    BadResponse,
    BannedPrompt,
    CometAPIError,
    NotFound,
    QueueFull,
    RateLimited,
    ResponseTooLarge,
    ServerError,
    UnknownAction,
)
from bot.cometapi.retry import (
    parse_retry_after,
    retry_delay,
    should_retry,
    submit_outcome_unknown,
)

# (error, retried as a poll, retried as a submit)
TABLE: list[tuple[Exception, bool, bool]] = [
    (APIConnectionError(sent=False), True, True),  # DNS / refused: never left
    (APITimeout(sent=False), True, True),  # connect timeout: never left
    (APIConnectionError(sent=True), True, False),  # dropped mid-flight: ambiguous
    (APITimeout(sent=True), True, False),  # read timeout: ambiguous
    (RateLimited(retry_after=1.0), True, True),  # refused before anything happened
    (ServerError(502), True, False),
    (ServerError(500), True, False),
    (BadResponse("html"), True, False),
    (AuthError(401), False, False),
    (NotFound(404), False, False),
    (BadRequest(400), False, False),
    (UnknownAction("MJ::X"), False, False),
    (APIStatusError(409), False, False),
    (QueueFull(23), False, False),
    (BannedPrompt(24), False, False),
    (ResponseTooLarge(10), False, False),
    (ValueError("not ours"), False, False),
]


@pytest.mark.fault(2)
@pytest.mark.fault(3)
@pytest.mark.parametrize(("error", "poll", "submit"), TABLE, ids=lambda v: type(v).__name__)
def test_should_retry_table(error: Exception, poll: bool, submit: bool) -> None:
    assert should_retry(error, is_submit=False, attempt=1, max_attempts=4) is poll
    assert should_retry(error, is_submit=True, attempt=1, max_attempts=4) is submit
    if isinstance(error, CometAPIError) and not isinstance(error, APIConnectionError):
        # The class attribute says the same as the table for reads.
        assert type(error).retryable_poll is poll


@pytest.mark.parametrize("is_submit", [False, True])
def test_no_retry_after_the_last_attempt(is_submit: bool) -> None:
    error = APIConnectionError(sent=False)
    assert should_retry(error, is_submit=is_submit, attempt=3, max_attempts=4)
    assert not should_retry(error, is_submit=is_submit, attempt=4, max_attempts=4)
    assert not should_retry(error, is_submit=is_submit, attempt=1, max_attempts=1)


@pytest.mark.fault(3)
def test_retry_delay_full_jitter_grows_and_caps() -> None:
    top = [retry_delay(a, retry_after=None, rand=lambda: 1.0) for a in range(1, 10)]
    assert top == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert retry_delay(3, retry_after=None, rand=lambda: 0.0) == 0.0
    assert retry_delay(3, retry_after=None, rand=lambda: 0.5) == 1.0
    assert retry_delay(10_000, retry_after=None, rand=lambda: 1.0) == 30.0
    assert retry_delay(2, retry_after=None, base=1.0, cap=3.0, rand=lambda: 1.0) == 2.0


@pytest.mark.fault(4)
def test_retry_delay_honours_retry_after_and_caps_it() -> None:
    assert retry_delay(1, retry_after=7.0, rand=lambda: 0.0) == 7.0
    assert retry_delay(5, retry_after=0.0, rand=lambda: 1.0) == 0.0
    assert retry_delay(1, retry_after=3600.0, rand=lambda: 1.0) == 30.0
    assert retry_delay(1, retry_after=3600.0, cap=60.0, rand=lambda: 1.0) == 60.0
    # Nonsense values fall back to backoff.
    assert retry_delay(1, retry_after=-1.0, rand=lambda: 1.0) == 0.5
    assert retry_delay(1, retry_after=float("nan"), rand=lambda: 1.0) == 0.5


NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2", 2.0),
        (" 0.25 ", 0.25),
        ("0", 0.0),
        ("Wed, 01 Jan 2025 12:00:30 GMT", 30.0),
        ("Wed, 01 Jan 2025 12:00:30 -0000", 30.0),
        ("Wed, 01 Jan 2025 11:00:00 GMT", 0.0),  # in the past: go now
        (None, None),
        ("", None),
        ("-5", None),
        ("inf", None),
        ("soon", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=lambda: NOW) == expected


@pytest.mark.fault(2)
@pytest.mark.fault(6)
@pytest.mark.parametrize(
    ("error", "unknown"),
    [
        (APIConnectionError(sent=False), False),
        (APITimeout(sent=False), False),
        (APIConnectionError(sent=True), True),
        (APITimeout(sent=True), True),
        (ServerError(500), True),
        (BadResponse("truncated", maybe_processed=True), True),
        (BadResponse("html page"), False),
        (RateLimited(), False),
        (AuthError(401), False),
        (BadRequest(400), False),
        (QueueFull(23), False),
        (ValueError("x"), False),
    ],
    ids=lambda v: type(v).__name__,
)
def test_submit_outcome_unknown(error: Exception, unknown: bool) -> None:
    assert submit_outcome_unknown(error) is unknown
