"""Bring a database to the latest schema with Alembic (bot/db/alembic), on SQLite or PostgreSQL.

The whole upgrade is one transaction that also holds the migration lock, so two processes
starting together migrate once: SQLite's BEGIN IMMEDIATE (the other waits its busy timeout),
PostgreSQL's transaction-scoped advisory lock (DDL is transactional there). A SQLite file made
by the older numbered SQL migrations (bot/db/migrations, PRAGMA user_version) is first brought
to their last version, then stamped at revision 0010, which has the same schema.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.db.errors import MigrationError

log = logging.getLogger(__name__)

BASELINE = "0010"  # the Alembic revision equal to the last SQL migration's schema
LEGACY_HEAD = 9  # PRAGMA user_version after bot/db/migrations/0009
_PG_LOCK = 0x6D6A626F74  # "mjbot": the advisory lock key of migrations


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "bot.db:alembic")
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision this code knows."""
    found = ScriptDirectory.from_config(config()).get_current_head()
    assert found is not None
    return found


def sqlite_engine(path: Path | str, *, busy_timeout_s: float = 5.0) -> AsyncEngine:
    """An engine whose transactions start with BEGIN IMMEDIATE (the write lock at once: a
    deferred transaction that upgrades to writing can fail instead of waiting)."""
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{path}", connect_args={"timeout": busy_timeout_s}
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _autocommit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver must not BEGIN behind our back
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


async def upgrade(engine: AsyncEngine, target: str = "head") -> str:
    """Migrate to `target` (the newest revision by default) and return the revision;
    MigrationError when the database is newer than this code or a step fails (nothing of
    that upgrade stays)."""
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
            return await conn.run_sync(_upgrade, target)
    except MigrationError:
        raise
    except CommandError as exc:
        raise MigrationError(f"the database's schema is unknown to this bot: {exc}") from exc


def _upgrade(conn: Connection, target: str) -> str:
    cfg = config(conn)
    current = MigrationContext.configure(conn).get_current_revision()
    scripts = ScriptDirectory.from_config(cfg)
    if current is not None and not _known(scripts, current):
        raise MigrationError(
            f"the database is at schema revision {current}, newer than this bot's "
            f"{scripts.get_current_head()}; upgrade the bot instead"
        )
    if current is None and conn.dialect.name == "sqlite":
        legacy = conn.exec_driver_sql("PRAGMA user_version").scalar() or 0
        if legacy > LEGACY_HEAD:
            raise MigrationError(f"the database is at schema version {legacy}, newer than this bot")
        if legacy == LEGACY_HEAD:
            log.info("stamping a database of the SQL migrations at revision %s", BASELINE)
            command.stamp(cfg, BASELINE)
        elif legacy:
            raise MigrationError(f"bring the database to version {LEGACY_HEAD} first")
    command.upgrade(cfg, target)
    done = MigrationContext.configure(conn).get_current_revision()
    if done != current:
        log.info("database schema migrated from %s to %s", current or "nothing", done)
    return str(done)


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False
