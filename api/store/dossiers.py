"""Dossiers and tasks as the write path sees them: locked, sequenced, inserted, and written
with the plan of one transition, all in the caller's transaction.

Every transition goes through `write_transition`: the task and dossier rows were locked
(SELECT … FOR UPDATE on PostgreSQL; SQLite serializes writers), the workflow was restored and
acted on, and the engine planned what changes; this writes the plan. The dossier's version
column is checked by the UPDATE itself, so a lost update is impossible even where row locks
are not available.

The hot path uses SQLAlchemy Core statements built once on the mapped tables (see `writes`):
the ORM's unit of work costs more CPU than the engine step it wraps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row

from engine import TransitionPlan
from engine.serializer import SPIFF_SERIALIZER_VERSION, STATE_FORMAT
from processes import OPEN_TASK_STATES, TaskState
from processes.folding import fold

from .database import db
from .models import Agency, DossierSequence, Task
from .writes import (
    DOSSIER_LOCK_COLUMNS,
    DOSSIERS,
    EVENTS,
    TASK_COLUMNS,
    TASKS,
    DossierRef,
    StepWrite,
    connection,
    later_of_changed,
    writer,
)


@dataclass(frozen=True)
class Writer:
    """Who a write is done for: an officer (officer_id set) or the system, in an agency."""

    officer_id: int | None
    agency_id: int


@dataclass
class LockedTask:
    """A task row and its dossier, both locked."""

    task: Row
    dossier: DossierRef


def next_sequence(agency_id: int, day: date) -> int:
    """Returns the next dossier number of an agency for a day (atomic on both databases)."""
    dialect = db.session.get_bind().dialect.name
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        upsert(DossierSequence)
        .values(agency_id=agency_id, day=day, last_value=1)
        .on_conflict_do_update(
            index_elements=[DossierSequence.agency_id, DossierSequence.day],
            set_={"last_value": DossierSequence.last_value + 1},
        )
        .returning(DossierSequence.last_value)
    )
    return connection().execute(statement).scalar_one()


def lock_task_and_dossier(task_id: str, agency_id: int) -> LockedTask | None:
    """Returns a task of the agency and its dossier, both rows locked for the transaction:
    the dossier (so no other step of it runs at once), then the task (so no claim or release
    slips in). PostgreSQL re-reads both rows once the locks are granted."""
    row = writer().lock(task_id, agency_id)
    if row is None:
        return None
    values = row._mapping
    dossier = DossierRef(**{name: values[f"d__{name}"] for name in DOSSIER_LOCK_COLUMNS})
    return LockedTask(row, dossier)


def lock_task(task_id: str, agency_id: int) -> Row | None:
    """Returns a task of the agency with its row locked (claims and releases queue on it)."""
    return writer().lock_task(task_id, agency_id)


def insert_dossier(values: dict[str, Any]) -> DossierRef:
    """Returns a new dossier row (version 0, no state yet: its first transition writes it)."""
    values = {
        **values,
        "applicant_folded": fold(values["applicant_name"])[:255],
        "workflow_state": "",
        "state_format": "",
        "spiff_version": "",
        "version": 0,
    }
    new_id = (
        connection()
        .execute(DOSSIERS.insert().values(**values).returning(DOSSIERS.c.id))
        .scalar_one()
    )
    return DossierRef(
        id=new_id,
        code=values["code"],
        agency_id=values["agency_id"],
        procedure_code=values["procedure_code"],
        procedure_version_id=values["procedure_version_id"],
        status=values["status"],
        version=0,
        workflow_state="",
        spiff_version="",
        group_id=values.get("group_id"),
    )


def write_transition(
    dossier: DossierRef,
    plan: TransitionPlan,
    *,
    at: datetime,
    by: Writer,
    submitted: dict[str, Any] | None = None,
    rescheduled: dict[str, datetime] | None = None,
    calendar_version: str | None = None,
) -> list[dict[str, Any]] | None:
    """Returns the task rows the plan opened, once written; None when the dossier's version
    moved or the completed task is no longer held by its completer (the caller rolls back)."""
    write = StepWrite(
        at=at,
        dossier={
            "p_id": dossier.id,
            "p_version": dossier.version,
            "status": plan.status_after,
            "workflow_state": plan.state,
            "state_format": STATE_FORMAT,
            "spiff_version": SPIFF_SERIALIZER_VERSION,
            "next_due_at": plan.next_due_at,
            "timer_due_at": plan.timer_due_at,
            "finished_at": at if plan.finished else None,
            "updated_at": at,
            "version": dossier.version + 1,
        },
        completed=None
        if plan.completed is None
        else {
            "p_id": plan.completed,
            "p_holder": by.officer_id,
            "state": TaskState.COMPLETED.value,
            "completed_at": at,
            "changed_at": at,
            "completed_by_id": by.officer_id,
            "submitted": submitted,
        },
        cancelled=list(plan.cancelled),
        opened=[_task_row(dossier, task, at) for task in plan.opened],
        events=[
            {
                "dossier_id": dossier.id,
                "agency_id": by.agency_id,
                "officer_id": by.officer_id,
                "action": event.action,
                "task_id": event.task_id,
                "step": event.step,
                "status_before": event.status_before,
                "status_after": event.status_after,
                "at": at,
                "detail": event.detail,
            }
            for event in plan.events
        ],
    )
    if not writer().apply(write):
        return None
    if rescheduled:  # open tasks whose due date moved (a supplement's pause taken out)
        connection().execute(
            TASKS.update()
            .where(TASKS.c.id == bindparam("p_id"))
            .values(
                due_at=bindparam("p_due"),
                calendar_version=bindparam("p_version"),
                remind_at=at,  # its reminders follow the new due date
            ),
            [
                {"p_id": task_id, "p_due": due, "p_version": calendar_version}
                for task_id, due in rescheduled.items()
            ],
        )
    dossier.status, dossier.version = plan.status_after, dossier.version + 1
    return write.opened


def due_dates(task_ids: list[str]) -> dict[str, datetime]:
    """Returns the due dates of tasks by id (for workflow states that do not carry them)."""
    if not task_ids:
        return {}
    rows = connection().execute(select(TASKS.c.id, TASKS.c.due_at).where(TASKS.c.id.in_(task_ids)))
    return {task_id: due_at for task_id, due_at in rows}


def task_rows(task_ids: list[str]) -> list[dict[str, Any]]:
    """Returns task rows by id (no order)."""
    if not task_ids:
        return []
    rows = connection().execute(select(*TASK_COLUMNS).where(Task.id.in_(task_ids)))
    return [dict(row._mapping) for row in rows]


def claim(task_id: str, agency_id: int, roles, officer_id: int, username: str, at: datetime):
    """Returns the task row when this officer took it, else None; one UPDATE decides every
    race, and it claims only an open task of the caller's agency and roles."""
    return writer().claim(
        {
            "p_task_id": task_id,
            "p_agency_id": agency_id,
            "p_roles": sorted(roles),
            "assignee_id": officer_id,
            "assignee_username": username,
            "claimed_at": at,
        }
    )


