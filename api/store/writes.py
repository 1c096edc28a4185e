"""The hand-written hot-path statements: lock a task and its dossier, write one transition,
claim a task, each in the fewest round trips.

A transition writes up to five things: the task completed, tasks cancelled, tasks opened,
the dossier (state, status, version check) and its events. On PostgreSQL they go as one statement
(data-modifying CTEs), and a claim with its event as another; elsewhere (SQLite) as a few
plain statements. Both run inside the caller's transaction and are covered by the same API
tests, which run on both databases.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, case, exists, select, text
from sqlalchemy.engine import Row

from engine.serializer import dump_json
from processes import OPEN_TASK_STATES, EventAction, TaskState

from .database import db
from .models import Dossier, Event, Officer, Task

TASKS, DOSSIERS, EVENTS = Task.__table__, Dossier.__table__, Event.__table__
OFFICERS = Officer.__table__
TASK_COLUMNS = tuple(TASKS.c)
# Hand-written SQL names every column: `*` would tie results to the table's physical column
# order (a later ALTER TABLE appends) and would write NULL over a new column's default.
_TASK_NAMES = ", ".join(column.name for column in TASK_COLUMNS)


@dataclass
class DossierRef:
    """A dossier as a write sees it: identity, status, workflow state and version."""

    id: int
    code: str
    agency_id: int
    procedure_code: str
    procedure_version_id: int
    status: int
    version: int
    workflow_state: str
    spiff_version: str
    group_id: int | None = None
    paused_at: datetime | None = None  # awaiting a supplement since (no step may be done)


# The dossier columns a lock reads, beside the task's, as `d__<name>`.
DOSSIER_LOCK_COLUMNS = tuple(f.name for f in fields(DossierRef))


@dataclass
class StepWrite:
    """Everything one transition changes, as rows and column values ready to write."""

    at: datetime
    dossier: dict[str, Any]  # p_id, p_version and the new column values
    events: list[dict[str, Any]]
    completed: dict[str, Any] | None = None  # p_id and the completed task's new values
    cancelled: list[str] = field(default_factory=list)
    opened: list[dict[str, Any]] = field(default_factory=list)


class PortableWriter:
    """Writes with plain statements (any database SQLAlchemy speaks; SQLite runs every
    transaction as BEGIN IMMEDIATE, so writers are serialized from their first read)."""

    def lock(self, task_id: str, agency_id: int) -> Row | None:
        """Returns the task joined with its dossier's write columns (`d__` prefix), locked."""
        return (
            connection()
            .execute(_LOCK, {"p_task_id": task_id, "p_agency_id": agency_id})
            .one_or_none()
        )

    def lock_task(self, task_id: str, agency_id: int) -> Row | None:
        """Returns a task of the agency, its row locked until the transaction ends."""
        return (
            connection()
            .execute(_LOCK_TASK, {"p_task_id": task_id, "p_agency_id": agency_id})
            .one_or_none()
        )

    def apply(self, write: StepWrite) -> bool:
        """Returns False when the dossier's version moved or the task is no longer held by
        its completer; the caller then rolls back, so nothing is kept."""
        if connection().execute(_SAVE_DOSSIER, write.dossier).rowcount != 1:
            return False
        if write.completed is not None:
            if connection().execute(_COMPLETE_TASK, write.completed).rowcount != 1:
                return False
        if write.cancelled:
            connection().execute(
                _CANCEL_TASKS, {"p_ids": write.cancelled, "cancelled_at": write.at}
            )
        if write.opened:
            connection().execute(TASKS.insert(), write.opened)
        connection().execute(EVENTS.insert(), write.events)
        return True

    def claim(self, params: dict[str, Any]) -> Row | None:
        row = connection().execute(_CLAIM, params).one_or_none()
        if row is not None:
            connection().execute(
                EVENTS.insert(),
                {
                    "dossier_id": row.dossier_id,
                    "agency_id": row.agency_id,
                    "officer_id": row.assignee_id,
                    "action": EventAction.CLAIMED.value,
                    "task_id": row.id,
                    "step": row.step,
                    "at": row.claimed_at,
                    "detail": {},
                },
            )
        return row


