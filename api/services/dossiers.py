"""Returns dossiers: receives a new one (starting its workflow) and reads one for its agency."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import select

from engine import FormInvalid, ProcessInstance
from engine.calendar import TIMEZONE
from processes import CATALOGUE, RECEPTION_ROLE, Channel, DossierStatus

from .auth import Caller
from .dossier_store import (
    Actor,
    DossierRef,
    dossier_code,
    insert_dossier,
    next_sequence,
    save_instance,
)
from .errors import ApiError, not_found
from .extensions import db
from .models import Dossier, Event, EventAction, Task
from .procedures import compiled, current_version
from .runtime import now, runtime


def submit_dossier(
    caller: Caller, *, procedure_code: str, applicant: dict[str, Any], channel: int,
    data: dict[str, Any],
) -> Dossier:
    """Returns the new dossier, received by the caller's agency, its first tasks opened."""
    if RECEPTION_ROLE not in caller.roles:
        raise ApiError(403, f"only an officer with role {RECEPTION_ROLE} receives dossiers")
    procedure = CATALOGUE.get(procedure_code)
    if procedure is None:
        raise ApiError(422, "unknown procedure", {"procedure": [f"no procedure {procedure_code!r}"]})
    if procedure.agency_kind != caller.agency_kind:
        raise ApiError(
            422,
            "this procedure is handled by another kind of agency",
            {"procedure": [f"{procedure.code} is handled by {procedure.agency_kind.value} agencies"]},
        )
    received_at = now()
    version = current_version(procedure.code, received_at)
    if version is None:
        raise ApiError(422, "procedure not deployed", {"procedure": ["no version is in effect"]})
    process = compiled(version)
    try:
        process.form(procedure.declaration_form).validate(data)
    except FormInvalid as exc:
        raise ApiError(
            422,
            f"the declaration has {sum(map(len, exc.errors.values()))} error(s)",
            {f"data.{field}": messages for field, messages in exc.errors.items()},
        ) from None

    calendar = runtime().calendar
    clock_started_at = calendar.clock_start(received_at)
    code = dossier_code(
        caller.agency_code,
        received_at,
        next_sequence(caller.agency_id, received_at.astimezone(TIMEZONE).date()),
    )
    try:
        instance = ProcessInstance.start(
            process, {"dossier_code": code, "applicant": applicant, "declaration": data}
        )
    except SpiffWorkflowException as exc:
        # A diagram whose first steps fail on this data: say so, write nothing.
        raise ApiError(422, f"the procedure could not start with this data: {exc}") from None
    status = int(instance.status() or DossierStatus.SUBMITTED)
    values = {
        "code": code,
        "agency_id": caller.agency_id,
        "procedure_version_id": version.id,
        "procedure_code": procedure.code,
        "status": status,
        "applicant": applicant,
        "applicant_name": applicant["full_name"],
        "channel": int(Channel(channel)),
        "declaration": data,
        "received_at": received_at,
        "received_by_id": caller.officer_id,
        "clock_started_at": clock_started_at,
        "due_at": calendar.due_at(clock_started_at, procedure.deadline.value),
        "calendar_version": calendar.version,
        "workflow_state": "",  # written with the first save below
        "state_format": "",
        "spiff_version": "",
        "version": 0,
        "updated_at": received_at,
    }
    dossier = DossierRef(
        id=insert_dossier(values),
        code=code,
        agency_id=caller.agency_id,
        procedure_code=procedure.code,
        procedure_version_id=version.id,
        status=status,
        version=0,
        workflow_state="",
        spiff_version="",
    )
    save_instance(
        dossier,
        instance,
        open_before=set(),
        at=received_at,
        actor=Actor(caller.officer_id, caller.agency_id),
        action=EventAction.SUBMITTED.value,
        status_before=None,
        detail={"channel": values["channel"], "procedure_version": version.version},
    )
    db.session.commit()
    return get_dossier(caller, code)


def get_dossier(caller: Caller, code: str) -> Dossier:
    """Returns a dossier of the caller's agency (404 for any other, whether it exists or not)."""
    dossier = db.session.scalars(
        select(Dossier).where(Dossier.code == code, Dossier.agency_id == caller.agency_id)
    ).one_or_none()
    if dossier is None:
        raise not_found("dossier")
    return dossier


def dossier_timeline(dossier: Dossier) -> list[Event]:
    """Returns a dossier's events, oldest first."""
    return list(
        db.session.scalars(
            select(Event).where(Event.dossier_id == dossier.id).order_by(Event.at, Event.id)
        )
    )


def dossier_tasks(dossier: Dossier) -> list[Task]:
    """Returns every task of a dossier, oldest first."""
    return list(
        db.session.scalars(
            select(Task)
            .where(Task.dossier_id == dossier.id)
            .order_by(Task.created_at, Task.id)
        )
    )
