"""A private team server's own CometAPI key through Discord (faults.md 26): typed in a modal,
checked with CometAPI, stored encrypted (the raw key is not in the database file), used for
that server's jobs only, shown as a hint; a wrong MASTER_KEY disables it loudly and never
falls back to the bot's own key."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from bot.app import MJBot
from bot.playground.standin.server import FakeDiscord
from bot.sim import Simulator
from tests.e2e.conftest import KEY, final
from tests.e2e.test_admin import said

OPERATOR = "sk-operator-key-not-known-upstream"  # a job on it would fail visibly
MASTER = "this-deployment-master-key"


@pytest.mark.fault(26)
async def test_a_team_key_is_checked_encrypted_used_and_disabled_by_a_wrong_master_key(
    make_bot: Callable[..., MJBot],
    run_client: Callable[..., Any],
    fake_discord: FakeDiscord,
    sim: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    owner, alice = fake_discord.user("owner"), fake_discord.user("alice")
    fake_discord.add_guild("Another server", channels=("lobby",))  # no key of its own
    async with run_client(make_bot(cometapi_key=OPERATOR, master_key=MASTER)) as bot:
        assert "No key of its own" in await said(await owner.slash("admin key status"))
        opened = await owner.slash("admin key set")
        assert opened.modal is not None  # never a slash option: it would stay in history
        wrong = await owner.submit_modal(opened, {"CometAPI key": "sk-not-this-one"})
        assert "refused that key" in await said(wrong)
        opened = await owner.slash("admin key set")
        saved = await said(await owner.submit_modal(opened, {"CometAPI key": f"  {KEY}\n"}))
        assert f"sk-…{KEY[-4:]}" in saved and KEY not in saved
        status = await said(await owner.slash("admin key status"))
        assert f"sk-…{KEY[-4:]}" in status and KEY not in status

        before = len(sim.requests)
        await (await alice.slash("imagine", prompt="a team lighthouse")).wait_for_message(
            final, timeout=20
        )
        calls = [r for r in sim.requests[before:] if not r.path.startswith("/mj/image/")]
        used = {r.headers.get("Authorization") for r in calls}  # result images need no key
        assert used == {f"Bearer {KEY}"}  # the server's key, not the bot's
        # Another server's jobs stay on the bot's own key.
        before = len(sim.requests)
        elsewhere = await alice.slash("imagine", prompt="a lighthouse elsewhere", channel="lobby")
        assert "key was refused" in await said(elsewhere)  # the simulator knows only the team's
        calls = [r for r in sim.requests[before:] if not r.path.startswith("/mj/image/")]
        assert {r.headers.get("Authorization") for r in calls} == {f"Bearer {OPERATOR}"}

        raw = b"".join(p.read_bytes() for p in bot.settings.database_path.parent.glob("bot.db*"))
        assert KEY.encode() not in raw
        trail = [e.detail for e in await bot.db.audit.page(fake_discord.guild.id)]  # type: ignore[union-attr]
        assert KEY not in str(trail)

    caplog.set_level(logging.ERROR)
    async with run_client(make_bot(cometapi_key=OPERATOR, master_key="another-master")):
        before = len(sim.requests)
        refused = await alice.slash("imagine", prompt="after the master key changed")
        assert "can't be read any more" in await said(refused)
        assert len(sim.requests) == before  # nothing sent on the bot's own key
        assert any("cannot be decrypted" in r.getMessage() for r in caplog.records)
