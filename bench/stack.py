"""What bench/soak.py and bench/load.py share: the real bot (bot/app.py MJBot, unmodified
discord.py) against the fake Discord (bot/playground/standin) and the CometAPI simulator (bot/sim).

- In one process (`BotRunner`): fake, simulator and bot share the event loop; a restart closes
  the MJBot and starts a new one on the same database file, as tests/e2e does.
- Out of process (`python bench/stack.py bot|sim ...`, `spawn`): the bot, or the simulator,
  in a process of its own, so load.py measures the bot's latency, not a GIL it shares with the
  fake. Each prints one line when ready (its URL) and runs until terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.* helpers

from bot.app import MJBot, Tuning
from bot.playground.client import patch_discord, run_client
from bot.playground.standin import FakeDiscord, FakeMessage
from bot.settings import Settings, load_settings
from bot.sim import SimConfig, Simulator
from bot.ui.render import job_id_in_footer

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-bench"
TOKEN = "fake-bot-token"  # FakeDiscord's default
GRID_BUTTONS = ("U1", "U2", "U3", "U4", "V1", "V2", "V3", "V4", "🔄")


def bot_settings(sim_url: str, db_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "cometapi_key": KEY,
        "cometapi_base_url": sim_url,
        "database_path": db_path,
        "web_port": 0,
        "discord_token": TOKEN,
        **extra,
    }
    return load_settings(**values)


class LogTally(logging.Handler):
    """Counts ERROR records and keeps the first few distinct ones. Errors of a bot already
    closed are counted apart: in one process its event handlers outlive `close()` and fail on
    the closed session or database, where a real restart would have ended the process."""

    CLOSED = ("Session is closed", "has been closed", "active connection", "Connection closed")

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.after_close = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        chain = []
        while exc is not None:
            chain.append(str(exc))
            exc = exc.__cause__ or exc.__context__
        if any(marker in text for text in chain for marker in self.CLOSED):
            self.after_close += 1
            return
        self.count += 1
        line = f"{record.name}: {record.getMessage()[:120]}"
        line += f" ({chain[0][:80]})" if chain else ""
        if len(self.first) < 8 and line not in self.first:
            self.first.append(line)


def quiet_logging(path: Path) -> LogTally:
    """Warnings and worse go to a file (faults make many); errors are also counted."""
    tally = LogTally()
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler, tally]
    root.setLevel(logging.WARNING)
    return tally


class BotRunner:
    """One MJBot at a time against the fake, in this process; `restart` = close, start anew."""

    def __init__(self, fake: FakeDiscord, settings: Settings, tuning: Tuning) -> None:
        self.fake, self.settings, self.tuning = fake, settings, tuning
        self.bot: MJBot | None = None
        self._cm: contextlib.AbstractAsyncContextManager[MJBot] | None = None
        self.restarts = 0
        self.start_seconds: list[float] = []  # how long each start took to be ready

    async def start(self) -> MJBot:
        began = time.monotonic()
        self._cm = run_client(MJBot(self.settings, self.tuning), self.fake.token, timeout=300)
        self.bot = await self._cm.__aenter__()
        self.start_seconds.append(round(time.monotonic() - began, 2))
        return self.bot

    async def stop(self) -> None:
        if self._cm is not None:
            await self._cm.__aexit__(None, None, None)
        self._cm = self.bot = None

    async def restart(self) -> MJBot:
        logging.getLogger("bench").warning("restart %d: closing the bot", self.restarts + 1)
        await self.stop()
        logging.getLogger("bench").warning("restart %d: starting a new bot", self.restarts + 1)
        self.restarts += 1
        return await self.start()


def job_id_of(message: FakeMessage) -> int | None:
    """The job a bot message is about: its embed footer ends "· job <id>"."""
    for embed in message.embeds:
        found = job_id_in_footer(str((embed.get("footer") or {}).get("text", "")))
        if found is not None:
            return found
    return None


def owner_of(message: FakeMessage) -> int:
    """Who asked for the job (the embed's "Asked by" field, a mention)."""
    for embed in message.embeds:
        for field in embed.get("fields") or []:
            if field.get("name") == "Asked by":
                return int(str(field["value"]).strip("<@!>"))
    raise LookupError("no owner on the job message")


def is_final(message: FakeMessage) -> bool:
    """A job message showing its result: an attachment and buttons (tests/e2e `final`)."""
    return bool(message.attachments) and bool(message.buttons)


def labels(message: FakeMessage) -> list[str]:
    found = []
    for button in message.buttons:
        emoji = (button.get("emoji") or {}).get("name")
        found.append(emoji if emoji == "🔄" else str(button.get("label") or ""))
    return found


class Finals:
    """Follows the fake's journal of created/changed messages: when each job's message first
    showed its final result (wall clock), and the finished grids one may click."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.seen = 0
        self.final_at: dict[int, float] = {}
        self.grids: dict[int, FakeMessage] = {}  # job id → message with U1…V4 buttons
        self._task: asyncio.Task[None] | None = None

    def poll(self) -> None:
        world, bot_id = self.fake.world, self.fake.bot.id
        fresh = world.journal[self.seen :]
        self.seen += len(fresh)
        now = time.time()
        for message_id in set(fresh):
            message = world.messages.get(message_id)
            if message is None or message.deleted or message.author.id != bot_id:
                continue
            job_id = job_id_of(message)
            if job_id is None or job_id in self.final_at or not is_final(message):
                continue
            self.final_at[job_id] = now
            if "U1" in labels(message) and message.ephemeral_for is None:
                self.grids[job_id] = message

    async def _run(self, every: float) -> None:
        while True:
            self.poll()
            await asyncio.sleep(every)

    def start(self, every: float = 0.02) -> None:
        self._task = asyncio.create_task(self._run(every))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.poll()


class LoopLag:
    """How late a 10-ms sleep wakes up: how busy this process's event loop is."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples.append(time.perf_counter() - began - 0.01)

    def start(self) -> None:
        self.samples.clear()
        self._task = asyncio.create_task(self._run())

    def stop(self) -> dict[str, Any]:
        if self._task is not None:
            self._task.cancel()
        return summary_ms(self.samples)


def summary_ms(seconds: list[float]) -> dict[str, Any]:
    ms = sorted(s * 1000 for s in seconds)
    found = {"n": len(ms), "p50_ms": percentile(ms, 0.5), "p99_ms": percentile(ms, 0.99)}
    found["max_ms"] = ms[-1] if ms else None
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in found.items()}


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (as the fake's stats compute theirs)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


# --- processes of their own -------------------------------------------------------------------


async def spawn(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    """Run `python bench/stack.py ARGS`; returns the process and the line it prints when ready."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, *args, stdout=asyncio.subprocess.PIPE, cwd=ROOT
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    if not line:
        raise RuntimeError(f"bench/stack.py {args[0]} exited before it was ready")
    return proc, line.decode().strip()


async def end(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout=20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def _until_terminated() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


async def _serve_sim(args: argparse.Namespace) -> None:
    # The CLI's `mjbot sim` has no --concurrency: at speed < 10 the account would run 3 jobs
    # at once and queue the rest, which measures the simulator, not the bot.
    config = SimConfig(key=KEY, speed=args.speed, concurrency=args.concurrency)
    async with Simulator(config) as sim:
        print(sim.base_url, flush=True)
        await _until_terminated()


def _trace_interactions(marks: dict[int, list[float]]) -> None:
    """Stamp (time.monotonic, the same clock in every process) when the bot parsed each
    INTERACTION_CREATE and when its first callback request started and ended, so a slow first
    response can be split into gateway, bot and callback time."""
    import discord.state
    import discord.webhook.async_ as hooks

    parse = discord.state.ConnectionState.parse_interaction_create
    respond = hooks.AsyncWebhookAdapter.create_interaction_response

    def parsed(self: Any, data: Any) -> None:
        marks[int(data["id"])] = [time.monotonic()]
        parse(self, data)

    def responding(self: Any, interaction_id: int, *args: Any, **kwargs: Any) -> Any:
        call = respond(self, interaction_id, *args, **kwargs)

        async def timed() -> Any:
            began = time.monotonic()
            try:
                return await call
            finally:
                mark = marks.get(int(interaction_id))
                if mark is not None and len(mark) == 1:
                    mark += [began, time.monotonic()]

        return timed()

    discord.state.ConnectionState.parse_interaction_create = parsed  # type: ignore[method-assign]
    hooks.AsyncWebhookAdapter.create_interaction_response = responding  # type: ignore[method-assign]


def _trace_db(waits: dict[str, list[float]], callers: dict[str, list[float]]) -> None:
    """Time how long callers wait for a database connection (SQLite keeps one per engine,
    behind an asyncio lock), apart
    for interaction handlers (discord.py names their tasks) and everything else, how long each
    holder keeps it, and who takes it how often (the first bot function outside bot/db)."""
    from bot.db.connection import Database

    hold = Database._borrow

    @contextlib.asynccontextmanager
    async def timed(self: Database, engine: Any) -> Any:
        task = asyncio.current_task()
        name = task.get_name() if task is not None else ""
        who = "interaction_wait" if name.startswith(("CommandTree", "discord-ui")) else "other_wait"
        frame: Any = sys._getframe(1)
        while frame is not None and any(
            part in frame.f_code.co_filename for part in ("/bot/db/", "contextlib", "stack.py")
        ):
            frame = frame.f_back
        caller = f"{Path(frame.f_code.co_filename).stem}.{frame.f_code.co_name}" if frame else "?"
        began = time.monotonic()
        async with hold(self, engine) as conn:
            got = time.monotonic()
            try:
                yield conn
            finally:
                waits[who].append(got - began)
                waits["held"].append(time.monotonic() - got)
                tally = callers.setdefault(caller, [0, 0.0])
                tally[0] += 1
                tally[1] += got - began

    Database._borrow = timed  # type: ignore[method-assign]


async def _serve_bot(args: argparse.Namespace) -> None:
    quiet_logging(Path(args.log))
    lag = LoopLag()
    marks: dict[int, list[float]] = {}
    _trace_interactions(marks)
    waits: dict[str, list[float]] = {"interaction_wait": [], "other_wait": [], "held": []}
    callers: dict[str, list[float]] = {}
    if args.trace_db:  # ~150k lock takes a minute under load: it costs some latency itself
        _trace_db(waits, callers)
    fake_urls = argparse.Namespace(api_base=args.api, gateway_url=args.gateway)
    with patch_discord(fake_urls):  # type: ignore[arg-type]  # only reads the two URLs
        bot = MJBot(bot_settings(args.sim, Path(args.db)), Tuning())
        bot._connection.guild_ready_timeout = 0.05  # as run_client: the fake sends all at once
        async with bot:
            runner = asyncio.create_task(bot.start(TOKEN))
            await bot.wait_until_ready()
            print("ready", flush=True)
            lag.start()

            # SIGUSR1: the measured window begins; forget the warm-up's samples.
            def window() -> None:
                lag.samples.clear()
                for samples in waits.values():
                    samples.clear()
                callers.clear()

            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, window)
            await _until_terminated()
            db: dict[str, Any] = {k: summary_ms(v) for k, v in waits.items() if v}
            top = sorted(callers.items(), key=lambda kv: -kv[1][0])[:6]
            db["top_takers"] = {k: {"n": n, "wait_s": round(w, 1)} for k, (n, w) in top}
            report = {"loop_lag": lag.stop(), "db_lock": db, "interactions": marks}
            await asyncio.to_thread(Path(args.report).write_text, json.dumps(report))
            await bot.close()
            with contextlib.suppress(Exception):
                await runner


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    sim = sub.add_parser("sim")
    sim.add_argument("--speed", type=float, default=1.0)
    sim.add_argument("--concurrency", type=int, default=100_000)
    bot = sub.add_parser("bot")
    for name in ("--api", "--gateway", "--sim", "--db", "--log", "--report"):
        bot.add_argument(name, required=True)
    bot.add_argument("--profile", help="write cProfile stats of the bot's process here")
    bot.add_argument("--trace-db", action="store_true", help="time the database lock")
    args = parser.parse_args(argv)
    serve = _serve_sim if args.what == "sim" else _serve_bot
    if getattr(args, "profile", None):
        import cProfile

        with cProfile.Profile() as prof:
            asyncio.run(serve(args))
        prof.dump_stats(args.profile)
    else:
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
