"""Waiting on the fake's state without fixed sleeps (a mixin of :class:`FakeDiscord`).

Waiters wake on every change the fake makes (``notify``) and poll every 20 ms for the bot's
own state. ``wait_for_message`` re-checks only the messages created or changed since its last
look (``world.journal``), so a busy fake with thousands of stored messages stays cheap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .errors import Violation
    from .gateway import Gateway
    from .messages import FakeMessage
    from .world import World

T = TypeVar("T")
FULL_SCAN_EVERY = 0.5  # seconds; for predicates that also read state outside the messages


class Waiting:
    world: World
    gateway: Gateway
    violations: list[Violation]
    _wakers: set[asyncio.Event]

    changes = 0  # how many times the fake changed: the playground's page follows it

    def notify(self) -> None:
        self.changes += 1
        for event in list(self._wakers):
            event.set()

    async def wait_until(
        self, predicate: Callable[[], T | None], *, timeout: float = 10.0, what: str = "a condition"
    ) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                extra = f"; violations so far: {[str(v) for v in self.violations]}"
                raise AssertionError(f"timed out after {timeout} s waiting for {what}{extra}")
            event = asyncio.Event()
            self._wakers.add(event)
            try:
                # Woken by the fake's own changes; polled for the bot's state too.
                await asyncio.wait_for(event.wait(), timeout=min(remaining, 0.02))
            except TimeoutError:
                pass
            finally:
                self._wakers.discard(event)

    async def wait_for_message(
        self,
        predicate: Callable[[FakeMessage], Any] = lambda m: True,
        *,
        channel: Any = None,
        timeout: float = 10.0,
    ) -> FakeMessage:
        """The first (oldest) live message, existing or new, in ``channel`` if given, that
        satisfies ``predicate``."""
        world = self.world
        channel_id = world.channel(channel).id if channel is not None else None
        loop = asyncio.get_running_loop()
        seen = 0  # how much of the journal was looked at
        last_full = -FULL_SCAN_EVERY

        def candidates() -> Iterable[int]:
            nonlocal seen, last_full
            if loop.time() - last_full >= FULL_SCAN_EVERY:
                last_full, seen = loop.time(), len(world.journal)
                if channel_id is None:
                    return list(world.messages)
                return list(world.channel_messages.get(channel_id, ()))
            fresh = world.journal[seen:]
            seen += len(fresh)
            return sorted(set(fresh))

        def find() -> FakeMessage | None:
            for message_id in candidates():
                message = world.messages.get(message_id)
                if message is None or message.deleted:
                    continue
                if channel_id is not None and message.channel_id != channel_id:
                    continue
                if predicate(message):
                    return message
            return None

        return await self.wait_until(find, timeout=timeout, what="a matching message")

    async def wait_for_edit(
        self, message_id: Any, predicate: Callable[[FakeMessage], Any], *, timeout: float = 10.0
    ) -> FakeMessage:
        """Wait until the message (after any edits) satisfies ``predicate``."""
        message = self.world.messages[int(getattr(message_id, "id", message_id))]
        return await self.wait_until(
            lambda: message if predicate(message) else None,
            timeout=timeout,
            what=f"an edit of message {message.id}",
        )

    async def wait_for_connection(self, timeout: float = 10.0) -> None:
        await self.wait_until(self.gateway.live_sessions, timeout=timeout, what="a bot connection")
