"""Tasks: the inbox, and claim, release and complete, each one transaction."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import literal, or_, select, tuple_
from sqlalchemy.orm import undefer

from processes import OPEN_TASK_STATES, EventAction, TaskState

from ..store import (
    TASK_COLUMNS,
    Officer,
    Task,
    UtcDateTime,
    claim,
    db,
    lock_task,
    lock_task_and_dossier,
    log_event,
    release,
)
from .actor import Actor
from .documents import issue_result
from .errors import Conflict, Forbidden, Invalid, not_found
from .procedures import compiled_version
from .runtime import commit, operation
from .transitions import Act, Transition, acting, apply, restore, standing

# Inbox cursors carry a due time; one outside these years is not one we issued.
_CURSOR_YEARS = range(2000, 2200)


@dataclass(frozen=True)
class InboxQuery:
    mine_only: bool = False
    procedure: str | None = None
    overdue: bool | None = None
    due_soon: bool | None = None
    limit: int = 50
    after: tuple[datetime, str] | None = None  # the (due time, id) of a decoded cursor


@dataclass(frozen=True)
class InboxPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def is_overdue(task: dict[str, Any], at: datetime) -> bool:
    """Returns True when an open task's due date has passed at `at`."""
    return task["state"] in OPEN_TASK_STATES and task["due_at"] < at


# "Due soon": not yet due, and due within this much office time (a working day): the tasks
# an officer should take before they turn overdue.
DUE_SOON_DAYS = 1


def soon_until(op, agency_id: int) -> datetime:
    """Returns the instant before which a task not yet due is due soon, for an agency."""
    calendar = op.calendar_of(agency_id)
    return calendar.due_at(op.at, DUE_SOON_DAYS)


def is_due_soon(task: dict[str, Any], at: datetime, until: datetime) -> bool:
    """Returns True when an open task is not yet due at `at` but is due before `until`."""
    return task["state"] in OPEN_TASK_STATES and at <= task["due_at"] < until


def inbox(actor: Actor, query: InboxQuery) -> InboxPage:
    """Returns open tasks of the actor's agency and roles, unclaimed or held by the actor,
    by due date then id, one keyset page at a time (no OFFSET: page 500 costs what page 1
    does); each item says whether it is overdue."""
    if not actor.roles:
        return InboxPage([], None)
    op = operation()
    at, until = op.at, soon_until(op, actor.agency_id)
    statement = select(*_SUMMARY).where(
        Task.agency_id == actor.agency_id,
        Task.state.in_(OPEN_TASK_STATES),
        Task.role.in_(sorted(actor.roles)),
    )
    if query.mine_only:
        statement = statement.where(
            Task.state == TaskState.CLAIMED.value, Task.assignee_id == actor.officer_id
        )
    else:
        statement = statement.where(
            or_(Task.state == TaskState.OPEN.value, Task.assignee_id == actor.officer_id)
        )
    if query.procedure:
        statement = statement.where(Task.procedure_code == query.procedure)
    if query.overdue is True:
        statement = statement.where(Task.due_at < at)
    elif query.overdue is False:
        statement = statement.where(Task.due_at >= at)
    if query.due_soon is True:
        statement = statement.where(Task.due_at >= at, Task.due_at < until)
    elif query.due_soon is False:
        statement = statement.where(or_(Task.due_at < at, Task.due_at >= until))
    if query.after:
        due_at, task_id = query.after
        after = tuple_(literal(due_at, UtcDateTime()), literal(task_id))
        statement = statement.where(tuple_(Task.due_at, Task.id) > after)
    statement = statement.order_by(Task.due_at, Task.id).limit(query.limit + 1)
    rows = [dict(row._mapping) for row in db.session.execute(statement)]
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    for row in rows:
        row["overdue"] = is_overdue(row, at)
        row["due_soon"] = is_due_soon(row, at, until)
    return InboxPage(rows, encode_cursor(rows[-1]) if more else None)


