"""Style kits (migration 0008): a guild's named presets of parameters and suffix text.

Names are kept in one normal form (trimmed, inner spaces collapsed, lower-cased) computed
here, so every lookup is case-insensitive and the primary key allows one kit per name.
What a kit may contain (which parameters, no free text in them) is checked by
bot/jobs/kits.py before a kit gets here; `StyleKit` only guards the shape of a row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.db.connection import Database

MAX_NAME = 32
MAX_PARAMS = 300
MAX_SUFFIX = 200
MAX_DESCRIPTION = 100
# ASCII only: a Cyrillic "а" would make a kit that looks like another one but is not it.
NAME_PATTERN = re.compile(rf"[a-z0-9 _-]{{1,{MAX_NAME}}}")

_COLUMNS = "guild_id, name, params, suffix, description, created_by, created_at"


def normalise_name(name: str) -> str:
    """The stored form of a kit name (whatever the member typed or Discord sent)."""
    return " ".join(name.split()).lower()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class StyleKit:
    guild_id: int
    name: str  # normalised on creation: "Film  Noir " becomes "film noir"
    params: str  # "--sref 123 --stylize 250 --v 7"
    suffix: str  # plain words added after the member's text
    description: str
    created_by: int
    created_at: float

    def __post_init__(self) -> None:
        if not _is_int(self.guild_id) or not _is_int(self.created_by):
            raise ValueError("guild_id and created_by must be ids")
        if not isinstance(self.name, str):
            raise ValueError("name must be a text")
        name = normalise_name(self.name)
        if not NAME_PATTERN.fullmatch(name):
            raise ValueError(
                f"name must be 1 to {MAX_NAME} letters, digits, spaces, - or _: {self.name!r}"
            )
        object.__setattr__(self, "name", name)
        for field, limit in (
            ("params", MAX_PARAMS),
            ("suffix", MAX_SUFFIX),
            ("description", MAX_DESCRIPTION),
        ):
            value = getattr(self, field)
            if not isinstance(value, str) or len(value) > limit:
                raise ValueError(f"{field} must be a text of at most {limit} characters")
        if (
            not isinstance(self.created_at, int | float)
            or isinstance(self.created_at, bool)
            or not math.isfinite(self.created_at)
        ):
            raise ValueError("created_at must be a time in seconds")
        object.__setattr__(self, "created_at", float(self.created_at))


class KitsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, kit: StyleKit) -> bool:
        """Save the kit, replacing the guild's kit of the same name; True if it is new."""
        async with self._db._write() as conn:
            found = list(
                await conn.execute_fetchall(
                    "SELECT 1 FROM style_kits WHERE guild_id = ? AND name = ?",
                    [kit.guild_id, kit.name],
                )
            )
            await conn.execute(
                f"INSERT OR REPLACE INTO style_kits ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    kit.guild_id,
                    kit.name,
                    kit.params,
                    kit.suffix,
                    kit.description,
                    kit.created_by,
                    kit.created_at,
                ],
            )
        return not found

    async def get(self, guild_id: int, name: str) -> StyleKit | None:
        async with self._db._read() as conn:
            rows = list(
                await conn.execute_fetchall(
                    f"SELECT {_COLUMNS} FROM style_kits WHERE guild_id = ? AND name = ?",
                    [guild_id, normalise_name(name)],
                )
            )
        return _decode(rows[0]) if rows else None

    async def search(self, guild_id: int, prefix: str, limit: int = 25) -> list[StyleKit]:
        """Kits for autocomplete: names starting with the typed text first, then names
        containing it, each group by name. instr() rather than LIKE: "_" is a wildcard
        there, and it is allowed in names."""
        needle = normalise_name(prefix)
        async with self._db._read() as conn:
            rows = await conn.execute_fetchall(
                f"SELECT {_COLUMNS} FROM style_kits WHERE guild_id = ? AND instr(name, ?) > 0 "
                "ORDER BY instr(name, ?) <> 1, name LIMIT ?",
                [guild_id, needle, needle, max(0, limit)],
            )
        return [_decode(row) for row in rows]

    async def remove(self, guild_id: int, name: str) -> bool:
        async with self._db._write() as conn:
            cursor = await conn.execute(
                "DELETE FROM style_kits WHERE guild_id = ? AND name = ?",
                [guild_id, normalise_name(name)],
            )
            removed = cursor.rowcount == 1
            await cursor.close()
        return removed

    async def count(self, guild_id: int) -> int:
        async with self._db._read() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT count(*) FROM style_kits WHERE guild_id = ?", [guild_id]
                )
            )
        return int(rows[0][0])

    # Last: the name `list` would shadow the builtin in the annotations of later methods.
    async def list(self, guild_id: int) -> list[StyleKit]:
        """The guild's kits, by name."""
        async with self._db._read() as conn:
            rows = await conn.execute_fetchall(
                f"SELECT {_COLUMNS} FROM style_kits WHERE guild_id = ? ORDER BY name",
                [guild_id],
            )
        return [_decode(row) for row in rows]


def _decode(row: Any) -> StyleKit:
    return StyleKit(
        guild_id=row["guild_id"],
        name=row["name"],
        params=row["params"],
        suffix=row["suffix"],
        description=row["description"],
        created_by=row["created_by"],
        created_at=row["created_at"],
    )
