"""`mjbot sim` wiring: arguments and the standalone runner."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

import pytest

from bot.sim.cli import add_sim_arguments, run_standalone


def test_arguments() -> None:
    parser = argparse.ArgumentParser()
    add_sim_arguments(parser)
    args = parser.parse_args(
        ["--port", "0", "--speed", "50", "--fault", "status:500:/mj/task:3", "--fault", "drop"]
    )
    assert (args.host, args.port, args.key, args.speed) == ("127.0.0.1", 0, "sk-sim", 50.0)
    assert args.fault == ["status:500:/mj/task:3", "drop"]
    with pytest.raises(SystemExit):
        parser.parse_args(["--fault", "bogus:1"])


class _Announced(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "simulator listening on http://127.0.0.1:" in record.getMessage():
            self.event.set()


async def test_standalone_logs_and_stops() -> None:
    announced = _Announced()
    logger = logging.getLogger("bot.sim.cli")
    logger.addHandler(announced)
    level = logger.level
    logger.setLevel(logging.INFO)
    runner = asyncio.create_task(run_standalone("127.0.0.1", 0, "k", 10.0, ["latency:0.1:/mj"]))
    try:
        async with asyncio.timeout(5):
            await announced.event.wait()
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        logger.removeHandler(announced)
        logger.setLevel(level)
