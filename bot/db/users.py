"""Per-user settings; only changed values are stored, defaults live in records.UserSettings."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any, Unpack

from sqlalchemy import select

from bot.db import sql
from bot.db.cache import SettingsCache
from bot.db.codec import apply_overrides, check_names, dumps, jsonable, loads_object
from bot.db.records import UserChanges, UserSettings
from bot.db.schema import user_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

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
            # Read-modify-write of the JSON: another process must not write in between.
            await self._db.serialize(conn, "user_settings", user_id)
            current, overrides = await self._load(conn, user_id)
            changes: dict[str, Any] = dict(fields)
            updated = dataclasses.replace(current, **changes)  # validates
            overrides.update({name: jsonable(getattr(updated, name)) for name in fields})
            statement = sql.insert(conn, user_settings).values(
                user_id=user_id, data=dumps(overrides), updated_at=self._db.now()
            )
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[user_settings.c.user_id],
                    set_={
                        "data": statement.excluded.data,
                        "updated_at": statement.excluded.updated_at,
                    },
                )
            )
        self._cache.drop(user_id)  # and after: a read during the write may have cached the old
        return updated

    async def _load(
        self, conn: AsyncConnection, user_id: int
    ) -> tuple[UserSettings, dict[str, Any]]:
        found = await conn.scalar(
            select(user_settings.c.data).where(user_settings.c.user_id == user_id)
        )
        defaults = UserSettings(user_id=user_id)
        if found is None:
            return defaults, {}
        overrides = loads_object(found)
        return apply_overrides(defaults, overrides, EDITABLE), overrides
