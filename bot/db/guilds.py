"""Per-guild settings (only changed values are stored), the guild's API key, and bans."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any, Unpack

from sqlalchemy import ColumnElement, delete, or_, select

from bot.db import sql
from bot.db.cache import SettingsCache
from bot.db.codec import apply_overrides, check_names, dumps, jsonable, loads_object
from bot.db.records import BanRecord, GuildChanges, GuildSettings
from bot.db.schema import guild_bans, guild_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from bot.db.connection import Database

log = logging.getLogger(__name__)

# The API key has its own setter (and column) so that no generic update path touches it.
EDITABLE: frozenset[str] = frozenset(f.name for f in dataclasses.fields(GuildSettings)) - {
    "guild_id",
    "api_key_encrypted",
}


class GuildsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: SettingsCache[GuildSettings] = SettingsCache()

    async def get(self, guild_id: int) -> GuildSettings:
        """The guild's settings; the declared defaults when it never changed any."""
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        async with self._db._read() as conn:
            settings, _ = await self._load(conn, guild_id)
        self._cache.put(guild_id, settings)
        return settings

    async def update(self, guild_id: int, /, **fields: Unpack[GuildChanges]) -> GuildSettings:
        """Change some settings; raises ValueError for an unknown name or an invalid value."""
        check_names(fields, EDITABLE, "guild setting")
        self._cache.drop(guild_id)
        async with self._db._write() as conn:
            # Read-modify-write of the JSON: another process must not write in between.
            await self._db.serialize(conn, "guild_settings", guild_id)
            current, overrides = await self._load(conn, guild_id)
            changes: dict[str, Any] = dict(fields)
            updated = dataclasses.replace(current, **changes)  # validates
            overrides.update({name: jsonable(getattr(updated, name)) for name in fields})
            await self._store(conn, guild_id, overrides)
        self._cache.drop(guild_id)  # and after: a read during the write may have cached the old
        log.info("guild %d settings changed: %s", guild_id, ", ".join(sorted(fields)))
        return updated

    async def reset(self, guild_id: int, *names: str) -> GuildSettings:
        """Return the named settings (all when none named) to their defaults."""
        check_names(names, EDITABLE, "guild setting")
        self._cache.drop(guild_id)
        async with self._db._write() as conn:
            await self._db.serialize(conn, "guild_settings", guild_id)
            _, overrides = await self._load(conn, guild_id)
            for name in names or list(overrides):
                overrides.pop(name, None)
            await self._store(conn, guild_id, overrides)
            settings, _ = await self._load(conn, guild_id)
        self._cache.drop(guild_id)
        return settings

    async def set_api_key_ciphertext(self, guild_id: int, ciphertext: bytes | None) -> None:
        """Store (or with None, remove) the guild's encrypted API key. Encryption, and binding
        the ciphertext to this guild, happen before: this layer never sees the key itself."""
        if ciphertext is not None and not isinstance(ciphertext, bytes):
            raise ValueError("the API key ciphertext must be bytes")
        self._cache.drop(guild_id)
        async with self._db._write() as conn:
            statement = sql.insert(conn, guild_settings).values(
                guild_id=guild_id, api_key_encrypted=ciphertext, updated_at=self._db.now()
            )
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[guild_settings.c.guild_id],
                    set_={
                        "api_key_encrypted": statement.excluded.api_key_encrypted,
                        "updated_at": statement.excluded.updated_at,
                    },
                )
            )
        log.info("guild %d API key %s", guild_id, "stored" if ciphertext else "removed")

        self._cache.drop(guild_id)

    async def with_api_key(self) -> list[int]:
        """Guilds that stored a key of their own."""
        async with self._db._read() as conn:
            found = await conn.scalars(
                select(guild_settings.c.guild_id)
                .where(guild_settings.c.api_key_encrypted.is_not(None))
                .order_by(guild_settings.c.guild_id)
            )
            return [int(guild_id) for guild_id in found]

    async def ban(
        self,
        guild_id: int,
        user_id: int,
        *,
        actor_id: int,
        reason: str = "",
        expires_at: float | None = None,
    ) -> bool:
        """Ban a user from the bot in this guild (until `expires_at`, or until unbanned);
        a new ban replaces an earlier one. False if the user was already banned."""
        async with self._db._write() as conn:
            await self._db.serialize(conn, "guild_ban", guild_id, user_id)
            was = await self._active_ban(conn, guild_id, user_id)
            statement = sql.insert(conn, guild_bans).values(
                guild_id=guild_id,
                user_id=user_id,
                actor_id=actor_id,
                reason=reason,
                created_at=self._db.now(),
                expires_at=expires_at,
            )
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[guild_bans.c.guild_id, guild_bans.c.user_id],
                    set_={
                        name: statement.excluded[name]
                        for name in ("actor_id", "reason", "created_at", "expires_at")
                    },
                )
            )
        return not was

    async def unban(self, guild_id: int, user_id: int) -> bool:
        """Lift a ban; False when there was none in force."""
        async with self._db._write() as conn:
            await self._db.serialize(conn, "guild_ban", guild_id, user_id)
            was = await self._active_ban(conn, guild_id, user_id)
            await conn.execute(
                delete(guild_bans).where(
                    guild_bans.c.guild_id == guild_id, guild_bans.c.user_id == user_id
                )
            )
        return was

    async def is_banned(self, guild_id: int, user_id: int) -> bool:
        async with self._db._read() as conn:
            return await self._active_ban(conn, guild_id, user_id)

    async def ban_of(self, guild_id: int, user_id: int) -> BanRecord | None:
        """The ban in force, if any."""
        found = [b for b in await self.ban_records(guild_id) if b.user_id == user_id]
        return found[0] if found else None

    async def bans(self, guild_id: int) -> list[int]:
        return [b.user_id for b in await self.ban_records(guild_id)]

    async def ban_records(self, guild_id: int) -> list[BanRecord]:
        """The bans in force, oldest first (ended ones are left out)."""
        async with self._db._read() as conn:
            found = await sql.rows(
                conn,
                select(guild_bans)
                .where(guild_bans.c.guild_id == guild_id, self._in_force())
                .order_by(guild_bans.c.created_at, guild_bans.c.user_id),
            )
        return [
            BanRecord(
                user_id=row["user_id"],
                actor_id=row["actor_id"],
                reason=row["reason"],
                created_at=row["created_at"],
                expires_at=row["expires_at"],
            )
            for row in found
        ]

    async def changed(self, guild_id: int) -> frozenset[str]:
        """The names of the settings this guild changed from their defaults."""
        async with self._db._read() as conn:
            _, overrides = await self._load(conn, guild_id)
        return frozenset(overrides)

    def _in_force(self) -> ColumnElement[bool]:
        expires_at = guild_bans.c.expires_at
        return or_(expires_at.is_(None), expires_at > self._db.now())

    async def _active_ban(self, conn: AsyncConnection, guild_id: int, user_id: int) -> bool:
        found = await conn.scalar(
            select(guild_bans.c.user_id).where(
                guild_bans.c.guild_id == guild_id,
                guild_bans.c.user_id == user_id,
                self._in_force(),
            )
        )
        return found is not None

    async def _store(self, conn: AsyncConnection, guild_id: int, data: dict[str, Any]) -> None:
        statement = sql.insert(conn, guild_settings).values(
            guild_id=guild_id, data=dumps(data), updated_at=self._db.now()
        )
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=[guild_settings.c.guild_id],
                set_={"data": statement.excluded.data, "updated_at": statement.excluded.updated_at},
            )
        )

    async def _load(
        self, conn: AsyncConnection, guild_id: int
    ) -> tuple[GuildSettings, dict[str, Any]]:
        found = await sql.row(
            conn,
            select(guild_settings.c.data, guild_settings.c.api_key_encrypted).where(
                guild_settings.c.guild_id == guild_id
            ),
        )
        if found is None:
            return GuildSettings(guild_id=guild_id), {}
        overrides = loads_object(found["data"])
        key = found["api_key_encrypted"]  # bytes; a memoryview from some drivers
        defaults = GuildSettings(guild_id=guild_id, api_key_encrypted=bytes(key) if key else None)
        return apply_overrides(defaults, overrides, EDITABLE), overrides
