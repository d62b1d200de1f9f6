"""The jobs table: one row per bot job, its state machine enforced by compare-and-set."""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Unpack

from sqlalchemy import ColumnElement, RowMapping, and_, bindparam, not_, or_, select, update

from bot.db import sql
from bot.db.codec import check_names, dumps, loads_list, loads_object
from bot.db.errors import NotFound
from bot.db.records import ChargeState, JobChanges, JobRecord, JobStatus
from bot.db.schema import jobs

if TYPE_CHECKING:
    from bot.db.connection import Database

log = logging.getLogger(__name__)

COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(JobRecord))
# Set by the repository, never by callers.
_AUTOMATIC = frozenset({"id", "created_at", "updated_at"})
EDITABLE: frozenset[str] = frozenset(COLUMNS) - _AUTOMATIC
_ALL = tuple(jobs.c[name] for name in COLUMNS)
c = jobs.c
# The same list as the partial index jobs_due's (schema.ACTIVE), so both engines use it.
PENDING_VALUES = ("reserved", "submitted", "queued", "running", "modal")
PENDING: ColumnElement[bool] = c.status.in_(PENDING_VALUES)
TRACKED = and_(PENDING, c.task_id.is_not(None))


def _encode(name: str, value: Any) -> Any:
    """Check one field's value and turn it into its column value."""
    if name == "status":
        return JobStatus(value).value
    if name == "charge_state":
        return ChargeState(value).value
    if name == "private":
        if not isinstance(value, bool):
            raise ValueError("private must be a bool")
        return int(value)
    if name == "progress":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise ValueError(f"progress must be an int in 0..100, not {value!r}")
        return value
    if name == "buttons":
        if isinstance(value, str | bytes | Mapping) or not all(
            isinstance(b, Mapping) for b in value
        ):
            raise ValueError("buttons must be a list of objects")
        return dumps([dict(b) for b in value])
    if name == "meta":
        if not isinstance(value, Mapping):
            raise ValueError("meta must be an object")
        return dumps(dict(value))
    if name == "task_id" and value is not None:
        return str(value)  # upstream sometimes sends ids as JSON numbers
    return value


def _decode(row: RowMapping) -> JobRecord:
    values = {name: row[name] for name in COLUMNS}
    values["status"] = JobStatus(values["status"])
    values["charge_state"] = ChargeState(values["charge_state"])
    values["private"] = bool(values["private"])
    values["buttons"] = tuple(b for b in loads_list(values["buttons"]) if isinstance(b, dict))
    values["meta"] = loads_object(values["meta"])
    return JobRecord(**values)


def claimable(owner: str, now: float) -> ColumnElement[bool]:
    """Jobs the process `owner` may work on: its own, never leased, or leased by a process
    that stopped renewing (bot/db/leases.py)."""
    return or_(c.lease_owner == owner, c.lease_until.is_(None), c.lease_until < now)


def _encode_all(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _encode(name, value) for name, value in values.items()}


def _in(values: Iterable[JobStatus]) -> list[str]:
    return [JobStatus(s).value for s in values]


# The hot statements, built once: SQLAlchemy then reuses their cache keys and compiled SQL
# (building one with 34 columns and its key each time costs ~80 µs of the event loop).
_BY_ID = select(*_ALL).where(c.id == bindparam("job_id"))
_BY_TASK = select(*_ALL).where(c.task_id == bindparam("task_id"))
_INSERT = jobs.insert().returning(*_ALL)


@functools.cache
def _update(names: tuple[str, ...], checked: bool) -> Any:
    """UPDATE of these columns (parameters "v_<name>") by id, and with `checked` only from
    the statuses in "statuses"; one statement per combination of columns."""
    statement = update(jobs).where(c.id == bindparam("job_id"))
    if checked:
        statement = statement.where(c.status.in_(bindparam("statuses", expanding=True)))
    values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in names}
    return statement.values(values).returning(*_ALL)


