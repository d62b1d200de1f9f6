"""The database connections, on SQLite (one process, the default) or PostgreSQL (several).

Both go through SQLAlchemy's async engines; the repositories write Core statements and never
see which engine runs them. What differs is how writers are kept apart:
- SQLite has one writing connection. An asyncio lock gives it to one task at a time (two
  tasks' statements must not interleave inside each other's transactions), and writes start
  with BEGIN IMMEDIATE, so another process waits up to `busy_timeout` rather than failing
  when a deferred transaction upgrades. Reads outside a transaction use two read-only
  connections (one for interactions, `FOREGROUND`, one for the rest): in WAL mode they read
  the last committed state while the writer writes.
- PostgreSQL takes connections from a pool; writes run concurrently, and a repository that
  reads then writes takes a transaction-scoped advisory lock (`Database.serialize`) where
  SQLite's single writer made that safe for free.

Within a task, transactions nest: a repository method called inside `db.transaction()` joins
it (as a SAVEPOINT when it writes), and its reads see the transaction's own writes. Do not
start new tasks that use the database from inside a transaction: they do not join it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite
from sqlalchemy import event, select, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.db.audit import AuditRepository
from bot.db.channels import ChannelsRepository
from bot.db.claims import ClaimsRepository
from bot.db.edits import EditsRepository
from bot.db.errors import DatabaseBusy, DatabaseClosed
from bot.db.guilds import GuildsRepository
from bot.db.hits import HitsRepository
from bot.db.jobs import JobsRepository
from bot.db.kits import KitsRepository
from bot.db.leases import LeasesRepository
from bot.db.ledger import LedgerRepository
from bot.db.migrate import migrate, schema_version
from bot.db.regions import RegionsRepository
from bot.db.schema import bot_state
from bot.db.schema_upgrade import LEGACY_HEAD, sqlite_engine, upgrade
from bot.db.url import DatabaseURL
from bot.db.usage import UsageRepository
from bot.db.users import UsersRepository

log = logging.getLogger(__name__)

Clock = Callable[[], float]
# Set (to 1) for work done on behalf of a Discord interaction: its reads get their own
# connection (SQLite). Tasks inherit it from the task that created them.
FOREGROUND: ContextVar[int] = ContextVar("db_foreground", default=0)

DUE_CHANNEL = "mjbot_due"  # the NOTIFY channel of `Database.notify`
DEFAULT_BUSY_TIMEOUT_MS = 5000
PG_POOL_SIZE = 10
# A live process renews its job leases every tracker round (at most `Tracker.idle`, 5 s,
# apart); a dead one's jobs are taken over this long after its last round.
LEASE_SECONDS = 30.0


@dataclass(frozen=True)
class _Held:
    """The transaction a task is in: its connection and the task (child tasks inherit the
    context variable, but must not share the connection)."""

    task: asyncio.Task[Any] | None
    conn: AsyncConnection


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" (another writer kept the lock past the busy timeout)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return isinstance(orig, sqlite3.OperationalError) and (
        "locked" in str(orig) or "busy" in str(orig)
    )


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
            if not is_busy(exc):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(f"could not switch {path} to WAL: it stayed locked") from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
    if row is None or str(row[0]).lower() != "wal":
        log.warning("SQLite refused WAL mode for %s; writers will block readers", path)


async def _prepare_sqlite(path: Path, busy_timeout_ms: int) -> None:
    """WAL mode, and a file of the old SQL migrations brought to their last version (then
    schema_upgrade stamps it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000) as c:
        await c.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        await _enable_wal(c, path, busy_timeout_ms / 1000)
        async with c.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'") as cur:
            alembic = await cur.fetchone() is not None
        if not alembic and 0 < await schema_version(c) < LEGACY_HEAD:
            await migrate(c)


def _keep_on_cancel(engine: AsyncEngine) -> None:
    """A task cancelled during a statement (the bot closing, a timeout) must not make
    SQLAlchemy drop its connection as broken, as it does by default. On SQLite the statement
    still completes on the driver's thread; a dropped connection is closed only later and
    keeps the write lock meanwhile, so the next BEGIN IMMEDIATE (this process's or the next
    one's) fails with "database is locked". Kept, the connection runs the ROLLBACK of
    `Database._write` right after that statement."""

    @event.listens_for(engine.sync_engine, "handle_error")
    def _not_a_disconnect(context: ExceptionContext) -> None:
        if isinstance(context.original_exception, asyncio.CancelledError):
            context.is_disconnect = False