def get_task(actor: Actor, task_id: str) -> Task:
    """Returns a task of the actor's agency with its data (NotFound for any other)."""
    task = None
    if _valid_id(task_id):
        task = db.session.scalars(
            select(Task)
            .where(Task.id == task_id, Task.agency_id == actor.agency_id)
            .options(undefer(Task.data), undefer(Task.submitted))
        ).one_or_none()
    if task is None:
        raise not_found("task")
    return task


def claim_task(actor: Actor, task_id: str) -> dict[str, Any]:
    """Returns the task, now held by the actor; Conflict when another officer holds it.

    One conditional UPDATE decides every race. If it had to wait for another change to the
    task (a release), its time is the later of its clock reading and that change's, so the
    timeline never shows the claim before what it waited for."""
    op = operation()
    if _valid_id(task_id):
        claimed = claim(
            task_id, actor.agency_id, actor.roles, actor.officer_id, actor.username, op.at
        )
        if claimed is not None:
            db.session.commit()
            return _with_overdue(claimed, op.at)
    task = get_task(actor, task_id)  # NotFound outside the actor's agency
    if task.role not in actor.roles:
        raise Forbidden(f"this task needs role {task.role}")
    if task.state == TaskState.CLAIMED.value and task.assignee_id == actor.officer_id:
        return task_summary(task, op.at)  # already held by the actor: claiming is idempotent
    if task.state == TaskState.OPEN.value and not _is_active(actor):
        # deactivated after this request's token was checked (or within the token cache)
        raise Forbidden(f"officer {actor.username} is deactivated")
    raise _not_available(task)


def release_task(actor: Actor, task_id: str, reason: str = "") -> dict[str, Any]:
    """Returns the task back in the open pool; only its holder or a leader may release it."""
    task = lock_task(task_id, actor.agency_id) if _valid_id(task_id) else None
    if task is None:
        raise not_found("task")
    if task.state != TaskState.CLAIMED.value:
        raise Conflict(f"the task is {task.state}, not claimed")
    if task.assignee_id != actor.officer_id and not actor.is_leader:
        raise Forbidden("only the officer holding the task, or a leader, may release it")
    op = operation()
    released = release(task.id, task.assignee_id, op.at)
    if released is None:
        db.session.rollback()
        raise Conflict("the task changed meanwhile; reload and try again")
    detail: dict[str, Any] = {"holder_id": task.assignee_id, "holder": task.assignee_username}
    if reason:
        detail["reason"] = reason
    log_holder_change(actor, EventAction.RELEASED, task, at=op.at, detail=detail)
    db.session.commit()
    return _with_overdue(released, op.at)


def log_holder_change(
    actor: Actor, action: EventAction, task, *, at: datetime, detail: dict[str, Any]
) -> None:
    """Records who now holds a task (released, assigned), in its dossier's timeline: an event
    that changes no status. `task` is the locked row (its id, dossier id, agency id, step)."""
    log_event(
        dossier_id=task.dossier_id,
        agency_id=task.agency_id,
        officer_id=actor.officer_id,
        action=action.value,
        task_id=task.id,
        step=task.step,
        status_before=None,
        status_after=None,
        at=at,
        detail=detail,
    )


@dataclass(frozen=True)
class Completion:
    task: dict[str, Any]
    transition: Transition


def complete_task(actor: Actor, task_id: str, data: dict[str, Any]) -> Completion:
    """Returns the completed task and the dossier's open tasks after the workflow moved on:
    lock (dossier, then task) → restore → complete → plan → write."""
    locked = lock_task_and_dossier(task_id, actor.agency_id) if _valid_id(task_id) else None
    if locked is None:
        raise not_found("task")
    task, dossier = locked.task, locked.dossier
    if task.state in (TaskState.COMPLETED.value, TaskState.CANCELLED.value):
        raise Conflict(f"the task is already {task.state}")
    if task.state != TaskState.CLAIMED.value or task.assignee_id != actor.officer_id:
        raise Conflict("claim the task before completing it")
    if dossier.paused_at is not None:
        raise Conflict("the dossier awaits a supplement from the applicant: no step until it comes")
    op = operation()
    with acting():
        instance = restore(dossier, op)
        before = standing(instance, dossier.status)
        instance.complete(UUID(task.id), data)
    act = Act(
        EventAction.COMPLETED.value,
        completed=task.id,
        completed_step=task.step,
        submitted=data,
    )
    transition = apply(dossier, before, instance, act, op=op, actor=actor)
    issue_result(dossier, task.step, data, op, actor)  # a signing step's document, same commit
    commit()
    completed = {
        **task._mapping,
        "state": TaskState.COMPLETED.value,
        "completed_at": op.at,
        "completed_by_id": actor.officer_id,
        "submitted": data,
        "overdue": False,
    }
    return Completion(completed, transition)