class PostgresWriter(PortableWriter):
    """Locks, writes a step and claims, each in one statement."""

    def lock(self, task_id: str, agency_id: int) -> Row | None:
        return (
            connection()
            .execute(_PG_LOCK, {"p_task_id": task_id, "p_agency_id": agency_id})
            .one_or_none()
        )

    def apply(self, write: StepWrite) -> bool:
        batch = _BATCH.get()
        if batch is not None:
            batch.append(write)  # written with the rest of the batch, at its flush
            return True
        return self.apply_all([write])

    def apply_all(self, writes: list[StepWrite]) -> bool:
        """Writes the transitions of several dossiers in one statement; False (the caller
        rolls back) when any dossier's version moved or a completed task's holder changed."""
        if not writes:
            return True
        completed = [write.completed for write in writes if write.completed is not None]
        params = {
            "dossiers": _json(
                [
                    {
                        **{name: write.dossier[name] for name in _STEP_COLUMNS},
                        **{name: _utc(write.dossier[name]) for name in _STEP_TIMES},
                        "completed_id": (write.completed or {}).get("p_id"),
                    }
                    for write in writes
                ]
            ),
            "completed": _json(
                [
                    {
                        "p_id": task["p_id"],
                        "p_holder": task["p_holder"],
                        "completed_at": task["completed_at"],
                        "completed_by_id": task["completed_by_id"],
                        "submitted": task["submitted"],
                    }
                    for task in completed
                ]
            ),
            "cancelled": [task_id for write in writes for task_id in write.cancelled],
            "cancelled_at": [_utc(write.at) for write in writes for _ in write.cancelled],
            "opened": _json([row for write in writes for row in write.opened]),
            "events": _json([event for write in writes for event in write.events]),
        }
        return connection().execute(_PG_STEPS, params).scalar_one() == len(writes)

    def claim(self, params: dict[str, Any]) -> Row | None:
        return connection().execute(_PG_CLAIM, params).one_or_none()


_PORTABLE, _POSTGRES = PortableWriter(), PostgresWriter()
# The transitions kept for one statement while a batch is open in this context (`WriteBatch`).
_BATCH: ContextVar[list[StepWrite] | None] = ContextVar("motcua_write_batch", default=None)


class WriteBatch:
    """Within it, transitions written on PostgreSQL are kept and written together in one
    statement at `flush` (a background sweep's many dossiers: one round trip and one
    statement's overhead instead of one per dossier). Elsewhere each is written at once, as
    outside a batch. Leaving it unflushed (an exception) drops what it kept: the caller
    rolls back."""

    def __enter__(self) -> WriteBatch:
        if _BATCH.get() is not None:
            raise RuntimeError("write batches do not nest")
        self._token = _BATCH.set([])
        return self

    def __exit__(self, *exc_info: object) -> None:
        _BATCH.reset(self._token)

    def flush(self) -> bool:
        """Writes what the batch kept; False (the caller rolls back) when a dossier's version
        moved meanwhile."""
        return flush_writes()


def flush_writes() -> bool:
    """Writes the transitions the open batch kept, if any (what reads them back, such as a
    group's bookkeeping, needs them written first); False when a dossier's version moved."""
    batch = _BATCH.get()
    if not batch:
        return True
    writes = list(batch)
    batch.clear()
    return _POSTGRES.apply_all(writes)


def connection():
    """Returns the session's connection, in its transaction.

    Core statements run on it directly: the ORM's execution layer costs CPU and gives
    nothing to statements that return plain rows."""
    return db.session.connection()


def writer() -> PortableWriter:
    """Returns the writer for the database of the current session."""
    return _POSTGRES if db.session.get_bind().dialect.name == "postgresql" else _PORTABLE


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a write")
    return value


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return dump_json(value, _json_default)


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# Built once: building a statement costs more than running it on these paths.
_COMPLETE_TASK = TASKS.update().where(
    TASKS.c.id == bindparam("p_id"),
    TASKS.c.state == TaskState.CLAIMED.value,
    TASKS.c.assignee_id == bindparam("p_holder"),
)


def later_of_changed(at: datetime | None = None, *, name: str | None = None):
    """Returns the later of a time and the row's changed_at: a change that waited for another
    one to the same row is never timed before it. The time is `at` (a statement built per
    call) or the parameter `name` (a statement built once)."""
    value = bindparam(name, at, type_=TASKS.c.changed_at.type)
    return case((TASKS.c.changed_at > value, TASKS.c.changed_at), else_=value)


