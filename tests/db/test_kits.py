"""Style kits on SQLite and PostgreSQL: saving and replacing, case-insensitive lookups, the
autocomplete order, removal, and the table's own guard on names."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.db import Database, latest_version
from bot.db.kits import KitsRepository, StyleKit, normalise_name
from bot.db.schema import style_kits

from .conftest import FakeClock

GUILD, OTHER_GUILD, MOD = 10, 11, 30


def kit(
    name: str,
    guild_id: int = GUILD,
    *,
    params: str = "--sref 123 --stylize 250",
    suffix: str = "",
    description: str = "",
    created_by: int = MOD,
    created_at: float = 1_700_000_000.0,
) -> StyleKit:
    return StyleKit(guild_id, name, params, suffix, description, created_by, created_at)


@pytest.fixture
def kits(db: Database) -> KitsRepository:
    return KitsRepository(db)


def names(found: list[StyleKit]) -> list[str]:
    return [k.name for k in found]


async def test_the_migration_makes_a_table_without_rowid(
    sqlite_path: Path, clock: FakeClock
) -> None:
    # WITHOUT ROWID is SQLite's own storage option: there is nothing to check on PostgreSQL.
    assert latest_version() >= 8
    async with await Database.open(sqlite_path, clock=clock) as db, db._read() as conn:
        found = await conn.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'style_kits'")
        )
    assert found, "style_kits is missing"
    assert "WITHOUT ROWID" in found


async def test_put_inserts_then_replaces(kits: KitsRepository) -> None:
    assert await kits.put(kit("Noir", suffix="grainy")) is True
    assert await kits.put(kit("NOIR", params="--v 7", created_by=31, created_at=5.0)) is False
    stored = await kits.get(GUILD, "noir")
    assert stored == StyleKit(GUILD, "noir", "--v 7", "", "", 31, 5.0)
    assert await kits.count(GUILD) == 1


async def test_one_of_two_processes_saving_a_new_name_is_told_it_is_new(
    db: Database, db_path: Path | str, clock: FakeClock
) -> None:
    async with await Database.open(db_path, clock=clock) as other:
        saved = await asyncio.gather(
            *(KitsRepository(d).put(kit("noir")) for d in (db, other, db, other))
        )
    assert sorted(saved) == [False, False, False, True]


async def test_get_ignores_case_and_spacing_and_stays_in_its_guild(kits: KitsRepository) -> None:
    await kits.put(kit("film noir"))
    found = await kits.get(GUILD, "  Film   NOIR ")
    assert found is not None and found.name == "film noir"
    assert await kits.get(OTHER_GUILD, "film noir") is None
    assert await kits.get(GUILD, "film") is None


async def test_list_is_by_name_and_per_guild(kits: KitsRepository) -> None:
    for name in ("zine", "Aqua", "mono"):
        await kits.put(kit(name))
    await kits.put(kit("other", guild_id=OTHER_GUILD))
    assert names(await kits.list(GUILD)) == ["aqua", "mono", "zine"]
    assert names(await kits.list(OTHER_GUILD)) == ["other"]
    assert await kits.list(12) == []
    assert [await kits.count(g) for g in (GUILD, OTHER_GUILD, 12)] == [3, 1, 0]


async def test_search_puts_names_starting_with_the_text_first(kits: KitsRepository) -> None:
    for name in ("neon noir", "north", "film noir", "noir", "abc_def", "abcxdef", "pastel"):
        await kits.put(kit(name))
    await kits.put(kit("noir", guild_id=OTHER_GUILD))
    # Starting with "no" (by name), then containing it (by name).
    assert names(await kits.search(GUILD, "no")) == [
        "noir",
        "north",
        "film noir",
        "neon noir",
    ]
    assert names(await kits.search(GUILD, " NO ")) == names(await kits.search(GUILD, "no"))
    assert names(await kits.search(GUILD, "film  n")) == ["film noir"]
    # "_" is matched as itself, not as LIKE's any-character wildcard.
    assert names(await kits.search(GUILD, "c_d")) == ["abc_def"]
    assert names(await kits.search(GUILD, "%")) == []
    # Nothing typed yet: every kit, by name, up to the limit.
    assert names(await kits.search(GUILD, "")) == names(await kits.list(GUILD))
    assert names(await kits.search(GUILD, "", limit=2)) == ["abc_def", "abcxdef"]
    assert await kits.search(GUILD, "zzz") == []


async def test_remove(kits: KitsRepository) -> None:
    await kits.put(kit("noir"))
    await kits.put(kit("noir", guild_id=OTHER_GUILD))
    assert await kits.remove(GUILD, " NOIR") is True
    assert await kits.remove(GUILD, "noir") is False
    assert await kits.get(GUILD, "noir") is None
    assert await kits.get(OTHER_GUILD, "noir") is not None


async def test_kits_survive_a_restart(db_path: Path, clock: FakeClock) -> None:
    async with await Database.open(db_path, clock=clock) as db:
        await KitsRepository(db).put(kit("noir", suffix="grainy", description="Moody"))
    async with await Database.open(db_path, clock=clock) as db:
        found = await KitsRepository(db).get(GUILD, "Noir")
    assert found == kit("noir", suffix="grainy", description="Moody")


async def test_the_table_refuses_a_name_that_is_not_lower_cased(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db._write() as conn:
            await conn.execute(
                style_kits.insert().values(
                    guild_id=GUILD, name="Noir", created_by=MOD, created_at=0
                )
            )
    assert await KitsRepository(db).count(GUILD) == 0


def test_the_record_normalises_its_name() -> None:
    assert kit("  Film \t NOIR ").name == "film noir"
    assert normalise_name(" A  b ") == "a b"


@pytest.mark.parametrize(
    "fields",
    [
        {"name": ""},
        {"name": "x" * 33},
        {"name": "café"},
        {"name": "noir!"},
        {"params": "x" * 301},
        {"suffix": "x" * 201},
        {"description": "x" * 101},
        {"description": None},
        {"guild_id": "10"},
        {"created_by": True},
        {"created_at": float("nan")},
    ],
)
def test_the_record_refuses_a_bad_shape(fields: dict[str, object]) -> None:
    values: dict[str, object] = {"name": "noir", "guild_id": GUILD}
    values.update(fields)
    name, guild_id = values.pop("name"), values.pop("guild_id")
    with pytest.raises(ValueError):
        kit(name, guild_id, **values)  # type: ignore[arg-type]
