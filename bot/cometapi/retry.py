"""Retry rules as small pure functions (tested as a table).

Read-only calls (fetch, list-by-condition, image-seed, download) are safe to repeat, so they are
retried on timeouts, connection errors, 429, 5xx and unusable answers (`retryable_poll`).

Submits cost money and the service has no idempotency key (mj-protocol.md §2), so a submit is
repeated only when the service certainly did not act on it:
- `APIConnectionError(sent=False)`: the request never left (DNS, connect refused/timeout);
- `RateLimited` (429): the gateway's limiter refuses before forwarding or charging anything
  (its code 30 "group load saturated" is a 429 too), and faults.md #4 asks that a 429 with
  `Retry-After` on a submit waits and retries.
After anything ambiguous (read timeout, dropped connection, 5xx, garbled answer) the caller
reconciles through the `state` it sent instead of resubmitting (faults.md #2).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime

from bot.cometapi.errors import (
    APIConnectionError,
    BadResponse,
    CometAPIError,
    RateLimited,
    ServerError,
)

# Attempts beyond this exponent all get the cap; avoids float overflow on absurd counts.
_MAX_EXPONENT = 32


def should_retry(error: BaseException, *, is_submit: bool, attempt: int, max_attempts: int) -> bool:
    """Whether to try again after `attempt` (1-based) failed with `error`."""
    if attempt >= max_attempts or not isinstance(error, CometAPIError):
        return False
    if is_submit:
        if isinstance(error, RateLimited):
            return True
        return isinstance(error, APIConnectionError) and not error.sent
    return error.retryable_poll


def submit_outcome_unknown(error: BaseException) -> bool:
    """Whether a failed submit may still have created (and charged) a job, so the caller must
    reconcile before refunding: a request that may have arrived without a clean answer."""
    if isinstance(error, APIConnectionError):
        return error.sent
    if isinstance(error, BadResponse):
        return error.maybe_processed
    return isinstance(error, ServerError)


def retry_delay(
    attempt: int,
    *,
    retry_after: float | None,
    base: float = 0.5,
    cap: float = 30.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    A server's `Retry-After` is honoured (capped, so a hostile value cannot park the bot);
    otherwise exponential backoff with full jitter, which spreads many pollers apart.
    """
    if retry_after is not None and math.isfinite(retry_after) and retry_after >= 0:
        return min(retry_after, cap)
    exponent = min(max(attempt, 1) - 1, _MAX_EXPONENT)
    ceiling = min(cap, base * (2.0**exponent))
    return max(0.0, min(1.0, rand())) * ceiling


def parse_retry_after(
    header_value: str | None, *, now: Callable[[], float] = time.time
) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if header_value is None:
        return None
    text = header_value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" parses naive; HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())
