"""Returns dossiers locked for writing, and saves a dossier's workflow with its inbox rows.

Every write goes through here: the task and dossier rows are locked (SELECT … FOR UPDATE on
PostgreSQL; SQLite serializes writers), the workflow is restored and stepped by the caller,
then saved with the task rows it implies, the dossier status and one event, in the caller's
single transaction. The dossier's version column is checked by the UPDATE itself, so a lost
update is impossible even where row locks are not available.

The hot path uses SQLAlchemy Core statements built once on the mapped tables (see
`step_writes`): the ORM's unit of work costs more CPU than the engine step it wraps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row

from engine import ProcessInstance
from engine.calendar import TIMEZONE
from engine.serializer import SPIFF_SERIALIZER_VERSION, STATE_FORMAT

from .errors import conflict
from .extensions import db
from .models import DossierSequence, ProcedureVersion, Task, TaskState
from .procedures import compiled_version
from .runtime import runtime
from .step_writes import (
    DOSSIER_LOCK_COLUMNS,
    DOSSIERS,
    EVENTS,
    DossierRef,
    TASK_COLUMNS,
    TASKS,
    StepWrite,
    connection,
    writer,
)

@dataclass(frozen=True)
class Actor:
    officer_id: int | None
    agency_id: int


def dossier_code(agency_code: str, received_at: datetime, sequence: int) -> str:
    """Returns the national dossier code: <agency code>-<yyMMdd>-<4-digit sequence>."""
    return f"{agency_code}-{received_at.astimezone(TIMEZONE):%y%m%d}-{sequence:04d}"


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


def lock_task_and_dossier(task_id: str, agency_id: int) -> tuple[Row, DossierRef] | None:
    """Returns a task of the agency and its dossier, both rows locked for the transaction:
    the dossier (so no other step of it runs at once), then the task (so no claim or release
    slips in). PostgreSQL re-reads both rows once the locks are granted."""
    row = writer().lock(task_id, agency_id)
    if row is None:
        return None
    values = row._mapping
    dossier = DossierRef(**{name: values[f"d__{name}"] for name in DOSSIER_LOCK_COLUMNS})
    return row, dossier


def restore_instance(dossier: DossierRef) -> ProcessInstance:
    """Returns the dossier's workflow, restored from its saved state and pinned version."""
    saved_spec = None
    if dossier.spiff_version != SPIFF_SERIALIZER_VERSION:
        # Only a state written by another SpiffWorkflow version needs the spec saved with it.
        saved_spec = db.session.get(ProcedureVersion, dossier.procedure_version_id).saved_spec
    return ProcessInstance.restore(
        compiled_version(dossier.procedure_version_id), dossier.workflow_state, saved_spec=saved_spec
    )


def insert_dossier(values: dict[str, Any]) -> int:
    """Returns the id of a new dossier row."""
    return connection().execute(DOSSIERS.insert().values(**values).returning(DOSSIERS.c.id)).scalar_one()


def save_instance(
    dossier: DossierRef,
    instance: ProcessInstance,
    *,
    open_before: set[str],
    at: datetime,
    actor: Actor,
    action: str,
    status_before: int | None,
    completed: tuple[Row, dict[str, Any]] | None = None,
    detail: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Returns the dossier's open tasks after saving, in the caller's transaction: the task
    just completed (with the answers submitted), tasks the step opened or cancelled, the
    workflow state and status, and one event.

    `open_before` is the set of task ids that were open before the step: the task table
    always mirrors the workflow's ready human tasks, so no query is needed to find them."""
    task, submitted = completed if completed is not None else (None, None)
    ready = {str(r.task_id): r for r in instance.ready_steps()}
    opened = [
        _new_task(dossier, task_id, r, instance, at)
        for task_id, r in ready.items()
        if task_id not in open_before
    ]
    open_rows = opened + _task_rows([task_id for task_id in ready if task_id in open_before])
    open_rows.sort(key=lambda row: (row["due_at"], row["id"]))
    status = instance.status()
    new_status = int(status) if status is not None else dossier.status
    write = StepWrite(
        at=at,
        dossier={
            "p_id": dossier.id,
            "p_version": dossier.version,
            "status": new_status,
            "workflow_state": instance.state(),
            "state_format": STATE_FORMAT,
            "spiff_version": SPIFF_SERIALIZER_VERSION,
            "next_due_at": open_rows[0]["due_at"] if open_rows else None,
            "finished_at": at if instance.is_completed else None,
            "updated_at": at,
            "version": dossier.version + 1,
        },
        completed=None if task is None else {
            "p_id": task.id,
            "p_holder": actor.officer_id,
            "state": TaskState.COMPLETED.value,
            "completed_at": at,
            "completed_by_id": actor.officer_id,
            "submitted": submitted,
        },
        # Tasks the workflow moved on without (another branch won, a cancel).
        cancelled=sorted(open_before - set(ready) - ({task.id} if task is not None else set())),
        opened=opened,
        event={
            "dossier_id": dossier.id,
            "agency_id": actor.agency_id,
            "officer_id": actor.officer_id,
            "action": action,
            "task_id": task.id if task is not None else None,
            "step": task.step if task is not None else None,
            "status_before": status_before,
            "status_after": new_status,
            "at": at,
            "detail": detail or {},
        },
    )
    if not writer().apply(write):
        raise conflict("the dossier changed meanwhile; reload and try again")
    dossier.status, dossier.version = new_status, dossier.version + 1
    return open_rows


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


def log_event(**values: Any) -> None:
    """Appends one event to the log."""
    values.setdefault("detail", {})
    connection().execute(EVENTS.insert(), values)


def release(task_id: str, holder_id: int | None) -> bool:
    """Returns True when the claimed task went back to open (holder_id None: whoever holds it)."""
    condition = [Task.id == task_id, Task.state == TaskState.CLAIMED.value]
    if holder_id is not None:
        condition.append(Task.assignee_id == holder_id)
    result = connection().execute(
        TASKS.update()
        .where(*condition)
        .values(
            state=TaskState.OPEN.value, assignee_id=None, assignee_username=None, claimed_at=None
        )
    )
    return result.rowcount == 1


def json_safe(data: dict[str, Any]) -> dict[str, Any]:
    """Returns data fit for a JSON column (dates and decimals from scripts become strings)."""
    return json.loads(json.dumps(data, default=str))


def _new_task(dossier: DossierRef, task_id: str, ready, instance: ProcessInstance, at: datetime):
    calendar = runtime().calendar
    step = ready.step
    return {
        "id": task_id,
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
        "completed_at": None,
        "completed_by_id": None,
        "due_at": calendar.due_at(at, step.budget_days),
        "calendar_version": calendar.version,
        "data": json_safe(instance.task_data(UUID(task_id))),
        "submitted": None,
    }


def _task_rows(task_ids: list[str]) -> list[dict[str, Any]]:
    if not task_ids:
        return []
    rows = connection().execute(select(*TASK_COLUMNS).where(Task.id.in_(task_ids)))
    return [dict(row._mapping) for row in rows]
