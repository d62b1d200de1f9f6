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
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, RowMapping, case, delete, func, select

from bot.db import sql
from bot.db.schema import style_kits

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from bot.db.connection import Database

MAX_NAME = 32
MAX_PARAMS = 300
MAX_SUFFIX = 200
MAX_DESCRIPTION = 100
# ASCII only: a Cyrillic "а" would make a kit that looks like another one but is not it.
NAME_PATTERN = re.compile(rf"[a-z0-9 _-]{{1,{MAX_NAME}}}")

# Saving a kit under an existing name replaces all of it (as INSERT OR REPLACE did).
_REPLACED = ("params", "suffix", "description", "created_by", "created_at")


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
            # "Is it new" is read before the write: another process must not save in between.
            await self._db.serialize(conn, "style_kit", kit.guild_id, kit.name)
            found = await conn.scalar(
                select(style_kits.c.name).where(*_named(kit.guild_id, kit.name))
            )
            statement = sql.insert(conn, style_kits).values(
                guild_id=kit.guild_id,
                name=kit.name,
                params=kit.params,
                suffix=kit.suffix,
                description=kit.description,
                created_by=kit.created_by,
                created_at=kit.created_at,
            )
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[style_kits.c.guild_id, style_kits.c.name],
                    set_={name: statement.excluded[name] for name in _REPLACED},
                )
            )
        return found is None

    async def get(self, guild_id: int, name: str) -> StyleKit | None:
        async with self._db._read() as conn:
            found = await sql.row(
                conn, select(style_kits).where(*_named(guild_id, normalise_name(name)))
            )
        return _decode(found) if found is not None else None

    async def search(self, guild_id: int, prefix: str, limit: int = 25) -> list[StyleKit]:
        """Kits for autocomplete: names starting with the typed text first, then names
        containing it, each group by name. LIKE with autoescape: "_" and "%" are allowed
        to be typed and must match only themselves. Names and the needle are lower-case, so
        SQLite's case-insensitive LIKE and PostgreSQL's case-sensitive one agree."""
        needle = normalise_name(prefix)
        name = style_kits.c.name
        async with self._db._read() as conn:
            found = await sql.rows(
                conn,
                select(style_kits)
                .where(style_kits.c.guild_id == guild_id, name.contains(needle, autoescape=True))
                .order_by(
                    case((name.startswith(needle, autoescape=True), 0), else_=1), _by_name(conn)
                )
                .limit(max(0, limit)),
            )
        return [_decode(row) for row in found]

    async def remove(self, guild_id: int, name: str) -> bool:
        async with self._db._write() as conn:
            statement = delete(style_kits).where(*_named(guild_id, normalise_name(name)))
            return await sql.count(conn, statement) == 1

    async def count(self, guild_id: int) -> int:
        async with self._db._read() as conn:
            found = await conn.scalar(
                select(func.count())
                .select_from(style_kits)
                .where(style_kits.c.guild_id == guild_id)
            )
        return int(found or 0)

    # Last: the name `list` would shadow the builtin in the annotations of later methods.
    async def list(self, guild_id: int) -> list[StyleKit]:
        """The guild's kits, by name."""
        async with self._db._read() as conn:
            found = await sql.rows(
                conn,
                select(style_kits)
                .where(style_kits.c.guild_id == guild_id)
                .order_by(_by_name(conn)),
            )
        return [_decode(row) for row in found]


def _named(guild_id: int, name: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (style_kits.c.guild_id == guild_id, style_kits.c.name == name)


def _by_name(conn: AsyncConnection) -> ColumnElement[str]:
    """Names in byte order, as SQLite sorts them: a PostgreSQL database in a locale such as
    en_US would sort as if spaces, "-" and "_" were not there."""
    if conn.dialect.name == "postgresql":
        return style_kits.c.name.collate("C")
    return style_kits.c.name


def _decode(row: RowMapping) -> StyleKit:
    return StyleKit(
        guild_id=row["guild_id"],
        name=row["name"],
        params=row["params"],
        suffix=row["suffix"],
        description=row["description"],
        created_by=row["created_by"],
        created_at=row["created_at"],
    )
