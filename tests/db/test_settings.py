from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.db import ClickPolicy, Database, GuildSettings, NsfwPolicy, UserSettings
from bot.db.schema import guild_settings
from tests.db.conftest import FakeClock


async def test_guild_defaults_without_a_row(db: Database) -> None:
    settings = await db.guilds.get(10)
    assert settings == GuildSettings(guild_id=10)
    assert settings.click_policy is ClickPolicy.OWNER_AND_MODS
    assert settings.allowed_channel_ids == ()
    assert settings.daily_quota_per_user is None
    assert settings.api_key_encrypted is None


async def test_guild_updates_round_trip_and_store_only_changes(db: Database) -> None:
    updated = await db.guilds.update(
        10,
        allowed_channel_ids=[5, 6, 5],
        click_policy="owner",
        banned_words=[" gore ", "", "gore", "blood"],
        daily_quota_per_user=20,
        nsfw_policy=NsfwPolicy.BLOCK,
    )
    assert updated.allowed_channel_ids == (5, 6)
    assert updated.click_policy is ClickPolicy.OWNER
    assert updated.banned_words == ("gore", "blood")
    assert updated.nsfw_policy is NsfwPolicy.BLOCK
    assert await db.guilds.get(10) == updated
    assert await db.guilds.get(11) == GuildSettings(guild_id=11)
    async with db._read() as conn:
        data = await conn.scalar(
            select(guild_settings.c.data).where(guild_settings.c.guild_id == 10)
        )
    stored = json.loads(data)
    assert set(stored) == {
        "allowed_channel_ids",
        "click_policy",
        "banned_words",
        "daily_quota_per_user",
        "nsfw_policy",
    }
    again = await db.guilds.update(10, max_repeat=4)
    assert (again.max_repeat, again.click_policy) == (4, ClickPolicy.OWNER)


@pytest.mark.parametrize(
    "fields",
    [
        {"colour": "red"},
        {"guild_id": 11},
        {"api_key_encrypted": b"x"},
        {"click_policy": "everyone"},
        {"daily_quota_per_user": -1},
        {"daily_quota_per_user": True},
        {"max_repeat": 0},
        {"allowed_channel_ids": "123"},
        {"banned_words": [1]},
        {"default_mode": "warp"},
        {"relax_enabled": "yes"},
    ],
)
async def test_invalid_guild_updates_change_nothing(db: Database, fields: dict[str, Any]) -> None:
    await db.guilds.update(10, monthly_budget=100)
    with pytest.raises(ValueError):
        await db.guilds.update(10, **fields)
    assert await db.guilds.get(10) == GuildSettings(guild_id=10, monthly_budget=100)


async def test_reset_returns_settings_to_their_defaults(db: Database) -> None:
    await db.guilds.update(10, monthly_budget=100, max_repeat=3, relax_enabled=True)
    settings = await db.guilds.reset(10, "monthly_budget")
    assert (settings.monthly_budget, settings.max_repeat) == (None, 3)
    assert await db.guilds.reset(10) == GuildSettings(guild_id=10)
    with pytest.raises(ValueError):
        await db.guilds.reset(10, "nonsense")


async def test_a_corrupt_stored_value_falls_back_to_its_default(db: Database) -> None:
    await db.guilds.update(10, max_repeat=3)
    data = json.dumps({"max_repeat": 3, "click_policy": "bogus", "removed_setting": 1})
    async with db._write() as conn:
        await conn.execute(
            update(guild_settings).where(guild_settings.c.guild_id == 10).values(data=data)
        )
    settings = await db.guilds.get(10)
    assert (settings.max_repeat, settings.click_policy) == (3, ClickPolicy.OWNER_AND_MODS)


async def test_the_api_key_ciphertext_has_its_own_setter(db: Database) -> None:
    await db.guilds.set_api_key_ciphertext(10, b"\x00cipher\xff")
    await db.guilds.update(10, default_mode="turbo")
    settings = await db.guilds.get(10)
    assert settings.api_key_encrypted == b"\x00cipher\xff"
    assert settings.default_mode == "turbo"
    assert "cipher" not in repr(settings)
    await db.guilds.set_api_key_ciphertext(10, None)
    assert (await db.guilds.get(10)).api_key_encrypted is None
    assert (await db.guilds.get(10)).default_mode == "turbo"
    with pytest.raises(ValueError):
        await db.guilds.set_api_key_ciphertext(10, "plain text")  # type: ignore[arg-type]


async def test_bans(db: Database) -> None:
    assert await db.guilds.ban(10, 30, actor_id=1, reason="spam") is True
    assert await db.guilds.ban(10, 30, actor_id=1) is False
    await db.guilds.ban(10, 31, actor_id=1)
    assert await db.guilds.is_banned(10, 30)
    assert not await db.guilds.is_banned(11, 30)
    assert await db.guilds.bans(10) == [30, 31]
    assert await db.guilds.unban(10, 30) is True
    assert await db.guilds.unban(10, 30) is False
    assert await db.guilds.bans(10) == [31]


