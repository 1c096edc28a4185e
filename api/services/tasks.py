"""Returns tasks: the inbox query, and claim, release and complete, each one transaction."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import literal, or_, select, tuple_
from sqlalchemy.orm import undefer
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine import TaskNotReady

from .auth import Caller
from .dossier_store import (
    Actor,
    DossierRef,
    claim,
    lock_task_and_dossier,
    log_event,
    release,
    restore_instance,
    save_instance,
)
from .errors import ApiError, conflict, not_found
from .extensions import db
from .models import (
    OPEN_TASK_STATES,
    EventAction,
    Task,
    TaskState,
    UtcDateTime,
)
from .runtime import now


@dataclass(frozen=True)
class InboxQuery:
    mine_only: bool = False
    procedure: str | None = None
    overdue: bool | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class InboxPage:
    items: list[Task]
    next_cursor: str | None


def inbox(caller: Caller, query: InboxQuery) -> InboxPage:
    """Returns open tasks of the caller's agency and roles, unclaimed or held by the caller,
    by due date, one keyset page at a time (no OFFSET: page 500 costs what page 1 does)."""
    if not caller.roles:
        return InboxPage([], None)
    statement = select(Task).where(
        Task.agency_id == caller.agency_id,
        Task.state.in_(OPEN_TASK_STATES),
        Task.role.in_(sorted(caller.roles)),
    )
    if query.mine_only:
        statement = statement.where(
            Task.state == TaskState.CLAIMED.value, Task.assignee_id == caller.officer_id
        )
    else:
        statement = statement.where(
            or_(Task.state == TaskState.OPEN.value, Task.assignee_id == caller.officer_id)
        )
    if query.procedure:
        statement = statement.where(Task.procedure_code == query.procedure)
    if query.overdue is True:
        statement = statement.where(Task.due_at < now())
    elif query.overdue is False:
        statement = statement.where(Task.due_at >= now())
    if query.cursor:
        due_at, task_id = _decode_cursor(query.cursor)
        after = tuple_(literal(due_at, UtcDateTime()), literal(task_id))
        statement = statement.where(tuple_(Task.due_at, Task.id) > after)
    statement = statement.order_by(Task.due_at, Task.id).limit(query.limit + 1)
    rows = list(db.session.scalars(statement))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return InboxPage(rows, _encode_cursor(rows[-1]) if more else None)


def get_task(caller: Caller, task_id: str) -> Task:
    """Returns a task of the caller's agency (404 for any other, whether it exists or not)."""
    task = _find(caller, task_id)
    if task is None:
        raise not_found("task")
    return task


def claim_task(caller: Caller, task_id: str):
    """Returns the task, now held by the caller; 409 when another officer holds it."""
    at = now()
    if _valid_id(task_id):
        task = claim(task_id, caller.agency_id, caller.roles, caller.officer_id, caller.username, at)
        if task is not None:
            db.session.commit()
            return task
    task = get_task(caller, task_id)  # 404 outside the caller's agency
    if task.role not in caller.roles:
        raise ApiError(403, f"this task needs role {task.role}")
    if task.state == TaskState.CLAIMED.value and task.assignee_id == caller.officer_id:
        return task  # already held by the caller: claiming is idempotent
    raise _not_available(task)


def release_task(caller: Caller, task_id: str) -> Task:
    """Returns the task back in the open pool; only its holder or a leader may release it."""
    task = get_task(caller, task_id)
    if task.state != TaskState.CLAIMED.value:
        raise conflict(f"the task is {task.state}, not claimed")
    if task.assignee_id != caller.officer_id and not caller.is_leader:
        raise ApiError(403, "only the officer holding the task, or a leader, may release it")
    holder = task.assignee_id
    at = now()
    if not release(task.id, holder):
        db.session.rollback()
        db.session.refresh(task)
        raise conflict(f"the task changed meanwhile: it is {task.state}")
    _log(task, caller, EventAction.RELEASED, at, detail={"holder_id": holder})
    db.session.commit()
    db.session.refresh(task)
    return task


@dataclass(frozen=True)
class Completion:
    task: dict[str, Any]
    dossier: DossierRef
    open_tasks: list[dict[str, Any]]


def complete_task(caller: Caller, task_id: str, data: dict[str, Any]) -> Completion:
    """Returns the completed task and the dossier's open tasks after the workflow moved on."""
    locked = lock_task_and_dossier(task_id, caller.agency_id) if _valid_id(task_id) else None
    if locked is None:
        raise not_found("task")
    task, dossier = locked
    if task.state in (TaskState.COMPLETED.value, TaskState.CANCELLED.value):
        raise conflict(f"the task is already {task.state}")
    if task.state != TaskState.CLAIMED.value or task.assignee_id != caller.officer_id:
        raise conflict("claim the task before completing it")
    at = now()
    status_before = dossier.status
    try:
        instance = restore_instance(dossier)
        open_before = {str(ready.task_id) for ready in instance.ready_steps()}
        instance.complete(UUID(task.id), data)
    except TaskNotReady:
        raise conflict("the task is no longer open in the workflow") from None
    except SpiffWorkflowException as exc:
        raise ApiError(422, f"the workflow could not continue with this data: {exc}") from None
    open_rows = save_instance(
        dossier, instance, open_before=open_before, at=at,
        actor=Actor(caller.officer_id, caller.agency_id), action=EventAction.COMPLETED.value,
        status_before=status_before, completed=(task, data),
    )
    db.session.commit()
    completed = {
        **task._mapping,
        "state": TaskState.COMPLETED.value,
        "completed_at": at,
        "completed_by_id": caller.officer_id,
        "submitted": data,
    }
    return Completion(completed, dossier, open_rows)


def _valid_id(task_id: str) -> bool:
    try:
        UUID(task_id)
    except ValueError:
        return False
    return True


def _find(caller: Caller, task_id: str) -> Task | None:
    if not _valid_id(task_id):
        return None
    return db.session.scalars(
        select(Task)
        .where(Task.id == task_id, Task.agency_id == caller.agency_id)
        .options(undefer(Task.data), undefer(Task.submitted))
    ).one_or_none()


def _not_available(task: Task) -> ApiError:
    if task.state in (TaskState.COMPLETED.value, TaskState.CANCELLED.value):
        return conflict(f"the task is already {task.state}")
    return conflict(f"the task is held by {task.assignee_username or 'another officer'}")


def _log(task, caller: Caller, action: EventAction, at: datetime, detail=None) -> None:
    log_event(
        dossier_id=task.dossier_id,
        agency_id=caller.agency_id,
        officer_id=caller.officer_id,
        action=action.value,
        task_id=task.id,
        step=task.step,
        status_before=None,
        status_after=None,
        at=at,
        detail=detail or {},
    )


def _encode_cursor(task: Task) -> str:
    raw = json.dumps([task.due_at.isoformat(), task.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due_at, task_id = json.loads(raw)
        due = datetime.fromisoformat(due_at)
        if due.tzinfo is None or not isinstance(task_id, str):
            raise ValueError("not a cursor we issued")
        return due, task_id
    except (ValueError, TypeError):
        raise ApiError(400, "the cursor is not valid", {"cursor": ["not a cursor we issued"]}) from None
