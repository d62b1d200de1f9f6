"""The process's SQLite connections: pragmas, migrations, and how writes are serialised.

Within the process, an asyncio lock gives one task at a time the writing connection, so
statements of two tasks never interleave inside each other's transactions (aiosqlite alone
would interleave them between awaits). The lock is re-entrant per task: a repository method
called inside `db.transaction()` joins that transaction (as a SAVEPOINT when it writes), and
reads inside it see its own writes. Reads outside a transaction use a second, read-only
connection: in WAL mode it reads the last committed state while the writer writes, so a
command's checks never wait behind the tracker's writes.

Across processes, writes start with BEGIN IMMEDIATE and wait up to `busy_timeout` for another
writer; a deferred transaction that upgrades from read to write could fail at once instead.
Do not start new tasks that use the database from inside a transaction: they would wait for
the lock the transaction holds.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from types import TracebackType

import aiosqlite

from bot.db.audit import AuditRepository
from bot.db.channels import ChannelsRepository
from bot.db.claims import ClaimsRepository
from bot.db.errors import DatabaseBusy
from bot.db.guilds import GuildsRepository
from bot.db.hits import HitsRepository
from bot.db.jobs import JobsRepository
from bot.db.kits import KitsRepository
from bot.db.ledger import LedgerRepository
from bot.db.migrate import Migration, migrate, schema_version
from bot.db.regions import RegionsRepository
from bot.db.schema_upgrade import LEGACY_HEAD, sqlite_engine, upgrade
from bot.db.usage import UsageRepository
from bot.db.users import UsersRepository

log = logging.getLogger(__name__)

Clock = Callable[[], float]
# Set (to 1) for work done on behalf of a Discord interaction: its reads get their own
# connection. Tasks inherit it from the task that created them.
FOREGROUND: ContextVar[int] = ContextVar("db_foreground", default=0)

DEFAULT_BUSY_TIMEOUT_MS = 5000


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


async def _enable_wal(conn: aiosqlite.Connection, path: Path, patience: float) -> None:
    # Switching a new file to WAL can fail with SQLITE_BUSY at once, without the busy handler,
    # while another process opens the same file; so retry here until the busy timeout.
    deadline = time.monotonic() + patience
    delay = 0.005
    while True:
        try:
            async with conn.execute("PRAGMA journal_mode = WAL") as cursor:
                row = await cursor.fetchone()
            break
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(f"could not switch {path} to WAL: it stayed locked") from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
    if row is None or str(row[0]).lower() != "wal":
        log.warning("SQLite refused WAL mode for %s; writers will block readers", path)


async def _upgrade_sqlite(conn: aiosqlite.Connection, path: Path, busy_timeout_ms: int) -> str:
    """The file at the Alembic head: a file of the old SQL migrations is brought to their last
    version first (schema_upgrade then stamps it)."""
    async with conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'") as cur:
        alembic = await cur.fetchone() is not None
    if not alembic and 0 < await schema_version(conn) < LEGACY_HEAD:
        await migrate(conn)
    engine = sqlite_engine(path, busy_timeout_s=busy_timeout_ms / 1000)
    try:
        return await upgrade(engine)
    finally:
        await engine.dispose()


class Database:
    """Open with `await Database.open(path)`; the repositories hang off it as attributes."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        *,
        path: Path,
        clock: Clock,
        readers: Sequence[aiosqlite.Connection] = (),
    ) -> None:
        self._conn = conn
        # Reads outside a transaction go to read-only connections (WAL lets them read while
        # the writer writes): one for work on behalf of an interaction (`foreground`), one
        # for the rest, so a member's command never queues behind the tracker and renders.
        self._readers = [(reader, asyncio.Lock()) for reader in readers]
        self.path = path
        self.clock = clock
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None
        self._in_transaction = False
        self._savepoints = 0
        # True while a transaction may be open that nobody will finish (its task was
        # cancelled mid-BEGIN/COMMIT); the next holder rolls it back first.
        self._dirty = False
        self._closed = False
        self.jobs = JobsRepository(self)
        self.claims = ClaimsRepository(self)
        self.regions = RegionsRepository(self)
        self.guilds = GuildsRepository(self)
        self.users = UsersRepository(self)
        self.ledger = LedgerRepository(self)
        self.audit = AuditRepository(self)
        self.channels = ChannelsRepository(self)
        self.hits = HitsRepository(self)
        self.usage = UsageRepository(self)
        self.kits = KitsRepository(self)
        self._instance: str | None = None

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        clock: Clock = time.time,
        migrations: Sequence[Migration] | None = None,
    ) -> Database:
        """Open (creating the file and its directory) and migrate to the latest schema."""
        if busy_timeout_ms < 0:
            raise ValueError("busy_timeout_ms must be ≥ 0")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: the sqlite3 module must not open transactions behind our back.
        conn = await aiosqlite.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
        try:
            conn.row_factory = sqlite3.Row
            # busy_timeout first: switching to WAL itself needs the lock.
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await _enable_wal(conn, path, busy_timeout_ms / 1000)
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            if migrations is None:
                version: int | str = await _upgrade_sqlite(conn, path, busy_timeout_ms)
            else:  # the old numbered SQL files only (their own tests)
                version = await migrate(conn, migrations)
        except BaseException:
            await conn.close()
            raise
        readers: list[aiosqlite.Connection] = []
        try:
            for _ in range(2):  # background, foreground
                reader = await aiosqlite.connect(
                    path, isolation_level=None, timeout=busy_timeout_ms / 1000
                )
                readers.append(reader)
                reader.row_factory = sqlite3.Row
                await reader.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
                await reader.execute("PRAGMA query_only = ON")
        except BaseException:
            for opened in (conn, *readers):
                await opened.close()
            raise
        log.info("database %s open at schema version %s", path, version)
        return cls(conn, path=path, clock=clock, readers=readers)

    async def close(self) -> None:
        if self._closed:
            return
        async with self._lock:  # let the operations in flight finish first
            self._closed = True
            try:
                await self._conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                log.debug("PRAGMA optimize failed on close", exc_info=True)
            await self._conn.close()
            for reader, lock in self._readers:
                async with lock:
                    await reader.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def now(self) -> float:
        return self.clock()

    async def instance(self) -> str:
        """This deployment's tag (migration 0005), read once: it prefixes the `state` of
        every submit so that no other deployment's task is ever taken for one of ours."""
        if self._instance is None:
            async with self._read() as conn:
                rows = list(
                    await conn.execute_fetchall(
                        "SELECT value FROM bot_state WHERE key = 'instance'"
                    )
                )
            self._instance = str(rows[0][0]) if rows else "local"
        return self._instance

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Run several repository calls atomically (BEGIN IMMEDIATE … COMMIT, or ROLLBACK)."""
        async with self._write():
            yield

    # --- for the repositories of this package --------------------------------------------

    @asynccontextmanager
    async def _hold(self) -> AsyncIterator[None]:
        """Give the current task the connection (at once if it already has it)."""
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            yield
            return
        async with self._lock:
            self._owner = task
            try:
                if self._dirty:
                    await self._conn.rollback()  # runs after the orphaned statement: same queue
                    self._dirty = False
                yield
            finally:
                self._owner = None

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        task = asyncio.current_task()
        if not self._readers or (task is not None and self._owner is task):
            async with self._hold():  # inside this task's transaction: see its own writes
                yield self._conn
            return
        reader, lock = self._readers[min(FOREGROUND.get(), len(self._readers) - 1)]
        async with lock:
            yield reader

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._hold():
            if self._in_transaction:
                async with self._savepoint():
                    yield self._conn
                return
            self._dirty = True
            await self._begin()
            self._in_transaction = True
            try:
                yield self._conn
            except BaseException:
                await self._conn.rollback()
                self._dirty = False
                raise
            finally:
                self._in_transaction = False
            await self._conn.execute("COMMIT")
            self._dirty = False

    async def _begin(self) -> None:
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise DatabaseBusy(
                    f"the database {self.path} stayed locked by another writer"
                ) from exc
            raise

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        # A failing inner block is undone alone; the caller decides about the outer one.
        name = f"sp{self._savepoints}"
        self._savepoints += 1
        try:
            await self._conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                await self._conn.execute(f"ROLLBACK TO {name}")
                await self._conn.execute(f"RELEASE {name}")
                raise
            await self._conn.execute(f"RELEASE {name}")
        finally:
            self._savepoints -= 1
