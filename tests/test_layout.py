"""The house rules that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DISCORD_FREE = [
    "bot/cometapi",
    "bot/sim",
    "bot/jobs",
    "bot/db",
    "bot/imaging",
    "bot/web",
    "bot/playground/standin",
]


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", DISCORD_FREE)
def test_discord_free_packages_do_not_import_discord(package: str) -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / package).rglob("*.py"))
        if any(m == "discord" or m.startswith("discord.") for m in _imported_modules(path))
    ]
    assert offenders == [], f"discord imported in a Discord-free package: {offenders}"


def test_sql_only_in_bot_db() -> None:
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")) + sorted((ROOT / "cogs").rglob("*.py")):
        if path.is_relative_to(ROOT / "bot/db") or path.is_relative_to(ROOT / "bot/sim"):
            continue
        if "aiosqlite" in _imported_modules(path) or "sqlite3" in _imported_modules(path):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [], f"SQL outside bot/db: {offenders}"


def test_the_layout_check_would_catch_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from discord import ui\nimport os\n", encoding="utf-8")
    assert "discord" in _imported_modules(sample)
