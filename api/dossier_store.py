"""Returns dossiers loaded for writing, and saves a dossier's workflow with its inbox rows.

Every write goes through here: the dossier row is locked (SELECT … FOR UPDATE on PostgreSQL,
the database write lock on SQLite), its workflow is restored, stepped by the caller, then
saved together with the task rows it implies, the dossier status and the event log, in the
caller's single transaction. The version column makes a lost update impossible even where
row locks are not available.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine import ProcessInstance
from engine.serializer import SPIFF_SERIALIZER_VERSION, STATE_FORMAT
from engine.calendar import TIMEZONE

from .extensions import db
from .models import (
    OPEN_TASK_STATES,
    Dossier,
    DossierSequence,
    Event,
    Task,
    TaskState,
)
from .procedures import compiled
from .runtime import runtime


def dossier_code(agency_code: str, received_at: datetime, sequence: int) -> str:
    """Returns the national dossier code: <agency code>-<yyMMdd>-<4-digit sequence>."""
    return f"{agency_code}-{received_at.astimezone(TIMEZONE):%y%m%d}-{sequence:04d}"


def next_sequence(agency_id: int, day: date) -> int:
    """Returns the next dossier number of an agency for a day (atomic on both databases)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(DossierSequence)
        .values(agency_id=agency_id, day=day, last_value=1)
        .on_conflict_do_update(
            index_elements=[DossierSequence.agency_id, DossierSequence.day],
            set_={"last_value": DossierSequence.last_value + 1},
        )
        .returning(DossierSequence.last_value)
    )
    return db.session.execute(statement).scalar_one()


def lock_dossier(dossier_id: int) -> Dossier:
    """Returns the dossier row, locked for the rest of the transaction."""
    return db.session.scalars(
        select(Dossier).where(Dossier.id == dossier_id).with_for_update(of=Dossier).execution_options(
            populate_existing=True
        )
    ).one()


def restore_instance(dossier: Dossier) -> ProcessInstance:
    """Returns the dossier's workflow, restored from its saved state and pinned version."""
    version = dossier.procedure_version
    return ProcessInstance.restore(
        compiled(version), dossier.workflow_state, saved_spec=version.saved_spec
    )


@dataclass(frozen=True)
class Actor:
    officer_id: int | None
    agency_id: int


def save_instance(
    dossier: Dossier,
    instance: ProcessInstance,
    *,
    at: datetime,
    actor: Actor,
    action: str,
    task: Task | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Saves workflow state, task rows, status and one event; the caller commits."""
    status_before = dossier.status if dossier.id is not None else None
    open_rows = _sync_tasks(dossier, instance, at)
    status = instance.status()
    if status is not None:
        dossier.status = int(status)
    dossier.workflow_state = instance.state()
    dossier.state_format = STATE_FORMAT
    dossier.spiff_version = SPIFF_SERIALIZER_VERSION
    dossier.next_due_at = min((row.due_at for row in open_rows), default=None)
    dossier.finished_at = at if instance.is_completed else None
    dossier.updated_at = at
    db.session.add(
        Event(
            dossier=dossier,
            agency_id=actor.agency_id,
            officer_id=actor.officer_id,
            action=action,
            task_id=task.id if task is not None else None,
            step=task.step if task is not None else None,
            status_before=status_before,
            status_after=dossier.status,
            at=at,
            detail=detail or {},
        )
    )


def _sync_tasks(dossier: Dossier, instance: ProcessInstance, at: datetime) -> list[Task]:
    """Returns the open task rows after making them match the workflow's ready steps."""
    ready = {str(r.task_id): r for r in instance.ready_steps()}
    existing: dict[str, Task] = {}
    if dossier.id is not None:
        existing = {
            row.id: row
            for row in db.session.scalars(
                select(Task).where(Task.dossier_id == dossier.id, Task.state.in_(OPEN_TASK_STATES))
            )
        }
    for task_id, row in existing.items():
        if task_id not in ready:
            # The workflow moved on without this task (another branch, a cancel).
            row.state = TaskState.CANCELLED.value
            row.completed_at = at
    calendar = runtime().calendar
    open_rows = [row for task_id, row in existing.items() if task_id in ready]
    for task_id, ready_step in ready.items():
        if task_id in existing:
            continue
        step = ready_step.step
        row = Task(
            id=task_id,
            dossier=dossier,
            agency_id=dossier.agency_id,
            dossier_code=dossier.code,
            procedure_code=dossier.procedure_code,
            step=step.name,
            title=step.title,
            role=step.role,
            form_key=step.form_key,
            state=TaskState.OPEN.value,
            budget_days=step.budget_days,
            created_at=at,
            due_at=calendar.due_at(at, step.budget_days),
            calendar_version=calendar.version,
            data=instance.task_data(UUID(task_id)),
        )
        db.session.add(row)
        open_rows.append(row)
    return open_rows


def mark_completed(task: Task, *, at: datetime, officer_id: int, submitted: dict[str, Any]) -> None:
    task.state = TaskState.COMPLETED.value
    task.completed_at = at
    task.completed_by_id = officer_id
    task.submitted = submitted


def claim(task_id: str, officer_id: int, at: datetime) -> bool:
    """Returns True when this officer took the open task; one UPDATE decides every race."""
    result = db.session.execute(
        update(Task)
        .where(Task.id == task_id, Task.state == TaskState.OPEN.value)
        .values(state=TaskState.CLAIMED.value, assignee_id=officer_id, claimed_at=at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(task_id: str, holder_id: int | None) -> bool:
    """Returns True when the claimed task went back to open (holder_id None: whoever holds it)."""
    condition = [Task.id == task_id, Task.state == TaskState.CLAIMED.value]
    if holder_id is not None:
        condition.append(Task.assignee_id == holder_id)
    result = db.session.execute(
        update(Task)
        .where(*condition)
        .values(state=TaskState.OPEN.value, assignee_id=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
