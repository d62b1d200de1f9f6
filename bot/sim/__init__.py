"""A CometAPI Midjourney simulator (mj-protocol.md): the bot's backend when no API key is set,
and the upstream of every test. Never imports discord nor bot.cometapi.

    async with Simulator(SimConfig(key="k", speed=200)) as sim:
        sim.base_url; sim.faults.inject(Fault(kind="status", status=503)); sim.requests
        await sim.wait_for_status(task_id, "SUCCESS")
"""

from bot.sim.config import SimConfig
from bot.sim.context import RecordedRequest
from bot.sim.faults import Fault, parse_fault_spec
from bot.sim.server import Simulator
from bot.sim.tasks import SimTask

__all__ = ["Fault", "RecordedRequest", "SimConfig", "SimTask", "Simulator", "parse_fault_spec"]