def _sqlite_reader(path: Path, busy_timeout_ms: int) -> AsyncEngine:
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{path}",
        connect_args={"timeout": busy_timeout_ms / 1000},
        pool_size=1,
        max_overflow=0,
        pool_reset_on_return=None,  # autocommit reads: no transaction to roll back
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # each read commits by itself: no BEGIN
        dbapi_connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        dbapi_connection.execute("PRAGMA query_only = ON")

    return engine


class Database:
    """Open with `await Database.open(path or URL)`; the repositories hang off it."""

    def __init__(
        self,
        *,
        url: DatabaseURL,
        writer: AsyncEngine,
        readers: list[AsyncEngine],
        clock: Clock,
        owner: str = "main",
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.url = url
        # This process's name on the jobs it polls (bot/db/jobs.py, leases): stable across
        # its restarts, so a restarted process takes its own jobs back at once.
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.dialect = writer.dialect.name  # "sqlite" or "postgresql"
        self.path = url.path  # the SQLite file, None on PostgreSQL
        self.clock = clock
        self._writer = writer
        self._readers = readers
        self._lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._held: ContextVar[_Held | None] = ContextVar(f"db_held_{id(self)}", default=None)
        self._closed = False
        # SQLite: one connection per engine, kept open (see _borrow).
        self._kept: dict[int, tuple[AsyncConnection, asyncio.Lock]] = {}
        self._listener: AsyncConnection | None = None
        self._instance: str | None = None
        self.jobs = JobsRepository(self)
        self.leases = LeasesRepository(self)
        self.edits = EditsRepository(self)
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

    @classmethod
    async def open(
        cls,
        target: str | Path,
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        clock: Clock = time.time,
        pool_size: int = PG_POOL_SIZE,
        owner: str = "main",
        lease_seconds: float = LEASE_SECONDS,
    ) -> Database:
        """Open a SQLite file (a path or `sqlite:///…`, created with its directory) or a
        PostgreSQL database (`postgresql://…`), and migrate it to the latest schema."""
        if busy_timeout_ms < 0:
            raise ValueError("busy_timeout_ms must be ≥ 0")
        url = DatabaseURL.parse(target)
        if url.path is None:
            engine = create_async_engine(url.driver_url, pool_size=pool_size, max_overflow=0)
            try:
                revision = await upgrade(engine)
            except BaseException:
                await engine.dispose()
                raise
            log.info("database %s open at schema revision %s", url.safe, revision)
            return cls(
                url=url,
                writer=engine,
                readers=[engine],
                clock=clock,
                owner=owner,
                lease_seconds=lease_seconds,
            )
        await _prepare_sqlite(url.path, busy_timeout_ms)
        writer = sqlite_engine(url.path, busy_timeout_s=busy_timeout_ms / 1000)

        @event.listens_for(writer.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            dbapi_connection.execute("PRAGMA synchronous = NORMAL")

        readers = [_sqlite_reader(url.path, busy_timeout_ms) for _ in range(2)]
        for engine in (writer, *readers):
            _keep_on_cancel(engine)
        try:
            revision = await upgrade(writer)
        except BaseException:
            for engine in (writer, *readers):
                await engine.dispose()
            raise
        log.info("database %s open at schema revision %s", url.path, revision)
        db = cls(
            url=url,
            writer=writer,
            readers=readers,
            clock=clock,
            owner=owner,
            lease_seconds=lease_seconds,
        )
        try:
            await db._keep_connections()
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._listener is not None:
            await self._listener.close()
        async with self._lock or nullcontext():  # let the writes in flight finish first
            if self.dialect == "sqlite" and self._kept:
                try:
                    async with self._borrow(self._writer) as conn:
                        if conn.get_transaction() is not None:  # one cancelled midway
                            await conn.rollback()
                        await conn.exec_driver_sql("PRAGMA optimize")
                except Exception:  # closing goes on: only a hint for the query planner lost
                    log.debug("PRAGMA optimize failed on close", exc_info=True)
            for conn, lock in self._kept.values():
                async with lock:
                    await conn.close()
            for engine in {id(e): e for e in (self._writer, *self._readers)}.values():
                await engine.dispose()

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
        """This deployment's tag, read once: it prefixes the `state` of every submit so that
        no other deployment's task is ever taken for one of ours."""
        if self._instance is None:
            async with self._read() as conn:
                found = await conn.scalar(
                    select(bot_state.c.value).where(bot_state.c.key == "instance")
                )
            self._instance = str(found) if found is not None else "local"
        return self._instance

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """Run several repository calls atomically (COMMIT, or ROLLBACK on an exception)."""
        async with self._write() as conn:
            yield conn

    async def serialize(self, conn: AsyncConnection, *key: object) -> None:
        """Inside a write transaction: wait for, then hold until it ends, the lock named by
        `key`, in every process. A read-then-write (a quota check, a button press) is then
        safe on PostgreSQL; on SQLite the single writer already is that lock."""
        if self.dialect != "postgresql":
            return
        name = "\x1f".join(map(str, key)).encode()
        number = int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})

    async def notify(self) -> None:
        """Tell every process's tracker that a job is due now (PostgreSQL NOTIFY; a no-op on
        SQLite, where one process has all the jobs)."""
        if self.dialect != "postgresql":
            return
        async with self._write() as conn:  # delivered when this transaction commits
            await conn.execute(
                text("SELECT pg_notify(:channel, :who)"),
                {"channel": DUE_CHANNEL, "who": self.owner},
            )

    async def listen(self, wake: Callable[[], None]) -> None:
        """Call `wake` on every `notify`, from any process (PostgreSQL LISTEN on a connection
        of its own, kept until close; nothing on SQLite)."""
        if self.dialect != "postgresql" or self._listener is not None:
            return
        conn = await self._writer.connect()
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None

        def heard(*_: object) -> None:
            wake()

        await raw.add_listener(DUE_CHANNEL, heard)
        self._listener = conn

    # --- for the repositories of this package --------------------------------------------

    def _mine(self) -> AsyncConnection | None:
        held = self._held.get()
        if held is not None and held.task is asyncio.current_task():
            return held.conn
        return None

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        mine = self._mine()
        if mine is not None:  # inside this task's transaction: see its own writes
            yield mine
            return
        engine = self._readers[min(FOREGROUND.get(), len(self._readers) - 1)]
        async with self._borrow(engine) as conn:
            yield conn

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        mine = self._mine()
        if mine is not None:
            # A failing inner block is undone alone; the caller decides about the outer one.
            async with mine.begin_nested():
                yield mine
            return
        async with self._lock or nullcontext(), self._borrow(self._writer) as conn:
            if conn.get_transaction() is not None:  # an earlier holder was cancelled midway
                await conn.rollback()
            try:
                await conn.begin()
            except OperationalError as exc:
                raise self._busy(exc) from exc
            token = self._held.set(_Held(asyncio.current_task(), conn))
            try:
                yield conn
            except BaseException:
                await conn.rollback()
                raise
            finally:
                self._held.reset(token)
            await conn.commit()

    @asynccontextmanager
    async def _borrow(self, engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
        """A connection of `engine`: from the pool on PostgreSQL; on SQLite the engine's one
        connection, kept open, one task at a time (a pool checkout and its reset would cost
        two more trips to the driver's thread per statement)."""
        if self.dialect != "sqlite":
            if self._closed:  # a disposed engine would quietly open a new pool
                raise DatabaseClosed("the database has been closed")
            async with engine.connect() as pooled:
                yield pooled
            return
        conn, lock = self._kept[id(engine)]
        async with lock:
            if conn.closed:  # (writes queued before close() still ran on it)
                raise DatabaseClosed("the database has been closed")
            yield conn

    async def _keep_connections(self) -> None:
        """SQLite: open the one connection of each engine (see _borrow)."""
        for engine in (self._writer, *self._readers):
            try:
                self._kept[id(engine)] = (await engine.connect(), asyncio.Lock())
            except OperationalError as exc:
                raise self._busy(exc) from exc

    def _busy(self, exc: OperationalError) -> Exception:
        if is_busy(exc):
            return DatabaseBusy(f"the database {self.path} stayed locked by another writer")
        return exc
