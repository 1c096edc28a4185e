"""Returns what one transition of a dossier's workflow changes, computed without storage.

Every change to a running dossier (received, a step completed; later a timer fired, a
message delivered) follows one path: lock → restore → act → plan → write. This module is the
plan: given where the dossier stood before (its status and its open tasks with their due
dates, read from the restored workflow by `before_act`) and the workflow after the act, it lists
the tasks opened (with due dates from the calendar), cancelled and still open, the new status,
the next due time, the state to save and the events to log. Each opened task's due date is
recorded in the workflow itself, so the saved state is the one source of truth for what is
open and when it is due. The API layer writes the plan in one transaction; nothing here reads
a clock, a database or the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from .calendar import WorkingCalendar
from .instance import Message, ProcessInstance
from .procedure import Step
from .reminders import ReminderPolicy, first_reminder
from .serializer import dump_json, load_json


@dataclass(frozen=True)
class Before:
    """Where a dossier stood before the act: its status and its open tasks' due dates."""

    status: int | None
    open_tasks: Mapping[str, datetime | None] = field(default_factory=dict)

    @property
    def missing_due_dates(self) -> list[str]:
        """Returns the open tasks whose due date the workflow state does not carry."""
        return [task_id for task_id, due in self.open_tasks.items() if due is None]

    def with_due_dates(self, due_dates: Mapping[str, datetime]) -> Before:
        """Returns a copy with the due dates given filled in."""
        return Before(self.status, {**self.open_tasks, **due_dates})


@dataclass(frozen=True)
class OpenedTask:
    """A human task the transition opened, with its due date and what its form starts from."""

    id: str
    step: Step
    due_at: datetime
    calendar_version: str
    data: dict[str, Any]
    # Its first reminder instant by its agency's policy (the opening instant when the plan
    # was made without the policy: the reminder sweep then computes it).
    remind_at: datetime | None = None


@dataclass(frozen=True)
class PlannedEvent:
    """One entry of the dossier's event log (who and when are added by the writer)."""

    action: str
    task_id: str | None
    step: str | None
    status_before: int | None
    status_after: int | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class TransitionPlan:
    """Everything one transition changes, ready to be written in one transaction."""

    status_before: int | None
    status_after: int | None
    completed: str | None  # the task the act completed, if any
    opened: tuple[OpenedTask, ...]
    cancelled: tuple[str, ...]  # open before, gone from the workflow without being completed
    still_open: tuple[str, ...]  # open before and after
    next_due_at: datetime | None  # the earliest due date among the open tasks after
    finished: bool
    state: str  # the workflow state to save (JSON text, spec-free)
    events: tuple[PlannedEvent, ...]
    # Messages thrown to other processes (handoffs), recorded in the same transaction, and
    # the messages the workflow now waits for (a handoff kept for it can now be delivered).
    messages: tuple[Message, ...] = ()
    awaited: frozenset[str] = frozenset()
    # The earliest due time among the timers the workflow waits for: the dossier's column a
    # sweep reads to fire them.
    timer_due_at: datetime | None = None


def before_act(instance: ProcessInstance, status: int | None) -> Before:
    """Returns where a restored workflow stands, before the act: its open tasks with their
    recorded due dates. A task opened before due dates were recorded has none here; the
    caller fills those in (`Before.missing_due_dates`)."""
    return Before(status=status, open_tasks=instance.open_due_dates())


def plan_transition(
    instance: ProcessInstance,
    before: Before,
    *,
    action: str,
    at: datetime,
    calendar: WorkingCalendar,
    completed: str | None = None,
    completed_step: str | None = None,
    detail: Mapping[str, Any] | None = None,
    reminders: ReminderPolicy | None = None,
) -> TransitionPlan:
    """Returns the plan of a transition: `instance` is the workflow after the act, `before`
    the dossier before it, `at` the instant of the act (read once, after the lock),
    `reminders` the agency's reminder policy (each opened task's first reminder instant)."""
    ready_steps = instance.ready_steps()
    ready = {str(r.task_id): r.step for r in ready_steps}
    opened = []
    for task_id, step in ready.items():
        if task_id in before.open_tasks:
            continue
        due_at = calendar.due_at(at, step.budget_days)
        opened.append(
            OpenedTask(
                id=task_id,
                step=step,
                due_at=due_at,
                calendar_version=calendar.version,
                data=json_safe(instance.task_data(UUID(task_id))),
                remind_at=(
                    at if reminders is None else first_reminder(reminders, at, due_at, calendar)
                ),
            )
        )
    for task in opened:
        instance.record_due(UUID(task.id), task.due_at)
    still_open = tuple(task_id for task_id in ready if task_id in before.open_tasks)
    cancelled = tuple(
        sorted(set(before.open_tasks) - set(ready) - ({completed} if completed else set()))
    )
    due_dates = [task.due_at for task in opened]
    due_dates += [due for t in still_open if (due := before.open_tasks[t]) is not None]
    messages = tuple(instance.take_messages())
    status = instance.status(ready_steps)
    status_after = int(status) if status is not None else before.status
    event = PlannedEvent(
        action=action,
        task_id=completed,
        step=completed_step,
        status_before=before.status,
        status_after=status_after,
        detail=dict(detail or {}),
    )
    return TransitionPlan(
        status_before=before.status,
        status_after=status_after,
        completed=completed,
        opened=tuple(opened),
        cancelled=cancelled,
        still_open=still_open,
        next_due_at=min(due_dates) if due_dates else None,
        finished=instance.is_completed,
        state=instance.state(),
        events=(event,),
        messages=messages,
        awaited=instance.awaited_messages(),
        timer_due_at=instance.next_timer_at(),
    )


def json_safe(data: Mapping[str, Any]) -> dict[str, Any]:
    """Returns data fit for a JSON column: dates and decimals from scripts become strings."""
    return load_json(dump_json(data, str))
