"""Load: the bot's own latency under a steady stream of interactions, and its Discord traffic
for a burst of jobs in one channel, counted at the fake Discord (`fake.stats()`).

Three processes, so that no figure is the cost of a GIL shared with the test harness: this one
(the fake Discord and the scripted users), the bot (MJBot, unmodified discord.py; see
`bench/stack.py bot`) and the simulator at the real pace (speed 1, no account queue). The fake
enforces Discord's per-channel edit bucket (5 edits per 5 s), as observed on Discord.

(a) `--rate` interactions per second for `--seconds`: /imagine (40 %) and clicks of U1–U4,
    V1–V4, 🔄 on finished grids (60 %) by 200 users in 10 channels, fired without waiting.
    The grids to click come from a warm-up in which every user runs /imagine once. Measured:
    first-response latency (p50, p99) and interactions not answered within 3 s.
(b) `--burst` /imagine at once in one channel, on a fresh stack: Discord REST calls per job,
    429s received, and the delay from the task finishing upstream (the simulator's
    finishTime) to the job's message first showing its result (p50, p95).

The bot's process stamps when it parsed each interaction and when its callback left, so slow
first responses split into gateway, bot and callback time; `--trace-db` also times the bot's
database lock and who takes it (it slows the bot a little: not for the headline figures).

    .venv/bin/python bench/load.py [--seconds 60] [--rate 50] [--burst 100] [--trace-db]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import signal
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from stack import (
    GRID_BUTTONS,
    KEY,
    Finals,
    LoopLag,
    end,
    owner_of,
    percentile,
    quiet_logging,
    spawn,
)

from bot.playground.standin import FakeDiscord, FakeUser

CHANNELS = 10
DEADLINE = 3.0  # Discord's: an interaction not answered by then has failed
SUBJECTS = ("lighthouse", "fox", "castle", "harbour", "forest", "robot", "teapot", "glacier")


class Stack:
    """A fresh fake Discord with `users` members, the simulator and the bot in subprocesses."""

    def __init__(
        self, tmp: Path, name: str, users: int, profile: bool = False, trace_db: bool = False
    ) -> None:
        self.tmp, self.name, self.profile, self.trace_db = tmp, name, profile, trace_db
        self.fake = FakeDiscord()
        self.users = [self.fake.add_user(f"{name}{i}") for i in range(users)]
        self.channels = [self.fake.add_channel(f"{name}-{c}").name for c in range(CHANNELS)]
        self.fake.faults.edit_bucket(limit=5, per=5.0)
        self.db = tmp / f"{name}.db"
        self.report = tmp / f"{name}-bot-report.json"
        self.sim_url = ""
        self.bot_proc: asyncio.subprocess.Process | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Stack]:
        await self.fake.start()
        sim, self.sim_url = await spawn("sim", "--speed", "1")
        try:
            args = ["--api", self.fake.api_base, "--gateway", self.fake.gateway_url]
            args += ["--sim", self.sim_url, "--db", str(self.db), "--report", str(self.report)]
            args += ["--log", str(self.tmp / f"{self.name}-bot.log")]
            if self.profile:
                args += ["--profile", str(self.tmp / f"{self.name}-bot.prof")]
            if self.trace_db:
                args += ["--trace-db"]
            self.bot_proc, _ = await spawn("bot", *args)
            await self.fake.wait_until(self.fake.commands, timeout=30, what="synced commands")
            yield self
        finally:
            if self.bot_proc is not None:
                await end(self.bot_proc)
            await end(sim)
            await self.fake.stop()

    def bot_report(self) -> dict[str, Any]:
        """What the bot process wrote when it ended: its loop lag, and per interaction when
        it parsed it and when its callback request started and ended (see stack.py)."""
        with contextlib.suppress(OSError, ValueError):
            return dict(json.loads(self.report.read_text()))
        return {}

    def breakdown(self, ids: list[int], latency: dict[int, float]) -> dict[str, Any]:
        """Split first responses into gateway (fake sends → bot parsed), bot (parsed →
        callback sent) and callback (request → the fake recorded it), in ms; for all and for
        the slowest 1 %."""
        marks = self.bot_report().get("interactions", {})
        rows = []
        for i in ids:
            mark, record = marks.get(str(i), []), self.fake.world.interactions.get(i)
            if len(mark) == 3 and i in latency and record and record.dispatched_at:
                sent, parsed, began = record.dispatched_at, mark[0], mark[1]
                rows.append((latency[i], parsed - sent, began - parsed, sent + latency[i] - began))
        if not rows:
            return {}
        rows.sort()
        slow = rows[-max(1, len(rows) // 100) :]
        parts = ("gateway", "bot", "callback")
        out: dict[str, Any] = {}
        for n, part in enumerate(parts, start=1):
            out[f"{part}_p50_ms"] = round((percentile([r[n] for r in rows], 0.5) or 0) * 1000, 1)
            out[f"{part}_p99_ms"] = round((percentile([r[n] for r in rows], 0.99) or 0) * 1000, 1)
            out[f"slowest_1pct_{part}_ms"] = round(sum(r[n] for r in slow) / len(slow) * 1000, 1)
        return out

    def imagine(self, user: FakeUser, channel: str, n: int) -> Any:
        prompt = f"a {SUBJECTS[n % len(SUBJECTS)]} number {n}, load test"
        return user.slash("imagine", channel=channel, prompt=prompt, wait=False)


async def fire(ids: list[int], lag: list[float], due: float, work: Any) -> None:
    lag.append(time.monotonic() - due)
    with contextlib.suppress(PermissionError, LookupError):  # a button refused meanwhile
        ids.append((await work).id)


async def steady(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    stack = Stack(tmp, "load", 200, profile=args.profile, trace_db=args.trace_db)
    async with stack.running():
        fake, finals = stack.fake, Finals(stack.fake)
        finals.start()
        home = {u.id: stack.channels[i % CHANNELS] for i, u in enumerate(stack.users)}
        for i, user in enumerate(stack.users):  # warm-up: grids to click later
            await stack.imagine(user, home[user.id], i)
            await asyncio.sleep(1 / 40)
        await fake.wait_until(
            lambda: len(finals.grids) >= 0.9 * len(stack.users), timeout=150, what="warm-up grids"
        )
        assert stack.bot_proc is not None
        stack.bot_proc.send_signal(signal.SIGUSR1)  #: the bot's loop-lag window starts
        here = LoopLag()
        here.start()
        ids: list[int] = []
        late: list[float] = []
        tasks: set[asyncio.Task[None]] = set()
        kinds: Counter[str] = Counter()
        start = time.monotonic()
        total = int(args.seconds * args.rate)
        for k in range(total):
            due = start + k / args.rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if rng.random() < 0.4:
                user = rng.choice(stack.users)
                work, kind = stack.imagine(user, home[user.id], 1000 + k), "imagine"
            else:
                message = rng.choice(list(finals.grids.values()))
                owner = fake.user(owner_of(message))
                work, kind = owner.click(message, rng.choice(GRID_BUTTONS), wait=False), "click"
            kinds[kind] += 1
            task = asyncio.create_task(fire(ids, late, due, work))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        elapsed = time.monotonic() - start
        await asyncio.sleep(DEADLINE + 0.5)
        fake_lag = here.stop()
        stats = fake.stats()
        await finals.stop()
    latency = stats["interactions"]["first_response_latency"]
    ms = [latency[i] * 1000 for i in ids if i in latency]
    unanswered = sum(1 for i in ids if latency.get(i, DEADLINE + 1) > DEADLINE)
    return {
        "interactions": len(ids),
        "kinds": dict(kinds),
        "achieved_rate": round(len(ids) / elapsed, 1),
        "first_response_p50_ms": round(percentile(ms, 0.5) or 0, 1),
        "first_response_p99_ms": round(percentile(ms, 0.99) or 0, 1),
        "first_response_max_ms": round(max(ms, default=0), 1),
        "unanswered": unanswered,
        "driver_late_p99_ms": round((percentile(late, 0.99) or 0) * 1000, 1),
        "fake_loop_lag": fake_lag,
        "bot_loop_lag": stack.bot_report().get("loop_lag"),
        "split": stack.breakdown(ids, latency),
        "bot_db_lock": stack.bot_report().get("db_lock") if args.trace_db else "--trace-db",
        "fake_violations": dict(Counter(v.rule for v in stack.fake.violations)),
    }


async def burst(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    stack = Stack(tmp, "burst", args.burst)
    async with stack.running():
        fake, finals = stack.fake, Finals(stack.fake)
        finals.start()
        before = fake.stats()
        began = time.monotonic()
        await asyncio.gather(
            *(stack.imagine(u, stack.channels[0], i) for i, u in enumerate(stack.users))
        )
        await fake.wait_until(
            lambda: len(finals.final_at) >= args.burst, timeout=args.burst_timeout, what="results"
        )
        seconds = time.monotonic() - began
        await asyncio.sleep(1.0)  # whatever the bot still sends once the results are shown
        after = fake.stats()
        await finals.stop()
        with sqlite3.connect(f"file:{stack.db}?mode=ro", uri=True) as conn:
            tasks = dict(conn.execute("SELECT id, task_id FROM jobs WHERE task_id IS NOT NULL"))
        done_at = await finish_times(stack.sim_url, tasks)
    delays = [finals.final_at[j] - done_at[j] for j in done_at if j in finals.final_at]
    by_route = Counter(after["requests"]["by_route"])
    by_route.subtract(before["requests"]["by_route"])
    calls = after["requests"]["total"] - before["requests"]["total"]
    status_429 = after["requests"]["by_status"].get(429, 0) - before["requests"]["by_status"].get(
        429, 0
    )
    return {
        "jobs": args.burst,
        "results_shown": len(finals.final_at),
        "seconds": round(seconds, 1),
        "rest_calls_per_job": round(calls / args.burst, 2),
        "rest_calls_by_route": {k: v for k, v in by_route.most_common() if v},
        "rate_limited_429": status_429,
        "final_delay_p50_s": round(percentile(delays, 0.5) or 0, 2),
        "final_delay_p95_s": round(percentile(delays, 0.95) or 0, 2),
        "final_delay_max_s": round(max(delays, default=0), 2),
        "fake_violations": dict(Counter(v.rule for v in stack.fake.violations)),
    }


async def finish_times(sim_url: str, tasks: dict[int, str]) -> dict[int, float]:
    """When each task finished upstream, from the simulator (wall-clock seconds)."""
    found = {}
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=sim_url, headers=headers) as client:
        for job_id, task_id in tasks.items():
            body = (await client.get(f"/mj/task/{task_id}/fetch")).json()
            if body and body.get("status") == "SUCCESS" and body.get("finishTime"):
                found[job_id] = body["finishTime"] / 1000
    return found


def top_of_profile(path: Path, lines: int = 14) -> str:
    import io
    import pstats

    out = io.StringIO()
    pstats.Stats(str(path), stream=out).sort_stats("tottime").print_stats(lines)
    return out.getvalue()


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    quiet_logging(tmp / "load.log")
    began = time.monotonic()
    a = await steady(args, tmp)
    b = await burst(args, tmp) if args.burst > 0 else {}
    return {"a": a, "b": b, "seconds": round(time.monotonic() - began, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=50.0, help="interactions per second")
    parser.add_argument("--burst", type=int, default=100, help="jobs in one channel")
    parser.add_argument("--burst-timeout", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile the bot in (a)")
    parser.add_argument(
        "--trace-db", action="store_true", help="(a): who waits for the bot's database lock"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="load-") as name:
        tmp = Path(name)
        result = asyncio.run(run(args, tmp))
        if args.profile:
            print(top_of_profile(tmp / "load-bot.prof"))
    a, b = result["a"], result["b"]
    for part, figures in (("a", a), ("b", b)):
        for key, value in figures.items():
            print(f"({part}) {key:<24} {json.dumps(value, ensure_ascii=False)}")
    print(f"    seconds{'':<20}{result['seconds']}")
    summary = {
        "first_response_p50_ms": a["first_response_p50_ms"],
        "first_response_p99_ms": a["first_response_p99_ms"],
        "unanswered": a["unanswered"],
        "rest_calls_per_job": b.get("rest_calls_per_job"),
        "rate_limited_429": b.get("rate_limited_429"),
        "final_delay_p95_s": b.get("final_delay_p95_s"),
        **{f"a_{k}": v for k, v in a.items() if not k.startswith("first_response_p")},
        **{f"b_{k}": v for k, v in b.items() if k not in ("rest_calls_per_job",)},
        "seconds": result["seconds"],
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
