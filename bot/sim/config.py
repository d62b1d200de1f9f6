"""Settings of the simulator: one frozen record, every default in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_BANNED_WORDS: tuple[str, ...] = ("nsfwword", "gore", "nude")


@dataclass(frozen=True)
class SimConfig:
    """How the simulator behaves.

    `speed` divides every duration (1.0 = the real service's pace, 200 = tests).
    `concurrency` is the number of jobs one upstream account runs at once; `None` means "3 at a
    realistic pace (speed < 10), unlimited otherwise" so that fast test runs never queue unless
    a test asks for it. `queue_size` (waiting jobs) answers code 23 beyond it; `None` = no limit.
    `faults` are command-line fault specs (see `bot.sim.faults.parse_fault_spec`).
    `modal_ttl` is in real seconds, not scaled by `speed`.
    """

    key: str = "sk-sim"
    host: str = "127.0.0.1"
    port: int = 0
    speed: float = 1.0
    public_base_url: str | None = None
    concurrency: int | None = None
    queue_size: int | None = None
    faults: Sequence[str] = ()
    # Gateway quirks, switchable (mj-protocol.md §5b).
    duplicate_modal_rows: bool = True
    stale_modal_fetch: bool = False
    rewrite_queued_code: bool = False  # the gateway turns 22 into 1, keeping numberOfQueues
    legacy_code24: bool = False  # older proxies refuse banned prompts at submit time
    # midjourney-proxy's POST /mj/task/query and GET /mj/task/list; off = 404, as CometAPI's
    # stock gateway (whether CometAPI exposes them is unconfirmed).
    task_query: bool = True
    modal_ttl: float = 3600.0
    # Seconds (at speed 1) a new task reads status "" before the gateway's first upstream poll.
    first_poll_delay: float = 3.0
    banned_words: tuple[str, ...] = DEFAULT_BANNED_WORDS
    max_recorded_requests: int = 10_000
    # Finished tasks beyond this many are forgotten, oldest first (a long-running embedded
    # simulator must not grow forever).
    max_tasks: int = 20_000

    def effective_concurrency(self) -> int | None:
        if self.concurrency is not None:
            return max(1, self.concurrency)
        return 3 if self.speed < 10 else None
