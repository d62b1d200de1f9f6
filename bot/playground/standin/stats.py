"""Cheap counters for benchmarks: ``fake.stats()`` returns them as a plain dict.

Every update is O(1); the summary (percentiles, copies) is computed only when asked for.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .faults import RateLimitHit
    from .interactions import InteractionRecord
    from .messages import FakeMessage


class Counters:
    def __init__(self) -> None:
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.interactions = 0
        self.latency: dict[int, float] = {}
        self.created = 0
        self.edits = 0
        self.nonce_reused = 0
        self.last_edited: dict[int, float] = {}
        self.last_edited_monotonic: dict[int, float] = {}

    # --- updates (called by the fake) --------------------------------------------------
    def request(self, method: str, template: str | None, status: int) -> None:
        self.by_route[f"{method} {template or '(unknown route)'}"] += 1
        self.by_status[status] += 1

    def dispatched(self, record: InteractionRecord) -> None:
        self.interactions += 1
        record.dispatched_at = time.monotonic()

    def answered(self, record: InteractionRecord) -> None:
        if record.id not in self.latency and record.dispatched_at is not None:
            self.latency[record.id] = time.monotonic() - record.dispatched_at

    def edited(self, message: FakeMessage, wall: float) -> None:
        self.edits += 1
        self.last_edited[message.id] = wall
        self.last_edited_monotonic[message.id] = time.monotonic()

    # --- the summary ---------------------------------------------------------------------
    def snapshot(self, rate_limits: list[RateLimitHit]) -> dict[str, Any]:
        latencies = sorted(self.latency.values())
        by_source: Counter[str] = Counter(hit.source for hit in rate_limits)
        return {
            "requests": {
                "total": sum(self.by_status.values()),
                "by_route": dict(self.by_route),
                "by_status": dict(self.by_status),
            },
            "rate_limits": {"total": len(rate_limits), "by_source": dict(by_source)},
            "interactions": {
                "dispatched": self.interactions,
                "answered": len(latencies),
                "first_response_latency": dict(self.latency),
                "latency_mean": sum(latencies) / len(latencies) if latencies else None,
                "latency_p50": _percentile(latencies, 0.50),
                "latency_p95": _percentile(latencies, 0.95),
                "latency_max": latencies[-1] if latencies else None,
            },
            "messages": {
                "created": self.created,
                "edits": self.edits,
                "nonce_reused": self.nonce_reused,
                "last_edited": dict(self.last_edited),
                "last_edited_monotonic": dict(self.last_edited_monotonic),
            },
        }


def _percentile(ordered: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return None
    rank = max(1, math.ceil(len(ordered) * fraction))
    return ordered[rank - 1]