def release(task_id: str, holder_id: int, at: datetime) -> Row | None:
    """Returns the task row back in the open pool, or None when `holder_id` no longer holds it."""
    return (
        connection()
        .execute(
            TASKS.update()
            .where(
                TASKS.c.id == task_id,
                TASKS.c.state == TaskState.CLAIMED.value,
                TASKS.c.assignee_id == holder_id,
            )
            .values(
                state=TaskState.OPEN.value,
                assignee_id=None,
                assignee_username=None,
                claimed_at=None,
                changed_at=later_of_changed(at),
            )
            .returning(*TASK_COLUMNS)
        )
        .one_or_none()
    )


def assign(
    task_id: str, holder_id: int | None, officer_id: int, username: str, at: datetime
) -> Row | None:
    """Returns the task row now held by `officer_id` (a leader's assignment), or None when it
    changed hands since it was read (`holder_id`: who held it then; None: it was open)."""
    holder = (
        TASKS.c.assignee_id.is_(None) if holder_id is None else TASKS.c.assignee_id == holder_id
    )
    return (
        connection()
        .execute(
            TASKS.update()
            .where(TASKS.c.id == task_id, TASKS.c.state.in_(OPEN_TASK_STATES), holder)
            .values(
                state=TaskState.CLAIMED.value,
                assignee_id=officer_id,
                assignee_username=username,
                claimed_at=later_of_changed(at),
                changed_at=later_of_changed(at),
            )
            .returning(*TASK_COLUMNS)
        )
        .one_or_none()
    )