def _delivered(job: JobRecord) -> bool:
    """Whether the job's final render landed: meta.delivered holds the status whose render
    landed (True: an older bot's mark for any final status)."""
    mark = job.meta.get("delivered")
    return mark == job.status.value or mark is True or mark == 1


class JobsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        kind: str,
        action: str = "",
        prompt: str = "",
        status: JobStatus = JobStatus.RESERVED,
        mode: str = "fast",
        parent_id: int | None = None,
        button_index: int | None = None,
        task_id: str | None = None,
        private: bool = False,
        cost: int = 0,
        next_poll_at: float | None = None,
        deadline_at: float | None = None,
        interaction_token: str | None = None,
        interaction_expires_at: float | None = None,
        message_id: int | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> JobRecord:
        now = self._db.now()
        values = _encode_all(
            {
                "guild_id": guild_id,
                "channel_id": channel_id,
                "user_id": user_id,
                "kind": kind,
                "action": action,
                "prompt": prompt,
                "status": status,
                "mode": mode,
                "parent_id": parent_id,
                "button_index": button_index,
                "task_id": task_id,
                "private": private,
                "cost": cost,
                "next_poll_at": now if next_poll_at is None else next_poll_at,
                "deadline_at": deadline_at,
                "interaction_token": interaction_token,
                "interaction_expires_at": interaction_expires_at,
                "message_id": message_id,
                "meta": meta or {},
                "created_at": now,
                "updated_at": now,
            }
        )
        # Leased to this process, which polls it (bot/db/leases.py).
        values |= {"lease_owner": self._db.owner, "lease_until": now + self._db.lease_seconds}
        async with self._db._write() as conn:
            found = await sql.row(conn, _INSERT, values)
        assert found is not None
        job = _decode(found)
        log.debug("job %d created (%s, %s)", job.id, job.kind, job.status)
        return job

    async def get(self, job_id: int) -> JobRecord | None:
        async with self._db._read() as conn:
            found = await sql.row(conn, _BY_ID, {"job_id": job_id})
        return _decode(found) if found is not None else None

    async def get_by_task(self, task_id: str) -> JobRecord | None:
        async with self._db._read() as conn:
            found = await sql.row(conn, _BY_TASK, {"task_id": str(task_id)})
        return _decode(found) if found is not None else None

    async def update(self, job_id: int, /, **fields: Unpack[JobChanges]) -> JobRecord:
        """Set fields unconditionally. Status changes belong to `transition`."""
        check_names(fields, EDITABLE, "job")
        job = await self._set(job_id, dict(fields), None)
        if job is None:
            raise NotFound(f"job {job_id} does not exist")
        return job

    async def transition(
        self,
        job_id: int,
        /,
        *,
        from_statuses: Collection[JobStatus],
        to: JobStatus,
        **fields: Unpack[JobChanges],
    ) -> JobRecord | None:
        """Move to `to` (and set `fields`) only if the status is one of `from_statuses`.

        One UPDATE … WHERE status IN (…): of any number of concurrent callers, only those
        that still see an allowed status win, so a state is entered exactly once and a late
        or replayed update cannot move a job backwards. None means "not applied"."""
        if "status" in fields:
            raise ValueError("pass the new status as `to`, not as a field")
        if not from_statuses:
            raise ValueError("from_statuses must not be empty")
        check_names(fields, EDITABLE, "job")
        values: dict[str, Any] = dict(fields)
        values["status"] = JobStatus(to)
        if values["status"].is_terminal and "finished_at" not in values:
            values["finished_at"] = self._db.now()
        job = await self._set(job_id, values, from_statuses)
        if job is None:
            log.debug("job %d: transition to %s refused", job_id, to)
        return job

    async def _set(
        self, job_id: int, values: dict[str, Any], from_statuses: Collection[JobStatus] | None
    ) -> JobRecord | None:
        encoded = _encode_all(values)
        encoded["updated_at"] = self._db.now()
        params = {f"v_{name}": value for name, value in encoded.items()} | {"job_id": job_id}
        if from_statuses is not None:
            params["statuses"] = _in(from_statuses)
        statement = _update(tuple(encoded), from_statuses is not None)
        async with self._db._write() as conn:
            found = await sql.row(conn, statement, params)
        return _decode(found) if found is not None else None

    async def overdue(self, now: float, limit: int = 500) -> list[JobRecord]:
        """Unfinished jobs past their deadline, and submits still without a task id whose
        outcome is being reconciled (the service checks their grace)."""
        late = and_(c.deadline_at.is_not(None), c.deadline_at < now)
        unknown = and_(c.task_id.is_(None), c.status != "reserved")
        return await self._select(and_(PENDING, or_(late, unknown)), order=(c.id,), limit=limit)

    async def attach_message(self, job_id: int, message_id: int) -> bool:
        """Make `message_id` the job's message unless it already has another: the command
        that posts it and the presenter's fallback post may race, and only one message may
        win. True also when it already is this message (a post both sides ended up sharing)."""
        statement = (
            update(jobs)
            .where(c.id == job_id, or_(c.message_id.is_(None), c.message_id == message_id))
            .values(message_id=message_id, updated_at=self._db.now())
        )
        async with self._db._write() as conn:
            return await sql.count(conn, statement) == 1

    async def merge_meta(self, job_id: int, updates: Mapping[str, Any]) -> JobRecord | None:
        """Set some keys of `meta`, the row locked from read to write, so concurrent writers
        of other keys (presenter, tracker, clicks; any process) never overwrite each other's
        flags."""
        async with self._db._write() as conn:
            current = await conn.scalar(
                select(c.meta).where(c.id == job_id).with_for_update()  # SQLite: the writer
            )
            if current is None:
                return None
            meta = loads_object(current) | dict(updates)
            statement = (
                update(jobs)
                .where(c.id == job_id)
                .values(meta=dumps(meta), updated_at=self._db.now())
                .returning(*_ALL)
            )
            found = await sql.row(conn, statement)
        return _decode(found) if found is not None else None

    async def undelivered(self, since: float, limit: int = 500) -> list[JobRecord]:
        """Finished jobs with a message whose final render never landed (crash, Discord
        error): what the presenter sweeps at start. Only this process's jobs, and those of
        processes that stopped: another live process delivers its own."""
        found: list[JobRecord] = []
        after = 0
        mine = claimable(self._db.owner, self._db.now())
        while len(found) < limit:  # the mark is in meta's JSON: read finished jobs by pages
            page = await self._select(
                and_(not_(PENDING), c.finished_at >= since, c.id > after, mine),
                order=(c.id,),
                limit=500,
            )
            if not page:
                break
            found += [job for job in page if not _delivered(job)]
            after = page[-1].id
        return found[:limit]

    async def reschedule(self, job_ids: Collection[int], at: float) -> None:
        """Set the next poll of many jobs in one statement (the tracker's round)."""
        if not job_ids:
            return
        async with self._db._write() as conn:
            await conn.execute(update(jobs).where(c.id.in_(list(job_ids))).values(next_poll_at=at))

    async def list_for_user(
        self, guild_id: int | None, user_id: int, *, active_only: bool = False, limit: int = 25
    ) -> list[JobRecord]:
        """A user's jobs in one guild (None: DMs), newest first."""
        where = and_(c.guild_id.is_not_distinct_from(guild_id), c.user_id == user_id)
        if active_only:
            where = and_(where, PENDING)
        return await self._select(where, order=(c.id.desc(),), limit=limit)

    async def children(self, parent_id: int) -> list[JobRecord]:
        return await self._select(c.parent_id == parent_id, order=(c.id,))

    async def _select(
        self, where: ColumnElement[bool], *, order: tuple[Any, ...] = (), limit: int | None = None
    ) -> list[JobRecord]:
        statement = select(*_ALL).where(where).order_by(*order).limit(limit)
        async with self._db._read() as conn:
            found = await sql.rows(conn, statement)
        return [_decode(r) for r in found]
