"""Apologies: an agency that will be late tells the applicant in advance, with the reason and
a new appointment date, approved by its leader.

The rules (docs/domain.md#apologies): no later than one working day before the due date;
at most once per dossier; the new date is a working day after the current appointment, and
its due instant is the close of that day's office; the first appointment is kept and shown.
"""

from __future__ import annotations

from datetime import date, datetime

from processes import LEADER_ROLE, EventAction

from ..store import Dossier, log_event
from .actor import Actor
from .dossiers import lock_dossier
from .errors import Conflict, Forbidden, Invalid
from .runtime import operation

MAX_REASON = 2000


def apologize(actor: Actor, code: str, *, reason: object, new_date: object) -> Dossier:
    """Returns the dossier with its appointment moved to `new_date` (the caller commits).
    Forbidden unless a leader of the dossier's agency; Conflict for a second apology, a
    finished dossier, or one later than 1 working day before the due date; Invalid for a
    missing reason or a date that is not a later working day."""
    if LEADER_ROLE not in actor.roles:
        raise Forbidden(f"an apology is approved by a leader (role {LEADER_ROLE})")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise Invalid(
            "say why the dossier will be late", {"reason": [f"1 to {MAX_REASON} characters"]}
        )
    dossier = lock_dossier(actor, code)
    op = operation()
    calendar = op.calendar_of(dossier.agency_id)
    if dossier.finished_at is not None:
        raise Conflict("the dossier is finished: there is nothing to apologise for")
    if dossier.apology_at is not None:
        raise Conflict("the appointment was moved once already: an apology is made at most once")
    day_length = calendar.office_hours.minutes_per_day * 60
    if calendar.working_time_between(op.at, dossier.due_at).total_seconds() < day_length:
        raise Conflict(
            "too late for an apology: it is made no later than 1 working day before the due "
            f"date ({dossier.due_at.astimezone(calendar.tz).isoformat(timespec='minutes')})"
        )
    day = _date(new_date)
    if day <= dossier.due_at.astimezone(calendar.tz).date() or not calendar.is_working_day(day):
        raise Invalid(
            "the new appointment must be a later working day",
            {"new_appointment": ["a working day after the current appointment"]},
        )
    new_due = calendar.due_at(
        datetime.combine(day, calendar.office_hours.sessions[0][0], tzinfo=calendar.tz), 0
    )
    original = dossier.due_at
    dossier.original_due_at = original
    dossier.due_at, dossier.calendar_version = new_due, calendar.version
    dossier.apology_at, dossier.apology_by_id = op.at, actor.officer_id
    dossier.apology_reason = reason.strip()
    dossier.version += 1
    dossier.updated_at = op.at
    log_event(
        dossier_id=dossier.id,
        agency_id=dossier.agency_id,
        officer_id=actor.officer_id,
        action=EventAction.APOLOGIZED.value,
        status_before=dossier.status,
        status_after=dossier.status,
        at=op.at,
        detail={
            "reason": dossier.apology_reason,
            "original_due_at": original.isoformat(),
            "new_due_at": new_due.isoformat(),
        },
    )
    return dossier


def _date(value: object) -> date:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else _refuse()
    except ValueError:
        return _refuse()


def _refuse() -> date:
    raise Invalid("invalid date", {"new_appointment": ["an ISO date, YYYY-MM-DD"]})
