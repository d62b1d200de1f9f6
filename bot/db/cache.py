"""A short-lived cache of settings reads: an interaction reads its guild's, channel's and
member's settings several times (defaults, policy, limits), and at 50 interactions a second
those reads queued on the database. Writes in this process clear the entry at once; another
process's write shows within TTL seconds (settings, not money: bans and ledgers never cached).
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
TTL = 5.0
LIMIT = 4096  # entries; the oldest go first beyond it


class SettingsCache(Generic[T]):
    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._entries: dict[Hashable, tuple[float, T]] = {}

    def get(self, key: Hashable) -> T | None:
        found = self._entries.get(key)
        if found is None or time.monotonic() - found[0] > self.ttl:
            return None
        return found[1]

    def put(self, key: Hashable, value: T) -> None:
        if len(self._entries) >= LIMIT:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (time.monotonic(), value)

    def drop(self, key: Hashable) -> None:
        self._entries.pop(key, None)