async def test_bans_end_by_themselves(db: Database, clock: FakeClock) -> None:
    assert await db.guilds.ban(10, 30, actor_id=1, reason="spam", expires_at=clock.now + 60)
    record = await db.guilds.ban_of(10, 30)
    assert record is not None
    assert (record.actor_id, record.reason, record.created_at, record.expires_at) == (
        1,
        "spam",
        clock.now,
        clock.now + 60,
    )
    clock.advance(61)
    assert not await db.guilds.is_banned(10, 30)
    assert await db.guilds.ban_records(10) == []
    assert await db.guilds.unban(10, 30) is False  # it had ended
    assert await db.guilds.ban(10, 30, actor_id=2) is True  # a new ban, without an end
    assert await db.guilds.is_banned(10, 30)


async def test_guilds_with_an_api_key(db: Database) -> None:
    await db.guilds.set_api_key_ciphertext(12, b"k")
    await db.guilds.set_api_key_ciphertext(11, b"k")
    await db.guilds.update(13, max_repeat=2)
    assert await db.guilds.with_api_key() == [11, 12]
    await db.guilds.set_api_key_ciphertext(12, None)
    assert await db.guilds.with_api_key() == [11]


async def test_updates_from_two_processes_keep_both_changes(
    db: Database, db_path: Path | str, clock: FakeClock
) -> None:
    # Each update reads the stored JSON, then writes it back: the two must not interleave.
    async with await Database.open(db_path, clock=clock) as other:
        await asyncio.gather(
            *(db.guilds.update(10, max_repeat=n) for n in range(1, 6)),
            *(other.guilds.update(10, cooldown_seconds=n) for n in range(1, 6)),
            *(db.users.update(30, stylize=n) for n in range(1, 6)),
            *(other.users.update(30, suffix=str(n)) for n in range(1, 6)),
            *(db.channels.update(10, 20, version=str(n)) for n in range(1, 6)),
            *(other.channels.update(10, 20, suffix=str(n)) for n in range(1, 6)),
        )
    assert await db.guilds.changed(10) == {"max_repeat", "cooldown_seconds"}
    user = await db.users.get(30)
    assert (user.stylize is not None, user.suffix != "") == (True, True)
    assert [names for _, names in await db.channels.changed(10)] == [{"version", "suffix"}]


async def test_channel_settings(db: Database) -> None:
    assert (await db.channels.get(10, 20)).mode is None
    updated = await db.channels.update(10, 20, mode="relax", aspect="16:9", suffix=" --q 2 ")
    assert (updated.mode, updated.aspect, updated.suffix) == ("relax", "16:9", "--q 2")
    await db.channels.update(10, 21, monthly_budget=50)
    assert await db.channels.get(10, 20) == updated
    assert (await db.channels.get(11, 20)).mode is None  # the channel of another guild
    changed = await db.channels.changed(10)
    assert [(s.channel_id, names) for s, names in changed] == [
        (20, {"mode", "aspect", "suffix"}),
        (21, {"monthly_budget"}),
    ]
    with pytest.raises(ValueError):
        await db.channels.update(10, 20, aspect="wide")
    assert (await db.channels.reset(10, 20, "mode")).aspect == "16:9"
    assert (await db.channels.reset(10, 20)).aspect is None
    assert [s.channel_id for s, _ in await db.channels.changed(10)] == [21]


async def test_a_budget_alert_is_recorded_once(db: Database) -> None:
    assert await db.channels.alert_once(10, "guild", "2026-12", 80) is True
    assert await db.channels.alert_once(10, "guild", "2026-12", 80) is False
    assert await db.channels.alert_once(10, "guild", "2026-12", 100) is True
    assert await db.channels.alert_once(10, "channel:20", "2026-12", 80) is True
    assert await db.channels.alert_once(10, "guild", "2027-01", 80) is True


async def test_user_settings(db: Database) -> None:
    assert await db.users.get(30) == UserSettings(user_id=30)
    assert (await db.users.get(30)).remix is False
    updated = await db.users.update(30, remix=True, default_mode="relax")
    assert (updated.remix, updated.default_mode, updated.private) == (True, "relax", False)
    assert await db.users.get(30) == updated
    assert await db.users.get(31) == UserSettings(user_id=31)
    with pytest.raises(ValueError):
        await db.users.update(30, remix="true")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await db.users.update(30, user_id=31)  # type: ignore[call-arg]


async def test_audit_log(db: Database, clock: FakeClock) -> None:
    first = await db.audit.log(10, 1, "settings.update", {"field": "max_repeat"}, allowed=True)
    clock.advance(1)
    await db.audit.log(10, 2, "settings.update", {"field": "api_key"}, allowed=False)
    await db.audit.log(None, 2, "settings.update", {}, allowed=False)
    assert (first.guild_id, first.detail, first.allowed, first.created_at) == (
        10,
        {"field": "max_repeat"},
        True,
        clock.now - 1,
    )
    recent = await db.audit.recent(10)
    assert [(e.actor_id, e.allowed) for e in recent] == [(2, False), (1, True)]
    assert [e.id for e in await db.audit.recent(10, limit=1)] == [recent[0].id]
    assert len(await db.audit.recent(None)) == 1