_CANCEL_TASKS = (
    TASKS.update()
    .where(
        TASKS.c.id.in_(bindparam("p_ids", expanding=True)),
        TASKS.c.state.in_(OPEN_TASK_STATES),
    )
    .values(
        state=TaskState.CANCELLED.value,
        completed_at=later_of_changed(name="cancelled_at"),
        changed_at=later_of_changed(name="cancelled_at"),
    )
)
_SAVE_DOSSIER = DOSSIERS.update().where(
    DOSSIERS.c.id == bindparam("p_id"), DOSSIERS.c.version == bindparam("p_version")
)
_CLAIM_AT = later_of_changed(name="claimed_at")
_CLAIM = (
    TASKS.update()
    .where(
        TASKS.c.id == bindparam("p_task_id"),
        TASKS.c.agency_id == bindparam("p_agency_id"),
        TASKS.c.state == TaskState.OPEN.value,
        TASKS.c.role.in_(bindparam("p_roles", expanding=True)),
        # An officer deactivated after their request was authenticated claims nothing.
        exists().where(OFFICERS.c.id == bindparam("assignee_id"), OFFICERS.c.active.is_(True)),
    )
    .values(
        state=TaskState.CLAIMED.value,
        assignee_id=bindparam("assignee_id"),
        assignee_username=bindparam("assignee_username"),
        claimed_at=_CLAIM_AT,
        changed_at=_CLAIM_AT,
    )
    .returning(*TASK_COLUMNS)
)

# One statement writes the transitions of one dossier or of many: the dossiers' columns, the
# tasks completed and opened and the events arrive as JSON arrays (the workflow states too:
# JSON escapes them in C, where a text array's literal would be escaped in Python), so the
# statement's text never depends on how many dossiers, tasks or events it writes. Each
# dossier is saved only at its expected version (and, when its transition completed a task,
# only if that task was still held by its completer); the caller compares the count saved
# with the count given and rolls back on a difference.
_STEP_COLUMNS = ("p_id", "p_version", "status", "workflow_state", "state_format")
_STEP_COLUMNS += ("spiff_version", "version")
_STEP_TIMES = ("next_due_at", "timer_due_at", "finished_at", "updated_at")
_PG_STEPS = text(
    f"""
    WITH d AS (
        SELECT * FROM json_to_recordset(CAST(:dossiers AS json)) AS d(
            p_id bigint, p_version integer, status smallint, workflow_state text,
            state_format varchar, spiff_version varchar, version integer,
            next_due_at timestamptz, timer_due_at timestamptz, finished_at timestamptz,
            updated_at timestamptz, completed_id varchar)
    ), done AS (
        UPDATE tasks
        SET state = 'completed', completed_at = c.completed_at, changed_at = c.completed_at,
            completed_by_id = c.completed_by_id, submitted = c.submitted
        FROM jsonb_to_recordset(CAST(:completed AS jsonb)) AS c(
            p_id varchar, p_holder integer, completed_at timestamptz, completed_by_id integer,
            submitted jsonb)
        WHERE tasks.id = c.p_id AND tasks.state = 'claimed' AND tasks.assignee_id = c.p_holder
        RETURNING tasks.id
    ), cancelled AS (
        UPDATE tasks SET state = 'cancelled',
                         completed_at = GREATEST(c.at, tasks.changed_at),
                         changed_at = GREATEST(c.at, tasks.changed_at)
        FROM unnest(CAST(:cancelled AS varchar[]), CAST(:cancelled_at AS timestamptz[]))
             AS c(id, at)
        WHERE tasks.id = c.id AND tasks.state IN ('open', 'claimed')
    ), opened AS (
        INSERT INTO tasks ({_TASK_NAMES})
        SELECT {_TASK_NAMES}
        FROM jsonb_populate_recordset(NULL::tasks, COALESCE(CAST(:opened AS jsonb), '[]'))
    ), saved AS (
        UPDATE dossiers
        SET status = d.status, workflow_state = d.workflow_state, state_format = d.state_format,
            spiff_version = d.spiff_version, next_due_at = d.next_due_at,
            timer_due_at = d.timer_due_at, finished_at = d.finished_at,
            updated_at = d.updated_at, version = d.version
        FROM d
        WHERE dossiers.id = d.p_id AND dossiers.version = d.p_version
          AND (d.completed_id IS NULL OR d.completed_id IN (SELECT id FROM done))
        RETURNING dossiers.id
    ), logged AS (
        INSERT INTO events (dossier_id, agency_id, officer_id, action, task_id, step,
                            status_before, status_after, at, detail)
        SELECT e.dossier_id, e.agency_id, e.officer_id, e.action, e.task_id, e.step,
               e.status_before, e.status_after, e.at, e.detail
        FROM ROWS FROM (jsonb_to_recordset(CAST(:events AS jsonb)) AS (
            dossier_id bigint, agency_id integer, officer_id integer, action varchar,
            task_id varchar, step varchar, status_before smallint, status_after smallint,
            at timestamptz, detail jsonb)) WITH ORDINALITY AS e(
            dossier_id, agency_id, officer_id, action, task_id, step, status_before,
            status_after, at, detail, n)
        WHERE e.dossier_id IN (SELECT id FROM saved)
        ORDER BY e.n  -- ids in the order the events were planned
    )
    SELECT count(*) FROM saved
    """
)
_PG_CLAIM = (
    text(
        f"""
        WITH claimed AS (
            UPDATE tasks
            SET state = 'claimed', assignee_id = :assignee_id,
                assignee_username = :assignee_username,
                claimed_at = GREATEST(:claimed_at, changed_at),
                changed_at = GREATEST(:claimed_at, changed_at)
            WHERE id = :p_task_id AND agency_id = :p_agency_id AND state = 'open'
              AND role = ANY(CAST(:p_roles AS varchar[]))
              AND EXISTS (SELECT 1 FROM officers WHERE id = :assignee_id AND active)
            RETURNING {_TASK_NAMES}
        ), logged AS (
            INSERT INTO events (dossier_id, agency_id, officer_id, action, task_id, step, at,
                                detail)
            SELECT dossier_id, agency_id, assignee_id, 'claimed', id, step, claimed_at,
                   '{{}}'::jsonb
            FROM claimed
        )
        SELECT {_TASK_NAMES} FROM claimed
        """
    )
    .bindparams(bindparam("claimed_at", type_=TASKS.c.claimed_at.type))
    .columns(*TASK_COLUMNS)
)

