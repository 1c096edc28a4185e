"""Dossiers: receive a new one (starting its workflow through the one write path) and read
one of the actor's agency with its tasks and timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine import Before, FormInvalid, ProcessInstance
from engine.calendar import TIMEZONE
from processes import CATALOGUE, RECEPTION_ROLE, Channel, DossierStatus, EventAction, dossier_code

from ..store import Dossier, Event, Task, db, insert_dossier, next_sequence
from .actor import Actor
from .errors import Forbidden, Invalid, field_errors, not_found
from .procedures import compiled, current_version
from .runtime import operation
from .tasks import task_summary
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
    procedure = CATALOGUE.get(procedure_code)
    if procedure is None:
        raise Invalid("unknown procedure", {"procedure": [f"no procedure {procedure_code!r}"]})
    if procedure.agency_kind != actor.agency_kind:
        raise Invalid(
            "this procedure is handled by another kind of agency",
            {
                "procedure": [
                    f"{procedure.code} is handled by {procedure.agency_kind.value} agencies"
                ]
            },
        )
    op = operation()
    version = current_version(procedure.code, op.at)
    if version is None:
        raise Invalid("procedure not deployed", {"procedure": ["no version is in effect"]})
    process = compiled(version)
    try:
        process.form(procedure.declaration_form).validate(data)
    except FormInvalid as exc:
        listed = sum(map(len, exc.errors.values()))
        message = f"the declaration has {listed + exc.more} error(s)"
        if exc.more:
            message += f"; {listed} are listed, {exc.more} more are not"
        raise Invalid(message, field_errors("data", exc.errors)) from None

    clock_started_at = op.calendar.clock_start(op.at)
    sequence = next_sequence(actor.agency_id, op.at.astimezone(TIMEZONE).date())
    code = dossier_code(actor.agency_code, op.at, sequence)
    with acting():  # a diagram whose first steps fail on this data: say so, write nothing
        instance = ProcessInstance.start(
            process, {"dossier_code": code, "applicant": applicant, "declaration": data}
        )
    status = int(instance.status() or DossierStatus.SUBMITTED)
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
            "declaration": data,
            "received_at": op.at,
            "received_by_id": actor.officer_id,
            "clock_started_at": clock_started_at,
            "due_at": op.calendar.due_at(clock_started_at, procedure.deadline.value),
            "calendar_version": op.calendar.version,
            "updated_at": op.at,
        }
    )
    act = Act(
        EventAction.SUBMITTED.value,
        detail={"channel": int(Channel(channel)), "procedure_version": version.version},
    )
    transition = apply(dossier, Before(status=None), instance, act, op=op, actor=actor)
    db.session.commit()
    return transition


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
    whether it is overdue at `at`: the operation's instant, or now) and its `timeline`."""
    dossier = get_dossier(actor, code)
    at = at or operation().at
    dossier.tasks = [task_summary(task, at) for task in dossier_tasks(dossier)]
    dossier.timeline = dossier_timeline(dossier)
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
