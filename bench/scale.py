"""Benchmark: 2,000 concurrent jobs tracked by 1, 2 and 4 bot processes on PostgreSQL, and by
one process on SQLite.

Each process is a real OS process running the bot's JobService and Tracker (no Discord: job
events go to a recorder) against one simulator and one database; it submits its share of the
jobs, then tracks until none is pending. The processes share the polling through job leases
(bot/db/leases.py). Measured per configuration:
- upstream_requests_per_job: every CometAPI request (submits and polls) per job; it must stay
  flat as processes are added (each batches fewer jobs per request, but polls fewer);
- db_round_trips_per_job: SQL statements sent to the database per job;
- cpu_s_per_1000_job_minutes: the processes' CPU time per 1,000 minutes of tracked jobs;
- final_delay_p95_s: from a task finishing upstream to its job's final event;
- lost: jobs that never reached a final state; double_polls: a task polled by two processes
  less than a poll interval apart.
Prints a table, then one JSON line. Needs PostgreSQL's server binaries (`make test` installs
them); a throwaway cluster is started and removed.

    .venv/bin/python bench/scale.py [--jobs 2000] [--speed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/pg.py: the throwaway PostgreSQL cluster

from bot.cometapi.client import CometAPIPool  # noqa: E402
from bot.db import Database, JobStatus  # noqa: E402
from bot.jobs.events import EventKind, JobConfig, JobEvent, Requester, SingleClient  # noqa: E402
from bot.jobs.service import JobService  # noqa: E402
from bot.jobs.tracker import Tracker  # noqa: E402
from bot.sim import SimConfig, Simulator  # noqa: E402
from tests.pg import Cluster, binaries  # noqa: E402

KEY = "sk-bench"
WORKER = "X-Bench-Worker"
CONFIGS = (("sqlite", 1), ("postgres", 1), ("postgres", 2), ("postgres", 4))
POLL = 3.0  # the tracker's young-job interval (JobConfig's default)


class Tagging(httpx.AsyncBaseTransport):
    """Marks this process's requests (the simulator records them) and counts them."""

    def __init__(self, worker: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.worker = str(worker)
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers[WORKER] = self.worker
        self.requests += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# -- one bot process ----------------------------------------------------------------------


async def worker(index: int, database: str, sim_url: str, first: int, count: int) -> dict[str, Any]:
    transport = Tagging(index)
    pool = CometAPIPool(sim_url, timeout=30, transport=transport)
    clients = SingleClient(pool.client(KEY))
    db = await Database.open(database, owner=f"p{index}")
    statements = 0

    def counted(*_: Any) -> None:
        nonlocal statements
        statements += 1

    engines = {id(e): e for e in (db._writer, *db._readers)}.values()
    for engine in engines:
        event.listen(engine.sync_engine, "before_cursor_execute", counted)
    finals: dict[int, float] = {}

    async def sink(job_event: JobEvent) -> None:
        if job_event.kind in (EventKind.FINISHED, EventKind.FAILED):
            finals[job_event.job.id] = time.time()

    config = JobConfig(deadline_seconds=900, batch_size=100)
    service = JobService(db, clients, sink, config)
    tracker = Tracker(service, clients)
    gate = asyncio.Semaphore(50)

    async def submit(n: int) -> None:
        async with gate:
            req = Requester(user_id=10_000 + n, channel_id=1 + n % 20, guild_id=1)
            await service.imagine(req, f"bench job {n} --v 7", mode="fast")

    started = resource.getrusage(resource.RUSAGE_SELF)  # after start-up: the tracking's CPU
    tracker.start()
    await asyncio.gather(*(submit(n) for n in range(first, first + count)))
    # Until no job of any process is pending: they live in the shared database, no event here.
    while await db.leases.next_due(time.time()) is not None:  # noqa: ASYNC110
        await asyncio.sleep(0.5)
    await tracker.stop()
    await db.close()
    await pool.aclose()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "requests": transport.requests,
        "statements": statements,
        "cpu_s": usage.ru_utime + usage.ru_stime - started.ru_utime - started.ru_stime,
        "finals": finals,
    }