def log_event(**values: Any) -> None:
    """Appends one event to the log."""
    values.setdefault("detail", {})
    connection().execute(EVENTS.insert(), values)


def _task_row(dossier: DossierRef, task, at: datetime) -> dict[str, Any]:
    step = task.step
    return {
        "id": task.id,
        "dossier_id": dossier.id,
        "agency_id": dossier.agency_id,
        "dossier_code": dossier.code,
        "procedure_code": dossier.procedure_code,
        "step": step.name,
        "title": step.title,
        "role": step.role,
        "form_key": step.form_key,
        "state": TaskState.OPEN.value,
        "assignee_id": None,
        "assignee_username": None,
        "budget_days": step.budget_days,
        "created_at": at,
        "claimed_at": None,
        "changed_at": at,
        "completed_at": None,
        "completed_by_id": None,
        "due_at": task.due_at,
        "calendar_version": task.calendar_version,
        "data": task.data,
        "submitted": None,
        "remind_at": task.remind_at,  # its first reminder, by its agency's policy
        "reminded_until": None,
    }


@dataclass(frozen=True)
class TimerDossier:
    """A dossier locked for its timers: what the write path needs, where it stands, and the
    agency the platform acts in the name of."""

    ref: DossierRef
    finished: bool
    agency_code: str
    agency_kind: str


_AGENCIES = Agency.__table__
_LOCK_FOR_TIMERS = (
    select(
        *(DOSSIERS.c[name] for name in DOSSIER_LOCK_COLUMNS),
        DOSSIERS.c.finished_at,
        _AGENCIES.c.code.label("agency_code"),
        _AGENCIES.c.kind.label("agency_kind"),
    )
    .join(_AGENCIES, _AGENCIES.c.id == DOSSIERS.c.agency_id)
    .where(DOSSIERS.c.id.in_(bindparam("p_ids", expanding=True)))
    .order_by(DOSSIERS.c.id)  # one lock order: two batches sharing dossiers never deadlock
    .with_for_update(of=DOSSIERS)
)
_SET_TIMER_DUE = (
    DOSSIERS.update()
    .where(DOSSIERS.c.id == bindparam("p_id"))
    .values(timer_due_at=bindparam("p_due"))
)


def lock_for_timers(dossier_ids: list[int]) -> list[TimerDossier]:
    """Returns the dossiers given, their rows locked (in id order) until the transaction ends
    and read once the locks are granted."""
    rows = connection().execute(_LOCK_FOR_TIMERS, {"p_ids": list(dossier_ids)}).all()
    return [
        TimerDossier(
            ref=DossierRef(**{name: getattr(row, name) for name in DOSSIER_LOCK_COLUMNS}),
            finished=row.finished_at is not None,
            agency_code=row.agency_code,
            agency_kind=row.agency_kind,
        )
        for row in rows
    ]


def set_timer_due(due: dict[int, datetime | None]) -> None:
    """Sets dossiers' next timer due time (None: they wait for no timer), in one statement."""
    if due:
        connection().execute(
            _SET_TIMER_DUE, [{"p_id": key, "p_due": value} for key, value in due.items()]
        )