_LOCK = (
    select(*TASK_COLUMNS, *(DOSSIERS.c[name].label(f"d__{name}") for name in DOSSIER_LOCK_COLUMNS))
    .join(DOSSIERS, DOSSIERS.c.id == TASKS.c.dossier_id)
    .where(TASKS.c.id == bindparam("p_task_id"), TASKS.c.agency_id == bindparam("p_agency_id"))
    .with_for_update(of=[TASKS, DOSSIERS])
)
# The dossier row is locked before the task row, always: a step that cancels a sibling task
# holds the dossier, and a completion of that sibling must queue on the dossier, not hold the
# sibling's row while it waits (that order deadlocked).
_PG_LOCK = text(
    f"""
    WITH d AS (
        SELECT {", ".join(DOSSIER_LOCK_COLUMNS)} FROM dossiers
        WHERE id = (SELECT dossier_id FROM tasks WHERE id = :p_task_id AND agency_id = :p_agency_id)
        FOR UPDATE
    )
    SELECT {", ".join(f"tasks.{column.name}" for column in TASK_COLUMNS)},
           {", ".join(f"d.{name} AS d__{name}" for name in DOSSIER_LOCK_COLUMNS)}
    FROM d JOIN tasks ON tasks.dossier_id = d.id AND tasks.id = :p_task_id
    FOR UPDATE OF tasks
    """
).columns(*TASK_COLUMNS, *(DOSSIERS.c[name].label(f"d__{name}") for name in DOSSIER_LOCK_COLUMNS))
_LOCK_TASK = (
    select(*TASK_COLUMNS)
    .where(TASKS.c.id == bindparam("p_task_id"), TASKS.c.agency_id == bindparam("p_agency_id"))
    .with_for_update()
)
