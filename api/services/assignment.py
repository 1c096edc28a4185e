"""A leader gives a task to an officer of the agency: the same write path as a claim or a
release (the task row locked, the operation read after the lock, the task and its event
written in one transaction)."""

from __future__ import annotations

from typing import Any

from processes import EventAction, TaskState

from ..store import Officer, assign, db, lock_task
from .accounts import find_officer
from .actor import Actor
from .errors import Conflict, Forbidden, Invalid, not_found
from .runtime import operation
from .tasks import _valid_id, _with_overdue, log_holder_change


def assign_task(actor: Actor, task_id: str, username: object) -> dict[str, Any]:
    """Returns the task, now held by the officer named: an open or claimed task of the
    actor's agency, given by a leader (role lanh_dao) to an active officer of the same agency
    who holds the task's role. NotFound outside the agency, Forbidden for anyone but a
    leader, Invalid naming `username`, Conflict for a finished task."""
    task = lock_task(task_id, actor.agency_id) if _valid_id(task_id) else None
    if task is None:
        raise not_found("task")
    if not actor.is_leader:
        raise Forbidden("only a leader (role lanh_dao) of the agency assigns tasks")
    if task.state not in (TaskState.OPEN.value, TaskState.CLAIMED.value):
        raise Conflict(f"the task is already {task.state}")
    officer = _assignee(actor, username if isinstance(username, str) else "", task.role)
    op = operation()  # after the lock
    if task.state == TaskState.CLAIMED.value and task.assignee_id == officer.id:
        db.session.rollback()
        return _with_overdue(task, op.at)  # already theirs: nothing to write
    assigned = assign(task.id, task.assignee_id, officer.id, officer.username, op.at)
    if assigned is None:
        db.session.rollback()
        raise Conflict("the task changed meanwhile; reload and try again")
    detail: dict[str, Any] = {"assignee_id": officer.id, "assignee": officer.username}
    if task.assignee_id is not None:
        detail |= {"holder_id": task.assignee_id, "holder": task.assignee_username}
    log_holder_change(actor, EventAction.ASSIGNED, task, at=op.at, detail=detail)
    db.session.commit()
    return _with_overdue(assigned, op.at)


def _assignee(actor: Actor, username: str, role: str) -> Officer:
    officer = find_officer(username) if username else None
    if officer is None or officer.agency_id != actor.agency_id:
        raise Invalid("no such officer", {"username": [f"no officer {username!r} in this agency"]})
    if not officer.active:
        raise Invalid("the officer is inactive", {"username": [f"{username} is inactive"]})
    if role not in officer.roles:
        raise Invalid(
            "the officer cannot work this task",
            {"username": [f"{username} does not hold role {role}"]},
        )
    return officer
