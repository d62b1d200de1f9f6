"""Per-guild settings (only changed values are stored), the guild's API key, and bans."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any, Unpack

from bot.db.cache import SettingsCache
from bot.db.codec import apply_overrides, check_names, dumps, jsonable, loads_object
from bot.db.records import BanRecord, GuildChanges, GuildSettings

if TYPE_CHECKING:
    import aiosqlite

    from bot.db.connection import Database

log = logging.getLogger(__name__)

# The API key has its own setter (and column) so that no generic update path touches it.
EDITABLE: frozenset[str] = frozenset(f.name for f in dataclasses.fields(GuildSettings)) - {
    "guild_id",
    "api_key_encrypted",
}

_UPSERT_DATA = (
    "INSERT INTO guild_settings (guild_id, data, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT (guild_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"
)


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
            current, overrides = await self._load(conn, guild_id)
            changes: dict[str, Any] = dict(fields)
            updated = dataclasses.replace(current, **changes)  # validates
            overrides.update({name: jsonable(getattr(updated, name)) for name in fields})
            await conn.execute(_UPSERT_DATA, [guild_id, dumps(overrides), self._db.now()])
        self._cache.drop(guild_id)  # and after: a read during the write may have cached the old
        log.info("guild %d settings changed: %s", guild_id, ", ".join(sorted(fields)))
        return updated

    async def reset(self, guild_id: int, *names: str) -> GuildSettings:
        """Return the named settings (all when none named) to their defaults."""
        check_names(names, EDITABLE, "guild setting")
        self._cache.drop(guild_id)
        async with self._db._write() as conn:
            _, overrides = await self._load(conn, guild_id)
            for name in names or list(overrides):
                overrides.pop(name, None)
            await conn.execute(_UPSERT_DATA, [guild_id, dumps(overrides), self._db.now()])
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
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, api_key_encrypted, updated_at) "
                "VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                "api_key_encrypted = excluded.api_key_encrypted, updated_at = excluded.updated_at",
                [guild_id, ciphertext, self._db.now()],
            )
        log.info("guild %d API key %s", guild_id, "stored" if ciphertext else "removed")

        self._cache.drop(guild_id)

    async def with_api_key(self) -> list[int]:
        """Guilds that stored a key of their own."""
        async with self._db._read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT guild_id FROM guild_settings WHERE api_key_encrypted IS NOT NULL "
                "ORDER BY guild_id"
            )
        return [int(row[0]) for row in rows]

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
            was = await self._active_ban(conn, guild_id, user_id)
            await conn.execute(
                "INSERT INTO guild_bans (guild_id, user_id, actor_id, reason, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO "
                "UPDATE SET actor_id = excluded.actor_id, reason = excluded.reason, "
                "created_at = excluded.created_at, expires_at = excluded.expires_at",
                [guild_id, user_id, actor_id, reason, self._db.now(), expires_at],
            )
        return not was

    async def unban(self, guild_id: int, user_id: int) -> bool:
        """Lift a ban; False when there was none in force."""
        async with self._db._write() as conn:
            was = await self._active_ban(conn, guild_id, user_id)
            await conn.execute(
                "DELETE FROM guild_bans WHERE guild_id = ? AND user_id = ?", [guild_id, user_id]
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
            rows = await conn.execute_fetchall(
                "SELECT user_id, actor_id, reason, created_at, expires_at FROM guild_bans "
                "WHERE guild_id = ? AND (expires_at IS NULL OR expires_at > ?) "
                "ORDER BY created_at, user_id",
                [guild_id, self._db.now()],
            )
        return [
            BanRecord(
                user_id=row["user_id"],
                actor_id=row["actor_id"],
                reason=row["reason"],
                created_at=row["created_at"],
                expires_at=row["expires_at"],
            )
            for row in rows
        ]

    async def changed(self, guild_id: int) -> frozenset[str]:
        """The names of the settings this guild changed from their defaults."""
        async with self._db._read() as conn:
            _, overrides = await self._load(conn, guild_id)
        return frozenset(overrides)

    async def _active_ban(self, conn: aiosqlite.Connection, guild_id: int, user_id: int) -> bool:
        rows = list(
            await conn.execute_fetchall(
                "SELECT 1 FROM guild_bans WHERE guild_id = ? AND user_id = ? "
                "AND (expires_at IS NULL OR expires_at > ?)",
                [guild_id, user_id, self._db.now()],
            )
        )
        return bool(rows)

    async def _load(
        self, conn: aiosqlite.Connection, guild_id: int
    ) -> tuple[GuildSettings, dict[str, Any]]:
        rows = list(
            await conn.execute_fetchall(
                "SELECT data, api_key_encrypted FROM guild_settings WHERE guild_id = ?",
                [guild_id],
            )
        )
        if not rows:
            return GuildSettings(guild_id=guild_id), {}
        overrides = loads_object(rows[0]["data"])
        key = rows[0]["api_key_encrypted"]
        defaults = GuildSettings(guild_id=guild_id, api_key_encrypted=bytes(key) if key else None)
        return apply_overrides(defaults, overrides, EDITABLE), overrides
