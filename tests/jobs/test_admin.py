"""Admin rights are re-checked at run time on every admin action (faults.md 25): a member
whose command visibility was widened, a DM, a user install — denied, nothing changed, the
attempt audited; an allowed change is audited with its before and after."""

from __future__ import annotations

import pytest

from bot.errors import Refused
from bot.jobs.admin import Actor, AdminGate
from tests.jobs.conftest import Stack

ADMIN = Actor(user_id=1, guild_id=1, manage_guild=True, installed_in_guild=True)


async def set_budget(stack: Stack, gate: AdminGate, actor: Actor, budget: int) -> int | None:
    async def apply(guild_id: int) -> tuple[int | None, int | None]:
        before = (await stack.db.guilds.get(guild_id)).monthly_budget
        after = (await stack.db.guilds.update(guild_id, monthly_budget=budget)).monthly_budget
        return before, after

    return await gate.change(actor, "budget.set", apply, {"setting": "monthly_budget"})


@pytest.mark.fault(25)
@pytest.mark.parametrize(
    ("actor", "reason"),
    [
        (Actor(2, 1, manage_guild=False, installed_in_guild=True), "no Manage Server permission"),
        (Actor(2, None, manage_guild=True, installed_in_guild=False), "direct message"),
        (Actor(2, 1, manage_guild=True, installed_in_guild=False), "user install"),
    ],
)
async def test_admin_actions_are_denied_at_run_time_and_audited(
    stack: Stack, actor: Actor, reason: str
) -> None:
    gate = AdminGate(stack.db)
    with pytest.raises(Refused) as caught:
        await set_budget(stack, gate, actor, 5)
    assert caught.value.key == "admin.denied"
    assert (await stack.db.guilds.get(1)).monthly_budget is None  # nothing changed
    (entry,) = await stack.db.audit.recent(actor.guild_id)
    assert (entry.actor_id, entry.action, entry.allowed) == (2, "budget.set", False)
    assert entry.detail["denied"] == reason


async def test_an_allowed_change_is_audited_before_and_after(stack: Stack) -> None:
    gate = AdminGate(stack.db)
    assert await set_budget(stack, gate, ADMIN, 50) == 50
    assert await set_budget(stack, gate, ADMIN, 80) == 80
    latest, first = await stack.db.audit.recent(1)
    assert latest.allowed and (latest.detail["before"], latest.detail["after"]) == (50, 80)
    assert (first.detail["before"], first.detail["after"]) == (None, 50)
