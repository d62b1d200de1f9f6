"""Per-user settings; only changed values are stored, defaults live in records.UserSettings."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any, Unpack

from bot.db.cache import SettingsCache
from bot.db.codec import apply_overrides, check_names, dumps, jsonable, loads_object
from bot.db.records import UserChanges, UserSettings

if TYPE_CHECKING:
    import aiosqlite

    from bot.db.connection import Database

log = logging.getLogger(__name__)

EDITABLE: frozenset[str] = frozenset(f.name for f in dataclasses.fields(UserSettings)) - {"user_id"}


class UsersRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: SettingsCache[UserSettings] = SettingsCache()

    async def get(self, user_id: int) -> UserSettings:
        cached = self._cache.get(user_id)
        if cached is not None:
            return cached
        async with self._db._read() as conn:
            settings, _ = await self._load(conn, user_id)
        self._cache.put(user_id, settings)
        return settings

    async def update(self, user_id: int, /, **fields: Unpack[UserChanges]) -> UserSettings:
        """Change some settings; raises ValueError for an unknown name or an invalid value."""
        check_names(fields, EDITABLE, "user setting")
        self._cache.drop(user_id)
        async with self._db._write() as conn:
            current, overrides = await self._load(conn, user_id)
            changes: dict[str, Any] = dict(fields)
            updated = dataclasses.replace(current, **changes)  # validates
            overrides.update({name: jsonable(getattr(updated, name)) for name in fields})
            await conn.execute(
                "INSERT INTO user_settings (user_id, data, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, "
                "updated_at = excluded.updated_at",
                [user_id, dumps(overrides), self._db.now()],
            )
        self._cache.drop(user_id)  # and after: a read during the write may have cached the old
        return updated

    async def _load(
        self, conn: aiosqlite.Connection, user_id: int
    ) -> tuple[UserSettings, dict[str, Any]]:
        rows = list(
            await conn.execute_fetchall(
                "SELECT data FROM user_settings WHERE user_id = ?", [user_id]
            )
        )
        defaults = UserSettings(user_id=user_id)
        if not rows:
            return defaults, {}
        overrides = loads_object(rows[0]["data"])
        return apply_overrides(defaults, overrides, EDITABLE), overrides
