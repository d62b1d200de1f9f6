"""`mjbot sim`: the simulator on its own, for trying the bot or another client by hand."""

from __future__ import annotations

import argparse
import asyncio
import logging

from bot.sim.config import SimConfig
from bot.sim.faults import parse_fault_spec
from bot.sim.server import Simulator

log = logging.getLogger(__name__)


def _fault(spec: str) -> str:
    try:
        parse_fault_spec(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return spec


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port (0 = any free port)")
    parser.add_argument("--key", default="sk-sim", help="the API key clients must send")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="1 = the real pace, 100 = 100x faster"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        type=_fault,
        metavar="SPEC",
        help="inject a fault, KIND[:ARG][:PATH[:TIMES]], e.g. status:500:/mj/task:3 "
        "or latency:2.0:/mj/submit (repeatable; see bot/sim/faults.py)",
    )


async def run_standalone(host: str, port: int, key: str, speed: float, faults: list[str]) -> None:
    """Serve until cancelled (Ctrl-C)."""
    config = SimConfig(key=key, host=host, port=port, speed=speed, faults=tuple(faults))
    async with Simulator(config) as sim:
        log.info(
            "simulator listening on %s (speed %s, %d fault(s))", sim.base_url, speed, len(faults)
        )
        await asyncio.Event().wait()


async def run_from_args(args: argparse.Namespace) -> None:
    await run_standalone(args.host, args.port, args.key, args.speed, list(args.fault))
