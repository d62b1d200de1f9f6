"""The jobs table: one row per bot job, its state machine enforced by compare-and-set."""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Unpack

from bot.db.codec import check_names, dumps, loads_list, loads_object
from bot.db.errors import NotFound
from bot.db.records import ChargeState, JobChanges, JobRecord, JobStatus

if TYPE_CHECKING:
    from bot.db.connection import Database

log = logging.getLogger(__name__)

COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(JobRecord))
# Set by the repository, never by callers.
_AUTOMATIC = frozenset({"id", "created_at", "updated_at"})
EDITABLE: frozenset[str] = frozenset(COLUMNS) - _AUTOMATIC
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM jobs"
_RETURNING = f"RETURNING {', '.join(COLUMNS)}"
# Written exactly as in the partial index jobs_due, so that SQLite can use it.
PENDING_SQL = "status IN ('reserved', 'submitted', 'queued', 'running', 'modal')"
_TRACKED_SQL = f"{PENDING_SQL} AND task_id IS NOT NULL"


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


def _decode(row: sqlite3.Row) -> JobRecord:
    values = dict(zip(COLUMNS, row, strict=True))
    values["status"] = JobStatus(values["status"])
    values["charge_state"] = ChargeState(values["charge_state"])
    values["private"] = bool(values["private"])
    values["buttons"] = tuple(b for b in loads_list(values["buttons"]) if isinstance(b, dict))
    values["meta"] = loads_object(values["meta"])
    return JobRecord(**values)


def _encode_all(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _encode(name, value) for name, value in values.items()}


