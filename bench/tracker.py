"""Benchmark: the batched Tracker against per-task polling, 500 concurrent jobs.

Both strategies poll at the same freshness (one look at each pending task every `--interval`
seconds) against the simulator, run in a separate process so the memory figure is the bot's
own. Measured for each: upstream requests per completed job and per second, the p50/p95 delay
from a task finishing upstream to its job message being final, Discord REST calls per job
(message creation plus the coalesced edits the Presenter's policy makes), and resident memory
per 1,000 tracked jobs. Prints a table, then the same figures as one JSON object.

    .venv/bin/python bench/tracker.py [--jobs 500] [--speed 10] [--interval 0.3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from bot.cometapi.client import CometAPIPool
from bot.db import Database
from bot.jobs.coalesce import EditCoalescer
from bot.jobs.events import EventKind, JobConfig, JobEvent, Requester, SingleClient
from bot.jobs.service import JobService
from bot.jobs.tracker import Tracker

KEY = "sk-bench"
ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts upstream poll requests on the wire."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.polls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if "/mj/task/" in request.url.path:
            self.polls += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@contextlib.asynccontextmanager
async def simulator(speed: float) -> AsyncIterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))"
    args = ["sim", "--port", str(port), "--key", KEY, "--speed", str(speed)]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, *args, stderr=asyncio.subprocess.DEVNULL, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(200):
                with contextlib.suppress(httpx.HTTPError):
                    await probe.get(url + "/healthz")
                    break
                await asyncio.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        await proc.wait()


class Run:
    def __init__(self, name: str, edit_interval: float) -> None:
        self.name = name
        self.rest_calls = 0
        self.final_at: dict[int, float] = {}
        self.expected = 0
        self.all_final = asyncio.Event()
        self.edits = EditCoalescer(self._flush, min_interval=edit_interval)

    async def _flush(self, job_id: int) -> None:
        self.rest_calls += 1

    async def sink(self, event: JobEvent) -> None:
        if event.kind in (EventKind.FINISHED, EventKind.FAILED):
            self.edits.cancel(event.job.id)  # as the Presenter: the final edit goes at once
            await self._flush(event.job.id)
            self.final_at[event.job.id] = time.time()
            if self.expected and len(self.final_at) >= self.expected:
                self.all_final.set()
        else:
            self.edits.schedule(event.job.id)


async def one_run(name: str, url: str, jobs: int, interval: float, speed: float) -> dict:
    run = Run(name, edit_interval=3.0 / speed)
    transport = CountingTransport()
    pool = CometAPIPool(url, timeout=30, transport=transport)
    client = pool.client(KEY)
    clients = SingleClient(client)
    config = JobConfig(poll_young=interval, poll_old=interval, deadline_seconds=600, batch_size=100)
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.db")
        service = JobService(db, clients, run.sink, config)
        tracker = Tracker(service, clients, idle=interval) if name == "batched" else None
        base_rss = rss()
        gate = asyncio.Semaphore(50)

        async def submit(i: int) -> int:
            async with gate:
                req = Requester(user_id=1000 + i % 50, channel_id=1, guild_id=1)
                return (await service.imagine(req, f"bench job {i} --v 7", mode="fast")).id

        started = time.time()
        ids = await asyncio.gather(*(submit(i) for i in range(jobs)))
        tracked_rss = rss() - base_rss
        run.rest_calls += len(ids)  # each job's message is created once
        pollers = []
        if tracker is not None:
            tracker.start()
        else:
            pollers = [asyncio.create_task(poll_alone(service, client, i, interval)) for i in ids]
        run.expected = len(ids)
        if len(run.final_at) < len(ids):
            await run.all_final.wait()
        elapsed = time.time() - started
        if tracker is not None:
            await tracker.stop()
        for p in pollers:
            p.cancel()
        await asyncio.gather(*pollers, return_exceptions=True)
        polls = transport.polls
        delays = []
        for job_id in ids:
            job = await db.jobs.get(job_id)
            task = await client.fetch(job.task_id) if job and job.task_id else None
            if task is not None and task.finish_time:
                delays.append(run.final_at[job_id] - task.finish_time / 1000)
        await run.edits.close()
        await db.close()
    await pool.aclose()
    q = statistics.quantiles(delays, n=20)
    return {
        "strategy": name,
        "jobs": jobs,
        "seconds": round(elapsed, 1),
        "upstream_requests_per_job": round(polls / jobs, 2),
        "upstream_requests_per_s": round(polls / elapsed, 1),
        "delay_p50_s": round(statistics.median(delays), 3),
        "delay_p95_s": round(q[18], 3),
        "discord_rest_calls_per_job": round(run.rest_calls / jobs, 2),
        "rss_mib_per_1000_jobs": round(tracked_rss / 2**20 * 1000 / jobs, 1),
    }


async def poll_alone(service: JobService, client: object, job_id: int, interval: float) -> None:
    """The baseline: one loop per task, fetching it alone at the same freshness."""
    from bot.cometapi.client import CometAPIClient

    assert isinstance(client, CometAPIClient)
    while True:
        job = await service.db.jobs.get(job_id)
        if job is None or job.status.is_terminal:
            return
        if job.task_id:
            with contextlib.suppress(Exception):
                task = await client.fetch(job.task_id)
                if task is not None:
                    await service.apply(task)
        await asyncio.sleep(interval)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=0.3)
    parser.add_argument("--only", choices=("per_task", "batched"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:  # one strategy in a process of its own, so memory figures don't mix
        async with simulator(args.speed) as url:
            result = await one_run(args.only, url, args.jobs, args.interval, args.speed)
        print(json.dumps(result))
        return
    results = []
    for name in ("per_task", "batched"):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--only",
            name,
            "--jobs",
            str(args.jobs),
            "--speed",
            str(args.speed),
            "--interval",
            str(args.interval),
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await proc.communicate()
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    keys = list(results[0])
    print(" | ".join(f"{k:>26}" for k in keys))
    for r in results:
        print(" | ".join(f"{r[k]!s:>26}" for k in keys))
    print(json.dumps({r["strategy"]: r for r in results}))


if __name__ == "__main__":
    asyncio.run(main())
