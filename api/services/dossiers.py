"""Dossiers: receive a new one (starting its workflow through the one write path) and read
one of the actor's agency with its tasks and timeline."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from engine import Before, FormInvalid, ProcessInstance
from engine.calendar import TIMEZONE
from processes import (
    RECEPTION_ROLE,
    Channel,
    DossierStatus,
    EventAction,
    Procedure,
    TaskState,
    dossier_code,
)

from ..store import (
    Dossier,
    Event,
    GroupDossier,
    ProcedureVersion,
    Task,
    db,
    insert_dossier,
    next_sequence,
)
from .actor import Actor
from .catalogue import procedure_of
from .errors import Forbidden, Invalid, field_errors, not_found
from .lookup import lookup_secret
from .procedures import compiled, current_version
from .runtime import Operation, commit, operation
from .tasks import DUE_SOON_DAYS, is_due_soon, task_summary
from .transitions import Act, Transition, acting, apply


def receive_dossier(
    actor: Actor,
    *,
    procedure_code: str,
    applicant: dict[str, Any],
    channel: int,
    data: dict[str, Any],
) -> Transition:
    """Returns the transition that received a new dossier in the actor's agency and opened its
    first tasks (the dossier row is new, so there is nothing to lock)."""
    if RECEPTION_ROLE not in actor.roles:
        raise Forbidden(f"only an officer with role {RECEPTION_ROLE} receives dossiers")
    op = operation()
    version = current_version(procedure_code, op.at)
    if version is None:
        raise Invalid("unknown procedure", {"procedure": [f"no procedure {procedure_code!r}"]})
    procedure = procedure_of(version)
    if procedure.agency_kind != actor.agency_kind:
        raise Invalid(
            "this procedure is handled by another kind of agency",
            {
                "procedure": [
                    f"{procedure.code} is handled by {procedure.agency_kind.value} agencies"
                ]
            },
        )
    process = compiled(version)
    try:
        process.form(procedure.declaration_form).validate(data)
    except FormInvalid as exc:
        listed = sum(map(len, exc.errors.values()))
        message = f"the declaration has {listed + exc.more} error(s)"
        if exc.more:
            message += f"; {listed} are listed, {exc.more} more are not"
        raise Invalid(message, field_errors("data", exc.errors)) from None

    transition = open_dossier(
        actor, op, procedure, version, applicant=applicant, channel=channel, declaration=data
    )
    commit()
    return transition


def open_dossier(
    actor: Actor,
    op: Operation,
    procedure: Procedure,
    version: ProcedureVersion,
    *,
    applicant: dict[str, Any],
    channel: int,
    declaration: dict[str, Any],
    group: dict[str, Any] | None = None,
    group_id: int | None = None,
    budget_days: Decimal | None = None,
    detail: dict[str, Any] | None = None,
) -> Transition:
    """Returns the transition that opened a new dossier of the actor's agency (validated
    declaration; the caller commits): a process with a plain start event starts with the
    declaration in its data; one that starts with a message gets the declaration as that
    message, exactly as when another agency hands it over."""
    process = compiled(version)
    calendar = op.calendar_of(actor.agency_id)
    clock_started_at = calendar.clock_start(op.at)
    sequence = next_sequence(actor.agency_id, op.at.astimezone(TIMEZONE).date())
    code = dossier_code(actor.agency_code, op.at, sequence)
    start = {"dossier_code": code, "applicant": applicant, "group": group}
    if process.start_message is None:
        start["declaration"] = declaration
    with acting():  # a diagram whose first steps fail on this data: say so, write nothing
        instance = ProcessInstance.start(process, start, clock=op.clock_of(actor.agency_id))
        if process.start_message is not None:
            instance.deliver(process.start_message, declaration)
    status = int(instance.status() or DossierStatus.SUBMITTED)
    budget = procedure.deadline.value if budget_days is None else budget_days
    dossier = insert_dossier(
        {
            "code": code,
            "agency_id": actor.agency_id,
            "procedure_version_id": version.id,
            "procedure_code": procedure.code,
            "status": status,
            "applicant": applicant,
            "applicant_name": applicant["full_name"],
            "channel": int(Channel(channel)),
            "declaration": declaration,
            "received_at": op.at,
            "received_by_id": actor.officer_id,
            "clock_started_at": clock_started_at,
            "due_at": calendar.due_at(clock_started_at, budget),
            "calendar_version": calendar.version,
            "updated_at": op.at,
            "group_id": group_id,
        }
    )
    act = Act(
        EventAction.SUBMITTED.value,
        detail={
            "channel": int(Channel(channel)),
            "procedure_version": version.version,
            **(detail or {}),
        },
    )
    return apply(dossier, Before(status=None), instance, act, op=op, actor=actor)


def lock_dossier(actor: Actor, code: str) -> Dossier:
    """Returns a dossier of the actor's agency, its row locked until the transaction ends
    and read again once the lock is granted (NotFound for any other, whether it exists)."""
    dossier = db.session.scalars(
        select(Dossier)
        .where(Dossier.code == code, Dossier.agency_id == actor.agency_id)
        .with_for_update(of=Dossier)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if dossier is None:
        raise not_found("dossier")
    return dossier


def get_dossier(actor: Actor, code: str) -> Dossier:
    """Returns a dossier of the actor's agency (NotFound for any other, whether it exists)."""
    dossier = db.session.scalars(
        select(Dossier).where(Dossier.code == code, Dossier.agency_id == actor.agency_id)
    ).one_or_none()
    if dossier is None:
        raise not_found("dossier")
    return dossier


def describe_dossier(actor: Actor, code: str, at: datetime | None = None) -> Dossier:
    """Returns a dossier of the actor's agency with its `tasks` (oldest first, each saying
    whether it is overdue at `at`: the operation's instant, or now, and, once completed, its
    outcome), its `timeline` and, once finished, its `outcome` (early, on time, late)."""
    dossier = get_dossier(actor, code)
    op = operation()
    at = at or op.at
    calendar = op.calendar_of(dossier.agency_id)
    until = calendar.due_at(at, DUE_SOON_DAYS)
    dossier.tasks = []
    for task in dossier_tasks(dossier):
        summary = task_summary(task, at)
        summary["due_soon"] = is_due_soon(summary, at, until)
        done = task.completed_at if task.state == TaskState.COMPLETED.value else None
        summary["outcome"] = calendar.outcome(done, task.due_at) if done else None
        dossier.tasks.append(summary)
    dossier.outcome = None
    if dossier.finished_at is not None:
        # More than one supplement asked during processing counts as late, whatever the dates.
        late = dossier.counts_late
        dossier.outcome = "late" if late else calendar.outcome(dossier.finished_at, dossier.due_at)
    dossier.group_code = (
        db.session.scalar(select(GroupDossier.code).where(GroupDossier.id == dossier.group_id))
        if dossier.group_id
        else None
    )
    dossier.timeline = dossier_timeline(dossier)
    dossier.lookup_secret = lookup_secret(dossier.code)  # printed on the receipt
    return dossier


def dossier_timeline(dossier: Dossier) -> list[Event]:
    """Returns a dossier's events in the order they happened (time, then the order written:
    events of one transition share its instant)."""
    return list(
        db.session.scalars(
            select(Event).where(Event.dossier_id == dossier.id).order_by(Event.at, Event.id)
        )
    )


def dossier_tasks(dossier: Dossier) -> list[Task]:
    """Returns every task of a dossier, oldest first."""
    return list(
        db.session.scalars(
            select(Task).where(Task.dossier_id == dossier.id).order_by(Task.created_at, Task.id)
        )
    )
