"""Soak: 1,000 paid jobs through the real bot under upstream and Discord faults, with three
restarts, then an audit of the money promise (docs/faults.md): every charged job ends
delivered exactly once or refunded exactly once; no click makes two paid jobs.

Scripted users run /imagine and press U1–U4, V1–V4 and 🔄 on finished grids (some double
clicks 30 ms apart, some by the owner and a moderator at once) in three channels. About 10 %
of upstream requests are faulted at random (5xx, 429 + Retry-After, dropped answers, read
timeouts, truncated / null / bad-gzip bodies) and a few submits make stuck tasks; Discord
answers some message posts and edits with 429 or 5xx (also after doing the work). The bot
(MJBot, with the fake Discord and the simulator in this process) is closed and started anew
on the same database at 25 %, 50 % and 75 % of the jobs. When every job is settled the
database and the fake Discord are audited. Prints a table, then one JSON line.

    .venv/bin/python bench/soak.py [--jobs 1000] [--rate 8] [--fault-rate 0.1] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from stack import (
    GRID_BUTTONS,
    BotRunner,
    Finals,
    bot_settings,
    job_id_of,
    labels,
    owner_of,
    quiet_logging,
)

from bot.app import Tuning
from bot.jobs.actions import DOUBLE_CLICK
from bot.jobs.events import JobConfig
from bot.playground.client import patch_discord
from bot.playground.standin import FakeDiscord, FakeMessage, FakeUser
from bot.sim import Fault, SimConfig, Simulator
from bot.sim.faults import FaultSet
from bot.ui.delivery import DeliveryPolicy

TIMEOUT = 2.0  # the bot's CometAPI timeout; a `drop` that hangs longer is a read timeout
JOBS = JobConfig(poll_young=0.1, poll_old=0.5, reconcile_grace=2.0, deadline_seconds=15.0)
DELIVERY = DeliveryPolicy(attempts=4, base=0.2, cap=1.0, post_grace=1.0)
SUBJECTS = ("lighthouse", "fox", "castle", "harbour", "forest", "robot", "teapot", "glacier")
TERMINAL = ("succeeded", "failed", "timed_out", "cancelled")


class UpstreamFaults(FaultSet):
    """Faults about `rate` of upstream requests, chosen at random as they arrive (the
    simulator asks its FaultSet once per request), and makes `stick_rate` of submits stuck."""

    API = (  # (weight, kind, status, retry_after, delay)
        (3, "status", 500, None, 0.0),
        (1, "status", 502, None, 0.0),
        (1, "status", 503, None, 0.0),
        (3, "status", 429, 1.0, 0.0),
        (1, "drop", 500, None, 0.0),  # connection closed after the work was done
        (1, "drop", 500, None, TIMEOUT + 0.5),  # the answer never comes: a read timeout
        (1, "truncated", 500, None, 0.0),
        (1, "null", 500, None, 0.0),
        (2, "bad_gzip", 500, None, 0.0),
    )
    IMAGE = ((3, "status", 500, None, 0.0), (1, "status", 503, None, 0.0), API[4])

    def __init__(self, rng: random.Random, rate: float, stick_rate: float) -> None:
        super().__init__()
        self.rng, self.rate, self.stick_rate = rng, rate, stick_rate
        self.requests = 0
        self.faulted: Counter[str] = Counter()

    def take(self, path: str, route: str, *, task_level: bool) -> Fault | None:
        if task_level:  # asked once more for each submit that creates a task
            if self.rng.random() < self.stick_rate:
                self.faulted["stick"] += 1
                return Fault("stick")
            return None
        self.requests += 1
        if self.rng.random() >= self.rate:
            return None
        menu = self.IMAGE if route.startswith("/mj/image/") else self.API
        _, kind, status, retry_after, delay = self.rng.choices(menu, [m[0] for m in menu])[0]
        name = f"{kind} {status}" if kind == "status" else kind + (" (timeout)" if delay else "")
        self.faulted[name] += 1
        return Fault(kind, times=None, status=status, retry_after=retry_after, delay=delay)


async def discord_faults(fake: FakeDiscord, rng: random.Random, every: float, out: list) -> None:
    """Every `every` s one more Discord fault, used up by the next matching request; at most
    three wait unused, so a quiet spell (a restart) does not pile up a storm."""
    f = fake.faults
    menu = (
        ("429 edit", lambda: f.rate_limit("/channels/*/messages/*", "PATCH", retry_after=0.5)),
        ("5xx edit", lambda: f.server_error("/channels/*/messages/*", "PATCH", status=502)),
        ("5xx edit after", lambda: f.server_error("/channels/*/messages/*", "PATCH", after=True)),
        ("5xx post", lambda: f.server_error("/channels/*/messages", "POST", status=500)),
        ("5xx post after", lambda: f.server_error("/channels/*/messages", "POST", after=True)),
        ("5xx webhook after", lambda: f.server_error("/webhooks/*/*/messages/*", after=True)),
    )
    while True:
        await asyncio.sleep(every)
        if sum(rule.hits < (rule.times or 1) for _, rule in out) >= 3:
            continue
        name, make = rng.choice(menu)
        out.append((name, make()))


class Driver:
    """Fires one job-making interaction per call, without waiting for the bot's answer."""

    def __init__(self, fake: FakeDiscord, finals: Finals, rng: random.Random) -> None:
        self.fake, self.finals, self.rng = fake, finals, rng
        self.users = [fake.add_user(f"soaker{i}") for i in range(8)]
        self.moderator = fake.user("moderator")
        self.channels = ["general", "imagine", fake.add_channel("soak").name]
        self.pressed: set[tuple[int, str]] = set()
        self.done: set[int] = set()  # grids with every button pressed
        self.counts: Counter[str] = Counter()
        self.tasks: set[asyncio.Task[None]] = set()

    def act(self, n: int) -> None:
        grid = self._grid() if self.rng.random() < 0.55 else None
        if grid is None:
            user, channel = self.rng.choice(self.users), self.rng.choice(self.channels)
            prompt = f"a {self.rng.choice(SUBJECTS)} number {n}, soak"
            slash = user.slash("imagine", channel=channel, prompt=prompt, wait=False)
            self._spawn("imagine", slash)
            return
        message, label = grid
        owner = self.fake.user(owner_of(message))
        roll = self.rng.random()
        if roll < 0.10:
            self._spawn("double click", self._double(owner, message, label))
        elif roll < 0.17:
            self._spawn("two users", self._both(owner, message, label))
        else:
            self._spawn("click", owner.click(message, label, wait=False))

    def _grid(self) -> tuple[FakeMessage, str] | None:
        for _ in range(5):
            open_ = [j for j in self.finals.grids if j not in self.done]
            if not open_:
                return None
            job_id = self.rng.choice(open_)
            message = self.finals.grids[job_id]
            free = [b for b in GRID_BUTTONS if (job_id, b) not in self.pressed]
            if message.deleted or not free or set(labels(message)) < set(GRID_BUTTONS):
                self.done.add(job_id)
                continue
            label = self.rng.choice(free)
            self.pressed.add((job_id, label))
            return message, label
        return None

    async def _double(self, user: FakeUser, message: FakeMessage, label: str) -> None:
        await user.click(message, label, wait=False)
        await asyncio.sleep(0.03)
        await user.click(message, label, wait=False)

    async def _both(self, owner: FakeUser, message: FakeMessage, label: str) -> None:
        await asyncio.gather(
            owner.click(message, label, wait=False),
            self.moderator.click(message, label, wait=False),
        )

    def _spawn(self, kind: str, work: Any) -> None:
        self.counts[kind] += 1

        async def run() -> None:
            try:
                await work
            except (PermissionError, LookupError, RuntimeError) as exc:  # disabled, gone, down
                self.counts[f"not sent ({type(exc).__name__})"] += 1

        task = asyncio.create_task(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


def unsettled(db_path: Path) -> int:
    """Charged jobs not yet terminal-and-delivered nor refunded."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM jobs WHERE charge_state != 'none' AND NOT ("
            f"status IN {TERMINAL} AND "
            "(json_extract(meta, '$.delivered') IS status OR charge_state = 'refunded'))"
        ).fetchone()
    return int(row[0])


def audit(db_path: Path, fake: FakeDiscord, sim: Simulator) -> dict[str, Any]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        jobs = {r["id"]: r for r in conn.execute("SELECT * FROM jobs")}
        ledger = list(conn.execute("SELECT job_id, kind, amount FROM ledger"))
        instance = conn.execute("SELECT value FROM bot_state WHERE key = 'instance'").fetchone()
    rows: dict[int, Counter[str]] = defaultdict(Counter)
    money: Counter[str] = Counter()
    for r in ledger:
        rows[r["job_id"]][r["kind"]] += 1
        money[r["kind"]] += r["amount"]
    results: Counter[int] = Counter()  # job → live bot messages carrying its result
    posts: Counter[int] = Counter()  # job → live bot messages about it at all
    for m in fake.world.messages.values():
        job_id = job_id_of(m) if m.author.id == fake.bot.id and not m.deleted else None
        if job_id is None or job_id not in jobs:
            continue
        posts[job_id] += 1
        link = json.loads(jobs[job_id]["meta"]).get("result_link")
        results[job_id] += bool(m.attachments or (link and link in m.text))
    charged = [j for j in jobs if rows[j]["charge"]]
    lost = [j for j in charged if not rows[j]["refund"] and results[j] == 0]
    refunded = [j for j in charged if rows[j]["refund"]]
    delivered = [j for j in charged if not rows[j]["refund"] and results[j] == 1]
    by_state = Counter(t.state for t in sim.tasks.values() if t.state)
    duplicate_tasks = sum(n - 1 for n in by_state.values())
    # Upstream tasks made for a job that never learnt of them (the operator paid upstream).
    task_of = {f"{instance[0]}-{i}": j["task_id"] for i, j in jobs.items()}
    orphans = [t for t in sim.tasks.values() if t.state in task_of and task_of[t.state] != t.id]
    # A double click is one member's two paid presses of one button within the window (a
    # button pressed again later, or by someone else, is a new job by design).
    presses: dict[tuple[int, int, int], list[float]] = defaultdict(list)
    for j in jobs.values():
        if j["parent_id"] is not None and j["charge_state"] == "charged":
            presses[(j["parent_id"], j["button_index"], j["user_id"])].append(j["created_at"])
    paid_children: Counter[tuple[int, int, int]] = Counter()
    for key, times in presses.items():
        times.sort()
        paid_children[key] = 1 + sum(b - a < DOUBLE_CLICK for a, b in itertools.pairwise(times))
    state_ok = {"none": (0, 0), "charged": (1, 0), "refunded": (1, 1)}
    mismatched = sum(
        state_ok.get(j["charge_state"]) != (rows[i]["charge"], rows[i]["refund"])
        for i, j in jobs.items()
    )
    cost_charged = sum(j["cost"] for j in jobs.values() if j["charge_state"] == "charged")
    return {
        "jobs": len(charged),
        "delivered": len(delivered),
        "refunded": len(refunded),
        "lost": len(lost),
        "double_charges": sum(1 for j in jobs if rows[j]["charge"] > 1) + duplicate_tasks,
        "double_refunds": sum(1 for j in jobs if rows[j]["refund"] > 1),
        "duplicate_messages": sum(1 for j in jobs if results[j] > 1),
        "double_click_jobs": sum(1 for n in paid_children.values() if n > 1),
        "ledger_balanced": money["charge"] - money["refund"] == cost_charged and not mismatched,
        "ledger_mismatches": mismatched,
        "duplicate_upstream_tasks": duplicate_tasks,
        "upstream_tasks_orphaned": len(orphans),
        "delivered_free_after_refund": sum(1 for j in refunded if results[j]),
        "job_messages_duplicated": sum(1 for j in jobs if posts[j] > 1),
        "statuses": dict(Counter(j["status"] for j in jobs.values())),
        "not_settled": sum(1 for j in jobs.values() if j["status"] not in TERMINAL),
        "examples": {  # a few job ids behind each anomaly, to start an investigation
            "lost": lost[:5],
            "duplicate_messages": [j for j in jobs if results[j] > 1][:5],
            "job_messages_duplicated": [j for j in jobs if posts[j] > 1][:5],
            "double_click": [k for k, n in paid_children.items() if n > 1][:5],
            "orphaned_task_of": [t.state.rpartition("-")[2] for t in orphans][:5],
        },
    }


def dump_messages(fake: FakeDiscord, path: Path) -> None:
    """Every bot message, one JSON line each (kept with --keep, for investigating)."""
    with path.open("w") as out:
        for m in fake.world.messages.values():
            if m.author.id == fake.bot.id:
                ref = (m.message_reference or {}).get("message_id")
                line = {"id": m.id, "job": job_id_of(m), "channel": m.channel_id, "ref": ref}
                line.update(deleted=m.deleted, files=len(m.attachments), nonce=m.nonce)
                line.update(at=m.timestamp, edits=m.edits, text=m.text[:120])
                out.write(json.dumps(line, ensure_ascii=False) + "\n")


async def settle(db_path: Path, patience: float) -> int:
    """Wait until every charged job is settled (or `patience` ran out); how many are not."""
    deadline = time.monotonic() + patience
    while True:
        left = await asyncio.to_thread(unsettled, db_path)
        if not left or time.monotonic() > deadline:
            return left
        await asyncio.sleep(1.0)


async def soak(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    tally = quiet_logging(tmp / "soak.log")
    faults = UpstreamFaults(rng, args.fault_rate, stick_rate=0.02)
    config = SimConfig(key="sk-bench", speed=args.speed, first_poll_delay=0.2)
    started = time.monotonic()
    async with FakeDiscord() as fake, Simulator(config) as sim:
        sim.faults = faults
        finals = Finals(fake)
        driver = Driver(fake, finals, rng)  # adds users and a channel before the bot connects
        settings = bot_settings(sim.base_url, tmp / "bot.db", cometapi_timeout=TIMEOUT)
        tuning = Tuning(jobs=JOBS, edit_interval=0.2, delivery=DELIVERY)
        runner = BotRunner(fake, settings, tuning)
        injected: list[tuple[str, Any]] = []
        with patch_discord(fake):
            await runner.start()
            finals.start(every=0.1)
            chaos = None  # --discord-faults 0: no Discord faults at all
            if args.discord_faults > 0:
                every = 1 / args.discord_faults
                chaos = asyncio.create_task(discord_faults(fake, rng, every, injected))
            restart_at = {round(args.jobs * f) for f in (0.25, 0.5, 0.75)}
            tick, base = 0, time.monotonic()
            for n in range(args.jobs):
                if n in restart_at:
                    await runner.restart()
                    tick, base = 0, time.monotonic()
                driver.act(n)
                tick += 1
                await asyncio.sleep(max(0.0, base + tick / args.rate - time.monotonic()))
            issued_s = time.monotonic() - started
            if chaos is not None:
                chaos.cancel()
            left = await settle(tmp / "bot.db", args.settle)
            await asyncio.sleep(2.0)  # renders already under way land
            await runner.stop()
            await finals.stop()
        result = audit(tmp / "bot.db", fake, sim)
        if args.keep:
            dump_messages(fake, tmp / "messages.jsonl")
        stats = fake.stats()
        violations = Counter(v.rule for v in fake.violations)
    fired = Counter(name for name, rule in injected if rule.hits)
    result.update(
        seconds=round(time.monotonic() - started, 1),
        issue_seconds=round(issued_s, 1),
        unsettled_at_end=left,
        restarts=runner.restarts,
        start_seconds=runner.start_seconds,
        actions=dict(driver.counts),
        upstream_requests=faults.requests,
        upstream_faults=sum(faults.faulted.values()),
        upstream_faults_by_kind=dict(faults.faulted),
        discord_requests=stats["requests"]["total"],
        discord_faults=sum(fired.values()),
        discord_faults_by_kind=dict(fired),
        discord_429=stats["requests"]["by_status"].get(429, 0),
        interactions=stats["interactions"]["dispatched"],
        interactions_answered=stats["interactions"]["answered"],
        fake_violations=dict(violations),
        errors_logged=tally.count,
        errors_of_closed_bots=tally.after_close,
        first_errors=tally.first,
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000, help="job-making interactions")
    parser.add_argument("--rate", type=float, default=8.0, help="interactions per second")
    parser.add_argument("--fault-rate", type=float, default=0.10, help="upstream requests")
    parser.add_argument("--discord-faults", type=float, default=2.0, help="per second")
    parser.add_argument("--speed", type=float, default=100.0, help="simulator speed")
    parser.add_argument("--settle", type=float, default=180.0, help="seconds to wait at most")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database and log")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    result = asyncio.run(soak(args, tmp))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {json.dumps(value, ensure_ascii=False)}")
    if args.keep:
        print(f"kept: {tmp}", file=sys.stderr)
    else:
        shutil.rmtree(tmp)
    print(json.dumps(result, ensure_ascii=False))
    bad = ("lost", "double_charges", "double_refunds", "double_click_jobs", "duplicate_messages")
    return 1 if any(result[k] for k in bad) or not result["ledger_balanced"] else 0


if __name__ == "__main__":
    sys.exit(main())
