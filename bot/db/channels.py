"""Per-channel settings (only changed values are stored) and budget alerts sent once."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Unpack

from bot.db.cache import SettingsCache
from bot.db.codec import apply_overrides, check_names, dumps, jsonable, loads_object
from bot.db.scopes import ChannelChanges, ChannelSettings

if TYPE_CHECKING:
    import aiosqlite

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
            rows = await conn.execute_fetchall(
                "SELECT channel_id, data FROM channel_settings WHERE guild_id = ? "
                "ORDER BY channel_id",
                [guild_id],
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
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO budget_alerts (guild_id, scope, period, threshold, "
                "sent_at) VALUES (?, ?, ?, ?, ?)",
                [guild_id, scope, period, threshold, self._db.now()],
            )
            added = cursor.rowcount == 1
            await cursor.close()
        return added

    async def _store(
        self, conn: aiosqlite.Connection, guild_id: int, channel_id: int, data: dict[str, Any]
    ) -> None:
        self._cache.drop((guild_id, channel_id))
        if not data:
            await conn.execute("DELETE FROM channel_settings WHERE channel_id = ?", [channel_id])
            return
        await conn.execute(
            "INSERT INTO channel_settings (channel_id, guild_id, data, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET "
            "data = excluded.data, updated_at = excluded.updated_at",
            [channel_id, guild_id, dumps(data), self._db.now()],
        )

    async def _load(
        self, conn: aiosqlite.Connection, guild_id: int, channel_id: int
    ) -> tuple[ChannelSettings, dict[str, Any]]:
        rows = list(
            await conn.execute_fetchall(
                "SELECT data FROM channel_settings WHERE channel_id = ? AND guild_id = ?",
                [channel_id, guild_id],
            )
        )
        defaults = ChannelSettings(channel_id=channel_id, guild_id=guild_id)
        if not rows:
            return defaults, {}
        overrides = loads_object(rows[0]["data"])
        return apply_overrides(defaults, overrides, EDITABLE), overrides