def _in(values: Iterable[JobStatus]) -> tuple[str, list[str]]:
    statuses = [JobStatus(s).value for s in values]
    return ", ".join("?" * len(statuses)), statuses


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
        names = ", ".join(values)
        marks = ", ".join("?" * len(values))
        sql = f"INSERT INTO jobs ({names}) VALUES ({marks}) {_RETURNING}"
        async with self._db._write() as conn:
            rows = list(await conn.execute_fetchall(sql, list(values.values())))
        job = _decode(rows[0])
        log.debug("job %d created (%s, %s)", job.id, job.kind, job.status)
        return job

    async def get(self, job_id: int) -> JobRecord | None:
        async with self._db._read() as conn:
            rows = list(await conn.execute_fetchall(f"{_SELECT} WHERE id = ?", [job_id]))
        return _decode(rows[0]) if rows else None

    async def get_by_task(self, task_id: str) -> JobRecord | None:
        async with self._db._read() as conn:
            rows = list(await conn.execute_fetchall(f"{_SELECT} WHERE task_id = ?", [str(task_id)]))
        return _decode(rows[0]) if rows else None

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
        assignments = ", ".join(f"{name} = ?" for name in encoded)
        params: list[Any] = [*encoded.values(), job_id]
        where = "id = ?"
        if from_statuses is not None:
            marks, statuses = _in(from_statuses)
            where += f" AND status IN ({marks})"
            params += statuses
        sql = f"UPDATE jobs SET {assignments} WHERE {where} {_RETURNING}"
        async with self._db._write() as conn:
            rows = list(await conn.execute_fetchall(sql, params))
        return _decode(rows[0]) if rows else None

    async def pending(self, limit: int = 1000) -> list[JobRecord]:
        """Every unfinished job, those without a task id too (a crash may have left them
        between submit and commit): what the bot resumes at start."""
        return await self._select(f"WHERE {PENDING_SQL} ORDER BY id LIMIT ?", [limit])

    async def overdue(self, now: float, limit: int = 500) -> list[JobRecord]:
        """Unfinished jobs past their deadline, and submits still without a task id whose
        outcome is being reconciled (the service checks their grace)."""
        return await self._select(
            f"WHERE {PENDING_SQL} AND ((deadline_at IS NOT NULL AND deadline_at < ?) "
            "OR (task_id IS NULL AND status != 'reserved')) ORDER BY id LIMIT ?",
            [now, limit],
        )

    async def orphans_due(self, now: float, late_since: float, limit: int = 100) -> list[JobRecord]:
        """Jobs whose submit answer was lost and whose next look-up by state is due: those
        still waiting, and those refunded as lost since `late_since` (one found is delivered)."""
        return await self._select(
            "WHERE task_id IS NULL AND next_poll_at <= ? AND (status = 'submitted' "
            "OR (status = 'timed_out' AND finished_at >= ?)) ORDER BY next_poll_at, id LIMIT ?",
            [now, late_since, limit],
        )

    async def due(
        self, now: float, limit: int = 100, *, late_since: float | None = None
    ) -> list[JobRecord]:
        """Pending jobs whose next poll is due, the most overdue first; with `late_since`,
        also jobs timed out since then (a late success is still delivered)."""
        late = (
            " OR (status = 'timed_out' AND task_id IS NOT NULL AND finished_at >= ?)"
            if late_since is not None
            else ""
        )
        params: list[Any] = [] if late_since is None else [late_since]
        return await self._select(
            f"WHERE (({_TRACKED_SQL}){late}) AND next_poll_at <= ? "
            "ORDER BY next_poll_at, id LIMIT ?",
            [*params, now, limit],
        )

    async def attach_message(self, job_id: int, message_id: int) -> bool:
        """Make `message_id` the job's message unless it already has another: the command
        that posts it and the presenter's fallback post may race, and only one message may
        win. True also when it already is this message (a post both sides ended up sharing)."""
        async with self._db._write() as conn:
            cursor = await conn.execute(
                "UPDATE jobs SET message_id = ?, updated_at = ? "
                "WHERE id = ? AND (message_id IS NULL OR message_id = ?)",
                [message_id, self._db.now(), job_id, message_id],
            )
            won = cursor.rowcount == 1
            await cursor.close()
        return won

    async def merge_meta(self, job_id: int, updates: Mapping[str, Any]) -> JobRecord | None:
        """Set some keys of `meta` in one statement, so concurrent writers of other keys
        (presenter, tracker, clicks) never overwrite each other's flags."""
        sql = (
            f"UPDATE jobs SET meta = json_patch(meta, ?), updated_at = ? WHERE id = ? {_RETURNING}"
        )
        async with self._db._write() as conn:
            rows = list(
                await conn.execute_fetchall(
                    sql, [json.dumps(dict(updates)), self._db.now(), job_id]
                )
            )
        return _decode(rows[0]) if rows else None

    async def undelivered(self, since: float, limit: int = 500) -> list[JobRecord]:
        """Finished jobs with a message whose final render never landed (crash, Discord
        error): what the presenter sweeps at start."""
        # meta.delivered holds the status whose render landed (1: an older bot's "true").
        return await self._select(
            f"WHERE NOT ({PENDING_SQL}) AND finished_at >= ? "
            "AND coalesce(json_extract(meta, '$.delivered'), '') NOT IN (status, 1) "
            "ORDER BY id LIMIT ?",
            [since, limit],
        )

    async def reschedule(self, job_ids: Collection[int], at: float) -> None:
        """Set the next poll of many jobs in one statement (the tracker's round)."""
        if not job_ids:
            return
        marks = ", ".join("?" * len(job_ids))
        async with self._db._write() as conn:
            await conn.execute(
                f"UPDATE jobs SET next_poll_at = ? WHERE id IN ({marks})", [at, *job_ids]
            )

    async def next_poll_at(self) -> float | None:
        """When the earliest pending job is due (None: none pending): the tracker's nap."""
        async with self._db._read() as conn:
            rows = list(
                await conn.execute_fetchall(
                    f"SELECT MIN(next_poll_at) FROM jobs WHERE {_TRACKED_SQL}"
                )
            )
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    async def list_for_user(
        self, guild_id: int | None, user_id: int, *, active_only: bool = False, limit: int = 25
    ) -> list[JobRecord]:
        """A user's jobs in one guild (None: DMs), newest first."""
        active = f" AND {PENDING_SQL}" if active_only else ""
        return await self._select(
            f"WHERE guild_id IS ? AND user_id = ?{active} ORDER BY id DESC LIMIT ?",
            [guild_id, user_id, limit],
        )

    async def children(self, parent_id: int) -> list[JobRecord]:
        return await self._select("WHERE parent_id = ? ORDER BY id", [parent_id])

    async def _select(self, clause: str, params: list[Any]) -> list[JobRecord]:
        async with self._db._read() as conn:
            rows = await conn.execute_fetchall(f"{_SELECT} {clause}", params)
        return [_decode(row) for row in rows]
