"""Apologies: an agency that will be late tells the applicant in advance, with the reason and
a new appointment date, approved by its leader.

The rules (docs/domain.md#apologies): no later than one working day before the due date;
at most once per dossier; the new date is a working day after the current appointment, and
its due instant is the close of that day's office; the first appointment is kept and shown.

In an interlinked group the applicant holds one appointment, the group's: an agency that
will be late apologises for the group (by the group's code, or its own dossier's in it). The
group's appointment moves, once per group, and so does the apologising agency's own dossier
and part (their new due instant is the group's new one); the other agencies' shares stay.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from processes import LEADER_ROLE, EventAction

from ..store import Dossier, GroupDossier, GroupPart, Officer, db, log_event
from .actor import Actor
from .dossiers import lock_dossier
from .errors import Conflict, Forbidden, Invalid, not_found
from .interlink import lock_group
from .runtime import Operation, operation

MAX_REASON = 2000


def apologize(actor: Actor, code: str, *, reason: object, new_date: object) -> Dossier:
    """Returns the dossier with its appointment moved to `new_date` (the caller commits); for
    a group (its code, or a member dossier's), the agency's dossier in it, with the group's
    appointment moved too. Forbidden unless a leader of the dossier's agency; Conflict for a
    second apology (of the dossier, or of its group), a finished dossier, or one later than 1
    working day before the appointment; Invalid for a missing reason or a date that is not a
    later working day."""
    if LEADER_ROLE not in actor.roles:
        raise Forbidden(f"an apology is approved by a leader (role {LEADER_ROLE})")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise Invalid(
            "say why the dossier will be late", {"reason": [f"1 to {MAX_REASON} characters"]}
        )
    dossier = lock_dossier(actor, _member_code(actor, code))
    group = lock_group(dossier.group_id) if dossier.group_id is not None else None
    op = operation()
    if dossier.finished_at is not None or (group is not None and group.finished_at is not None):
        raise Conflict("the dossier is finished: there is nothing to apologise for")
    if dossier.apology_at is not None or (group is not None and group.apology is not None):
        raise Conflict("the appointment was moved once already: an apology is made at most once")
    # The appointment the applicant holds: the dossier's, or its group's.
    holder = dossier if group is None else group
    new_due = _new_appointment(op, holder.agency_id, holder.due_at, new_date)
    reason = reason.strip()
    original = dossier.due_at
    dossier.original_due_at = original
    dossier.due_at = new_due
    dossier.calendar_version = op.calendar_of(holder.agency_id).version
    dossier.apology_at, dossier.apology_by_id = op.at, actor.officer_id
    dossier.apology_reason = reason
    dossier.version += 1
    dossier.updated_at = op.at
    detail = {
        "reason": reason,
        "original_due_at": original.isoformat(),
        "new_due_at": new_due.isoformat(),
    }
    if group is not None:
        _move_group(group, dossier, actor, op, reason, new_due)
        detail["group"] = group.code
        detail["group_original_due_at"] = group.original_due_at.isoformat()
    log_event(
        dossier_id=dossier.id,
        agency_id=dossier.agency_id,
        officer_id=actor.officer_id,
        action=EventAction.APOLOGIZED.value,
        status_before=dossier.status,
        status_after=dossier.status,
        at=op.at,
        detail=detail,
    )
    return dossier


def _member_code(actor: Actor, code: str) -> str:
    """Returns the code of the actor's agency's dossier: `code` itself, or, for a group's
    code, the agency's dossier in that group (NotFound when it holds none: it has nothing to
    apologise for yet, or the group is not one it takes part in)."""
    if db.session.scalar(
        select(Dossier.id).where(Dossier.code == code, Dossier.agency_id == actor.agency_id)
    ):
        return code
    member = db.session.scalar(
        select(Dossier.code)
        .join(GroupDossier, GroupDossier.id == Dossier.group_id)
        .where(GroupDossier.code == code, Dossier.agency_id == actor.agency_id)
    )
    if member is None:
        raise not_found("dossier")
    return member


def _new_appointment(op: Operation, agency_id: int, due_at: datetime, value: object) -> datetime:
    """Returns the due instant of the new appointment date, by the calendar of the agency
    that gave the appointment; Conflict when it is too late for an apology."""
    calendar = op.calendar_of(agency_id)
    day_length = calendar.office_hours.minutes_per_day * 60
    if calendar.working_time_between(op.at, due_at).total_seconds() < day_length:
        raise Conflict(
            "too late for an apology: it is made no later than 1 working day before the due "
            f"date ({due_at.astimezone(calendar.tz).isoformat(timespec='minutes')})"
        )
    day = _date(value)
    if day <= due_at.astimezone(calendar.tz).date() or not calendar.is_working_day(day):
        raise Invalid(
            "the new appointment must be a later working day",
            {"new_appointment": ["a working day after the current appointment"]},
        )
    return calendar.due_at(
        datetime.combine(day, calendar.office_hours.sessions[0][0], tzinfo=calendar.tz), 0
    )


def _move_group(
    group: GroupDossier,
    dossier: Dossier,
    actor: Actor,
    op: Operation,
    reason: str,
    new_due: datetime,
) -> None:
    """Moves the group's appointment and the apologising agency's part to the new due."""
    part = db.session.scalars(
        select(GroupPart).where(
            GroupPart.group_id == group.id, GroupPart.procedure_code == dossier.procedure_code
        )
    ).one()
    part.due_at = new_due
    leader = db.session.get(Officer, actor.officer_id)
    group.original_due_at = group.due_at
    group.due_at = new_due
    group.calendar_version = op.calendar_of(group.agency_id).version
    group.apology = {
        "at": op.at.isoformat(),
        "reason": reason,
        "agency": actor.agency_code,
        "dossier": dossier.code,
        "by": (leader.full_name or leader.username) if leader is not None else None,
    }
    group.updated_at = op.at


def _date(value: object) -> date:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else _refuse()
    except ValueError:
        return _refuse()


def _refuse() -> date:
    raise Invalid("invalid date", {"new_appointment": ["an ISO date, YYYY-MM-DD"]})