# -- the driver ---------------------------------------------------------------------------


async def run_config(
    engine: str, processes: int, jobs: int, sim: Simulator, cluster: Cluster, tmp: Path
) -> dict[str, Any]:
    if engine == "sqlite":
        database = str(tmp / f"scale-{processes}.db")
    else:
        database = cluster.create_database("scale")
    await (await Database.open(database)).close()  # migrated once, before the processes
    sim.requests.clear()
    share = -(-jobs // processes)
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--worker",
            str(i),
            database,
            sim.base_url,
            str(i * share),
            str(min(share, jobs - i * share)),
            stdout=asyncio.subprocess.PIPE,
        )
        for i in range(processes)
    ]
    outputs = [json.loads((await c.communicate())[0].decode().splitlines()[-1]) for c in children]
    finals = {int(k): v for out in outputs for k, v in out["finals"].items()}
    async with await Database.open(database, owner="auditor") as db:
        rows = [await db.jobs.get(job_id) for job_id in range(1, jobs + 1)]
    done = [j for j in rows if j is not None and j.status == JobStatus.SUCCEEDED]
    job_minutes = sum((j.finished_at or 0) - j.created_at for j in done) / 60
    finished_upstream = {t.id: t.finish_time for t in sim_tasks(sim, [j.task_id for j in done])}
    delays = [
        finals[j.id] - finished_upstream[j.task_id] / 1000
        for j in done
        if j.id in finals and finished_upstream.get(j.task_id)
    ]
    return {
        "upstream_requests_per_job": round(sum(o["requests"] for o in outputs) / jobs, 3),
        "db_round_trips_per_job": round(sum(o["statements"] for o in outputs) / jobs, 1),
        "cpu_s_per_1000_job_minutes": round(
            sum(o["cpu_s"] for o in outputs) / job_minutes * 1000, 1
        ),
        "final_delay_p95_s": round(statistics.quantiles(delays, n=20)[18], 2),
        "lost": jobs - len([j for j in done if j.id in finals]),
        "double_polls": double_polls(sim),
    }


def sim_tasks(sim: Simulator, task_ids: list[str | None]) -> list[Any]:
    """The simulator's tasks (in this process), with their upstream finish times."""
    from bot.cometapi.models import Task

    tasks = sim.engine.tasks
    return [Task.from_dict(sim.task_json(tasks[t])) for t in task_ids if t in tasks]


def double_polls(sim: Simulator) -> int:
    """Polls of one task by two different processes less than a poll interval apart."""
    polls: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for request in sim.requests:
        if request.route == "/mj/task/list-by-condition":
            for task_id in request.json.get("ids", []):
                polls[task_id].append((request.at, request.headers.get(WORKER, "?")))
    return sum(
        1
        for seen in polls.values()
        for (a, who_a), (b, who_b) in itertools.pairwise(sorted(seen))
        if who_a != who_b and b - a < POLL
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--speed", type=float, default=1.0, help="the simulator's pace")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        index, database, sim_url, first, count = args.worker
        result = await worker(int(index), database, sim_url, int(first), int(count))
        print(json.dumps(result))
        return
    found = binaries()
    if found is None:
        sys.exit(
            "PostgreSQL's server binaries are missing: run `make test` once (it installs them)"
        )
    cluster = Cluster(found).start()
    config = SimConfig(
        key=KEY, speed=args.speed, concurrency=100_000, max_recorded_requests=10_000_000
    )
    results: dict[str, dict[str, Any]] = {}
    try:
        async with Simulator(config) as sim:
            with tempfile.TemporaryDirectory() as tmp:
                for engine, processes in CONFIGS:
                    name = f"{engine}_{processes}"
                    results[name] = await run_config(
                        engine, processes, args.jobs, sim, cluster, Path(tmp)
                    )
                    print(f"{name}: done", file=sys.stderr)
    finally:
        cluster.stop()
    keys = list(next(iter(results.values())))
    print(f"{'configuration':>14} | " + " | ".join(f"{k:>26}" for k in keys))
    for name, figures in results.items():
        print(f"{name:>14} | " + " | ".join(f"{figures[k]!s:>26}" for k in keys))
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())
