"""Coalescing of message edits: at most one edit per `min_interval` per job message.

A burst of progress events becomes one edit that reads the newest state when it runs. A final
edit is never dropped: the caller cancels the waiting one and renders at once. Discord-free, so
the benchmark measures the same policy the Presenter uses.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol

log = logging.getLogger(__name__)
PRUNE_AT = 256  # remembered keys before stale ones are dropped

Flush = Callable[[int], Awaitable[None]]


class EditCoalescer:
    def __init__(
        self, flush: Flush, *, min_interval: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.flush = flush
        self.min_interval = min_interval
        self.clock = clock
        self._last: dict[int, float] = {}
        self._prune_at = PRUNE_AT
        self._pending: dict[int, asyncio.Task[None]] = {}

    def schedule(self, key: int) -> None:
        """An intermediate change: edit soon, merged with any others in the window."""
        if key in self._pending:
            return  # the waiting edit will read the newest state
        now = self.clock()
        if len(self._last) > self._prune_at:  # a time older than the window no longer matters
            self._last = {k: t for k, t in self._last.items() if now - t < self.min_interval}
            self._prune_at = max(PRUNE_AT, 2 * len(self._last))  # amortised: not every call
        wait = max(0.0, self._last.get(key, float("-inf")) + self.min_interval - now)
        self._pending[key] = asyncio.create_task(self._later(key, wait))

    def rendered(self, key: int) -> None:
        """The message was just drawn some other way (posted): the window starts now."""
        self._last[key] = self.clock()

    def cancel(self, key: int) -> None:
        """No more intermediate edits for `key` (its final edit goes at once)."""
        self._last.pop(key, None)
        task = self._pending.pop(key, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def __len__(self) -> int:
        """Keys remembered (pending or recently edited): stays flat on a long-running bot."""
        return len(self._last.keys() | self._pending.keys())

    async def close(self) -> None:
        tasks = list(self._pending.values())
        for key in list(self._pending):
            self.cancel(key)
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _later(self, key: int, wait: float) -> None:
        if wait:
            await asyncio.sleep(wait)  # the coalescing window itself
        self._pending.pop(key, None)
        self._last[key] = self.clock()
        try:
            await self.flush(key)
        except Exception:
            log.exception("edit of %s failed", key)


class ChannelBudget:
    """A sliding window of edits per channel (Discord allows about 5 per 5 s per channel).

    Intermediate edits ask `allow()` and are dropped when the window is full: the next one, or
    the final edit, shows the newest state anyway. Final edits only `record()`: never dropped.
    """

    def __init__(
        self, limit: int = 4, per: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.per = per
        self.clock = clock
        self._sent: dict[int, deque[float]] = {}
        self._prune_at = PRUNE_AT

    def _window(self, channel_id: int) -> deque[float]:
        if len(self._sent) > self._prune_at:  # forget channels with nothing in their window
            cutoff = self.clock() - self.per
            self._sent = {c: w for c, w in self._sent.items() if w and w[-1] > cutoff}
            self._prune_at = max(PRUNE_AT, 2 * len(self._sent))
        window = self._sent.setdefault(channel_id, deque())
        cutoff = self.clock() - self.per
        while window and window[0] <= cutoff:
            window.popleft()
        return window

    def __len__(self) -> int:
        return len(self._sent)

    async def allow(self, channel_id: int) -> bool:
        if len(self._window(channel_id)) >= self.limit:
            return False
        await self.record(channel_id)
        return True

    async def record(self, channel_id: int) -> None:
        self._window(channel_id).append(self.clock())


class EditStore(Protocol):
    async def allow(self, channel_id: int, now: float, *, limit: int, per: float) -> bool: ...
    async def record(self, channel_id: int, now: float, *, per: float) -> None: ...


class SharedChannelBudget:
    """ChannelBudget's window kept in the database (bot/db/edits.py): Discord's limit is per
    bot, so several processes editing one channel must share it."""

    def __init__(
        self,
        store: EditStore,
        limit: int = 4,
        per: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.limit, self.per, self.clock = store, limit, per, clock

    def __len__(self) -> int:
        return 0  # nothing in memory

    async def allow(self, channel_id: int) -> bool:
        return await self.store.allow(channel_id, self.clock(), limit=self.limit, per=self.per)

    async def record(self, channel_id: int) -> None:
        await self.store.record(channel_id, self.clock(), per=self.per)


class KeyedLocks:
    """One asyncio.Lock per key, dropped when nobody holds or waits for it, so a bot that
    serves millions of jobs keeps only the locks in use."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
