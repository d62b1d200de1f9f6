"""Per-channel settings (only changed values are stored) and budget alerts sent once."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Unpack

from sqlalchemy import delete, select

from bot.db import sql
from bot.db.cache import SettingsCache
from bot.db.codec import apply_overrides, check_names, dumps, jsonable, loads_object
from bot.db.schema import budget_alerts, channel_settings
from bot.db.scopes import ChannelChanges, ChannelSettings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from bot.db.connection import Database

EDITABLE: frozenset[str] = frozenset(f.name for f in dataclasses.fields(ChannelSettings)) - {
    "channel_id",
    "guild_id",
}


class ChannelsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: SettingsCache[ChannelSettings] = SettingsCache()

    async def get(self, guild_id: int, channel_id: int) -> ChannelSettings:
        cached = self._cache.get((guild_id, channel_id))
        if cached is not None:
            return cached
        async with self._db._read() as conn:
            settings, _ = await self._load(conn, guild_id, channel_id)
        self._cache.put((guild_id, channel_id), settings)
        return settings

    async def changed(self, guild_id: int) -> list[tuple[ChannelSettings, frozenset[str]]]:
        """Every channel of the guild with settings of its own, and which ones."""
        async with self._db._read() as conn:
            rows = await sql.rows(
                conn,
                select(channel_settings.c.channel_id, channel_settings.c.data)
                .where(channel_settings.c.guild_id == guild_id)
                .order_by(channel_settings.c.channel_id),
            )
        found = []
        for row in rows:
            overrides = loads_object(row["data"])
            defaults = ChannelSettings(channel_id=row["channel_id"], guild_id=guild_id)
            if overrides:
                settings = apply_overrides(defaults, overrides, EDITABLE)
                found.append((settings, frozenset(overrides)))
        return found

    async def update(
        self, guild_id: int, channel_id: int, /, **fields: Unpack[ChannelChanges]
    ) -> ChannelSettings:
        check_names(fields, EDITABLE, "channel setting")
        async with self._db._write() as conn:
            # Read-modify-write of the JSON: another process must not write in between.
            await self._db.serialize(conn, "channel_settings", channel_id)
            current, overrides = await self._load(conn, guild_id, channel_id)
            changes: dict[str, Any] = dict(fields)
            updated = dataclasses.replace(current, **changes)  # validates
            overrides.update({name: jsonable(getattr(updated, name)) for name in fields})
            await self._store(conn, guild_id, channel_id, overrides)
        self._cache.drop((guild_id, channel_id))  # and after: a read may have cached the old
        return updated

    async def reset(self, guild_id: int, channel_id: int, *names: str) -> ChannelSettings:
        check_names(names, EDITABLE, "channel setting")
        async with self._db._write() as conn:
            await self._db.serialize(conn, "channel_settings", channel_id)
            _, overrides = await self._load(conn, guild_id, channel_id)
            for name in names or list(overrides):
                overrides.pop(name, None)
            await self._store(conn, guild_id, channel_id, overrides)
            settings, _ = await self._load(conn, guild_id, channel_id)
        self._cache.drop((guild_id, channel_id))
        return settings

    async def alert_once(self, guild_id: int, scope: str, period: str, threshold: int) -> bool:
        """Record that the alert for `threshold` % of `scope`'s budget in `period` was sent;
        False when it already was (so it is sent once, whoever crosses the line)."""
        async with self._db._write() as conn:
            statement = (
                sql.insert(conn, budget_alerts)
                .values(
                    guild_id=guild_id,
                    scope=scope,
                    period=period,
                    threshold=threshold,
                    sent_at=self._db.now(),
                )
                .on_conflict_do_nothing()
            )
            return await sql.count(conn, statement) == 1

    async def _store(
        self, conn: AsyncConnection, guild_id: int, channel_id: int, data: dict[str, Any]
    ) -> None:
        self._cache.drop((guild_id, channel_id))
        if not data:
            await conn.execute(
                delete(channel_settings).where(channel_settings.c.channel_id == channel_id)
            )
            return
        statement = sql.insert(conn, channel_settings).values(
            channel_id=channel_id, guild_id=guild_id, data=dumps(data), updated_at=self._db.now()
        )
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=[channel_settings.c.channel_id],
                set_={"data": statement.excluded.data, "updated_at": statement.excluded.updated_at},
            )
        )

    async def _load(
        self, conn: AsyncConnection, guild_id: int, channel_id: int
    ) -> tuple[ChannelSettings, dict[str, Any]]:
        found = await conn.scalar(
            select(channel_settings.c.data).where(
                channel_settings.c.channel_id == channel_id,
                channel_settings.c.guild_id == guild_id,
            )
        )
        defaults = ChannelSettings(channel_id=channel_id, guild_id=guild_id)
        if found is None:
            return defaults, {}
        overrides = loads_object(found)
        return apply_overrides(defaults, overrides, EDITABLE), overrides