def release_all_held_by(actor: Actor, officer_id: int, reason: str) -> int:
    """Returns how many tasks an officer held that went back to the open pool (the officer
    left or was deactivated); one event each, in the caller's transaction."""
    held = db.session.execute(
        select(Task.id, Task.dossier_id, Task.agency_id, Task.step, Task.assignee_username)
        .where(Task.assignee_id == officer_id, Task.state == TaskState.CLAIMED.value)
        .order_by(Task.id)
        .with_for_update()
    ).all()
    op = operation()  # after the rows are locked
    released = 0
    for task_id, dossier_id, agency_id, step, username in held:
        if release(task_id, officer_id, op.at) is None:
            continue
        released += 1
        row = SimpleNamespace(id=task_id, dossier_id=dossier_id, agency_id=agency_id, step=step)
        detail = {"holder_id": officer_id, "holder": username, "reason": reason}
        log_holder_change(actor, EventAction.RELEASED, row, at=op.at, detail=detail)
    return released


def encode_cursor(task: dict[str, Any]) -> str:
    """Returns the opaque cursor of the page after this task: its due time and id."""
    raw = json.dumps([task["due_at"].isoformat(), task["id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Returns the (due time, id) a cursor carries; Invalid for anything we did not issue."""
    try:
        if len(cursor) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due_at, task_id = json.loads(raw)
        due = datetime.fromisoformat(due_at)
        if due.tzinfo is None or not isinstance(task_id, str) or due.year not in _CURSOR_YEARS:
            raise ValueError("not a cursor we issued")
        if len(task_id) != 36 or str(UUID(task_id)) != task_id:
            raise ValueError("not a task id")  # also keeps NUL and surrogates from the query
        due.utcoffset()  # an offset that overflows the date raises here, not in the query
        due.astimezone(UTC)
        return due, task_id
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise Invalid("the cursor is not valid", {"cursor": ["not a cursor we issued"]}) from None


def _is_active(actor: Actor) -> bool:
    return bool(db.session.scalar(select(Officer.active).where(Officer.id == actor.officer_id)))


def _with_overdue(row, at: datetime) -> dict[str, Any]:
    values = dict(row._mapping)
    values["overdue"] = is_overdue(values, at)
    return values


def _valid_id(task_id: str) -> bool:
    try:
        UUID(task_id)
    except ValueError:
        return False
    return True


def _not_available(task) -> Conflict:
    if task.state in (TaskState.COMPLETED.value, TaskState.CANCELLED.value):
        return Conflict(f"the task is already {task.state}")
    return Conflict(f"the task is held by {task.assignee_username or 'another officer'}")


# The inbox shows these; the data snapshots stay out (large, and never listed).
_SUMMARY = tuple(c for c in TASK_COLUMNS if c.name not in ("data", "submitted"))


def task_summary(task: Task, at: datetime) -> dict[str, Any]:
    """Returns a task's inbox fields, with whether it is overdue at `at`."""
    row = {column.key: getattr(task, column.key) for column in _SUMMARY}
    row["overdue"] = is_overdue(row, at)
    return row


def task_detail(actor: Actor, task_id: str) -> dict[str, Any]:
    """Returns a task of the actor's agency with its form (JSON Schema), its step's
    documentation, the data the form starts from and the dossier's status."""
    task = get_task(actor, task_id)
    at = operation().at
    process = compiled_version(task.dossier.procedure_version_id)
    step = process.steps.get(task.step)
    return {
        **task_summary(task, at),
        "data": task.data,
        "submitted": task.submitted,
        "form": process.form(task.form_key).schema,
        "documentation": step.documentation if step else "",
        "dossier_status": task.dossier.status,
    }
