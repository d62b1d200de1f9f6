"""Edit pacing stays flat on a bot that runs for months: what it remembers per message and
per channel is dropped once it no longer matters."""

from __future__ import annotations

import asyncio

from bot.jobs.coalesce import PRUNE_AT, ChannelBudget, EditCoalescer, KeyedLocks


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_coalescer_forgets_messages_edited_long_ago() -> None:
    clock = Clock()
    flushed: list[int] = []

    async def flush(key: int) -> None:
        flushed.append(key)

    edits = EditCoalescer(flush, min_interval=3.0, clock=clock)
    for key in range(5 * PRUNE_AT):
        edits.schedule(key)
        await asyncio.sleep(0)  # the first edit of a message goes at once
        clock.now += 0.1  # a busy bot: a new message every 0.1 s
    await edits.close()
    assert len(flushed) == 5 * PRUNE_AT
    assert len(edits) <= PRUNE_AT + 1


async def test_a_final_edit_forgets_its_message() -> None:
    async def flush(key: int) -> None: ...

    edits = EditCoalescer(flush, min_interval=3.0)
    edits.rendered(7)
    edits.schedule(7)
    edits.cancel(7)
    assert len(edits) == 0
    await edits.close()


async def test_the_channel_budget_forgets_quiet_channels() -> None:
    clock = Clock()
    budget = ChannelBudget(limit=4, per=5.0, clock=clock)
    for channel in range(5 * PRUNE_AT):
        assert await budget.allow(channel)
        clock.now += 1.0
    assert len(budget) <= PRUNE_AT + 1
    for _ in range(4):
        await budget.record(42)
    assert not await budget.allow(42)  # a busy channel is still limited


async def test_keyed_locks_hold_only_what_is_in_use() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def work(name: str) -> None:
        async with locks.hold(1):
            order.append(f"{name} in")
            await asyncio.sleep(0)
            order.append(f"{name} out")

    await asyncio.gather(work("a"), work("b"))
    assert order == ["a in", "a out", "b in", "b out"]  # one at a time per key
    assert len(locks) == 0
