"""A controllable clock and Discord snowflakes.

The fake measures interaction deadlines, token lifetimes and CDN link expiry on this clock: real
time plus an offset that a test moves forward with :meth:`FakeClock.advance`.
"""

from __future__ import annotations

import asyncio
import time

DISCORD_EPOCH_MS = 1_420_070_400_000


class FakeClock:
    """Real time plus an offset; ``advance`` jumps forward and wakes whoever sleeps on it."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._wakers: set[asyncio.Event] = set()

    @property
    def offset(self) -> float:
        return self._offset

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def time(self) -> float:
        """Wall-clock seconds since the Unix epoch, shifted by the offset."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds
        for event in list(self._wakers):
            event.set()

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until ``monotonic() >= deadline``, waking early if the clock is advanced."""
        while True:
            remaining = deadline - self.monotonic()
            if remaining <= 0:
                return
            event = asyncio.Event()
            self._wakers.add(event)
            try:
                await asyncio.wait_for(event.wait(), timeout=remaining)
            except TimeoutError:
                pass
            finally:
                self._wakers.discard(event)


class Snowflakes:
    """Increasing snowflakes whose timestamps follow the clock (discord.py reads created_at)."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self._last = 0

    def next(self) -> int:
        ms = int(self._clock.time() * 1000) - DISCORD_EPOCH_MS
        value = max(self._last + 1, (ms << 22) | (1 << 17))
        self._last = value
        return value
