"""Guild-owned CometAPI keys (faults.md 26): checked at save, stored encrypted and bound to
their guild, never echoed; an unreadable key stops that guild's jobs loudly and is never
silently replaced by the operator's key."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cometapi.client import CometAPIPool
from bot.db import Database
from bot.db.records import JobStatus
from bot.errors import Refused
from bot.jobs.events import JobEvent, Requester
from bot.jobs.keys import GuildClients, GuildKeys, upstream_check
from bot.jobs.service import JobService
from bot.jobs.tracker import Tracker
from bot.messages import say
from bot.sim import SimConfig, Simulator
from tests.jobs.conftest import FAST

GUILD_KEY = "sk-team-key-0123456789"  # the only key the simulator accepts here
OPERATOR_KEY = "sk-operator-not-upstream"  # so a job run on it would visibly fail
MASTER = "master-key-of-this-deployment"
TEAM = Requester(user_id=11, channel_id=100, guild_id=1)
OTHER = Requester(user_id=21, channel_id=200, guild_id=2)


@dataclass
class Keyed:
    sim: Simulator
    db: Database
    pool: CometAPIPool
    keys: GuildKeys
    service: JobService
    tracker: Tracker

    def authorizations(self) -> list[str]:
        return [r.headers.get("Authorization", "") for r in self.sim.requests]


@pytest.fixture
async def keyed(tmp_path: Path) -> AsyncIterator[Keyed]:
    async with Simulator(SimConfig(key=GUILD_KEY, speed=300, first_poll_delay=0.2)) as sim:
        db = await Database.open(tmp_path / "keys.db")
        pool = CometAPIPool(sim.base_url, timeout=2.0)
        keys = GuildKeys(db, MASTER, upstream_check(pool))
        clients = GuildClients(pool, OPERATOR_KEY, keys)
        events: list[JobEvent] = []

        async def sink(event: JobEvent) -> None:
            events.append(event)

        service = JobService(db, clients, sink, FAST)
        tracker = Tracker(service, clients, idle=0.1)
        tracker.start()
        try:
            yield Keyed(sim, db, pool, keys, service, tracker)
        finally:
            await tracker.stop()
            await pool.aclose()
            await db.close()


async def refused(coro: object, key: str) -> Refused:
    with pytest.raises(Refused) as caught:
        await coro  # type: ignore[misc]
    assert caught.value.key == key
    return caught.value


@pytest.mark.fault(26)
async def test_invalid_keys_are_refused_at_save_and_never_repeated(keyed: Keyed) -> None:
    for bad in ("short", "sk-has a space", "sk-\u00e9t\u00e9-accents-99"):
        refusal = await refused(keyed.keys.save(1, bad), "key.invalid_format")
        assert bad not in say(refusal.key, **refusal.fields)
    await refused(keyed.keys.save(1, "sk-not-a-real-key-42"), "key.rejected")  # upstream 401
    assert not await keyed.keys.has_key(1)
    stored = await keyed.db.guilds.get(1)
    assert stored.api_key_encrypted is None


@pytest.mark.fault(26)
async def test_a_padded_key_is_stored_encrypted_and_used_for_that_guild_only(
    keyed: Keyed, tmp_path: Path
) -> None:
    await keyed.keys.save(1, f"  {GUILD_KEY}\n")
    blob = (await keyed.db.guilds.get(1)).api_key_encrypted
    assert blob is not None and GUILD_KEY.encode() not in blob
    assert GUILD_KEY.encode() not in (tmp_path / "keys.db").read_bytes()  # encrypted at rest
    job = await keyed.service.imagine(TEAM, "a team boat", mode="fast")
    assert job.meta["key_scope"] == 1
    await _wait(keyed, job.id, JobStatus.SUCCEEDED)
    assert f"Bearer {GUILD_KEY}" in keyed.authorizations()
    # Another guild runs on the operator's key (which this upstream refuses).
    await refused(keyed.service.imagine(OTHER, "a boat", mode="fast"), "upstream.auth")


@pytest.mark.fault(26)
async def test_a_key_copied_to_another_guild_does_not_open(keyed: Keyed) -> None:
    await keyed.keys.save(1, GUILD_KEY)
    blob = (await keyed.db.guilds.get(1)).api_key_encrypted
    await keyed.db.guilds.set_api_key_ciphertext(2, blob)  # a hand-edited row
    before = len(keyed.sim.requests)
    await refused(keyed.service.imagine(OTHER, "a stolen boat", mode="fast"), "key.unreadable")
    assert len(keyed.sim.requests) == before  # not even the operator's key was used
    assert await keyed.db.ledger.usage(2, None, since=0) == 0


@pytest.mark.fault(26)
async def test_a_wrong_master_key_disables_guild_keys_loudly(
    keyed: Keyed, caplog: pytest.LogCaptureFixture
) -> None:
    await keyed.keys.save(1, GUILD_KEY)
    wrong = GuildKeys(keyed.db, "another-master-key", upstream_check(keyed.pool))
    clients = GuildClients(keyed.pool, OPERATOR_KEY, wrong)
    service = JobService(keyed.db, clients, keyed.service.events, FAST)
    caplog.set_level(logging.ERROR, logger="bot.jobs.keys")
    before = len(keyed.sim.requests)
    for _ in range(2):
        await refused(service.imagine(TEAM, "a boat", mode="fast"), "key.unreadable")
    assert len(keyed.sim.requests) == before  # never quietly run on the operator's key
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "cannot be decrypted" in errors[0].getMessage()
    assert await wrong.unreadable([1, 2]) == [1]
    no_master = GuildKeys(keyed.db, None, upstream_check(keyed.pool))
    await refused(no_master.save(2, GUILD_KEY), "key.no_master")
    await refused(no_master.load(1), "key.unreadable")


async def _wait(keyed: Keyed, job_id: int, status: JobStatus) -> None:
    import asyncio

    for _ in range(500):
        job = await keyed.db.jobs.get(job_id)
        if job is not None and job.status == status:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} never reached {status}")
