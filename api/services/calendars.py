"""The override calendar and agencies' office hours, as administrators change them.

The law's holidays come from the `holidays` package; administrators add days off and
working days beyond it (a province's own day off, a make-up Saturday declared late). Every
change writes a new version of the whole override calendar, with what changed, who and
when; the newest is in force, and the due dates written from then on record its version.
Changing the calendar never moves a due date already given: appointments and step due
dates keep the calendar they were computed with (their `calendar_version` says which).
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from sqlalchemy import null, select

from engine import OfficeHours, WorkingCalendar
from processes import OPERATOR_ROLE

from ..store import Agency, CalendarVersion, db
from .actor import Actor
from .errors import Conflict, Forbidden, Invalid
from .runtime import Operation, office_hours_of, runtime

DAY_OFF, WORKING_DAY = "day_off", "working_day"
KINDS = (DAY_OFF, WORKING_DAY)
# Overrides are for the years a calendar can still matter to a dossier.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_REASON = 500
MAX_HISTORY = 50
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def current_calendar() -> CalendarVersion | None:
    """Returns the override calendar in force (None before any override was made)."""
    return db.session.scalars(
        select(CalendarVersion).order_by(CalendarVersion.id.desc()).limit(1)
    ).one_or_none()


def describe_calendar(op: Operation, agency_id: int | None = None) -> dict[str, Any]:
    """Returns the calendar in force for an agency (the national one by default): its
    version, every override with its reason, its office hours, and the history of changes
    (newest first)."""
    row = current_calendar()
    overrides = []
    if row is not None:
        for kind, days in ((DAY_OFF, row.days_off), (WORKING_DAY, row.working_days)):
            overrides += [
                {"date": day, "kind": kind, "reason": row.reasons.get(day, "")} for day in days
            ]
    overrides.sort(key=lambda item: item["date"])
    history = db.session.scalars(
        select(CalendarVersion).order_by(CalendarVersion.id.desc()).limit(MAX_HISTORY)
    )
    calendar = op.calendar_of(agency_id)
    return {
        "version": calendar.version,
        "office_hours": _hours_dict(calendar.office_hours),
        "overrides": overrides,
        "history": [
            {"version": h.version, "change": h.change, "at": h.created_at, "by_id": h.created_by_id}
            for h in history
        ],
    }


def set_day(
    op: Operation, actor: Actor | None, day: Any, kind: Any, reason: Any
) -> CalendarVersion:
    """Returns the new calendar version in which `day` is a day off or a working day (the
    caller commits); Invalid for a bad date, kind or reason; Conflict if nothing changes."""
    _check_operator(actor)
    when = _date(day)
    if kind not in KINDS:
        raise Invalid("unknown kind of day", {"kind": [f"one of {list(KINDS)}"]})
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise Invalid("say why", {"reason": [f"1 to {MAX_REASON} characters"]})
    days_off, working_days, reasons = _current_sets()
    iso = when.isoformat()
    target, other = (days_off, working_days) if kind == DAY_OFF else (working_days, days_off)
    if iso in target:
        raise Conflict(f"{iso} is already a {kind.replace('_', ' ')}")
    other.discard(iso)
    target.add(iso)
    reasons[iso] = reason.strip()
    label = "day off" if kind == DAY_OFF else "working day"
    return _write(
        op, actor, days_off, working_days, reasons, f"{iso} is a {label}: {reason.strip()}"
    )


def remove_day(op: Operation, actor: Actor | None, day: Any) -> CalendarVersion:
    """Returns the new calendar version without the override of `day` (the law's calendar
    applies to it again); Conflict when it has none."""
    _check_operator(actor)
    iso = _date(day).isoformat()
    days_off, working_days, reasons = _current_sets()
    if iso not in days_off and iso not in working_days:
        raise Conflict(f"{iso} has no override")
    days_off.discard(iso)
    working_days.discard(iso)
    reasons.pop(iso, None)
    return _write(op, actor, days_off, working_days, reasons, f"{iso}: override removed")


def set_office_hours(actor: Actor | None, agency_code: str, sessions: Any, cutoff: Any) -> Agency:
    """Returns the agency with its own office sessions and cut-off (the caller commits);
    `sessions` None puts it back on the national default. Due dates already given keep the
    hours they were computed with."""
    _check_operator(actor)
    agency = db.session.scalars(select(Agency).where(Agency.code == agency_code)).one_or_none()
    if agency is None or (actor is not None and actor.agency_id != agency.id):
        raise Invalid("unknown agency", {"agency": [f"no agency {agency_code} of yours"]})
    if sessions is None:
        agency.office_hours = null()  # SQL NULL, not a JSON null
    else:
        value = _hours_value(sessions, cutoff)
        try:
            office_hours_of(value)
        except ValueError as exc:
            raise Invalid("invalid office hours", {"sessions": [str(exc)]}) from None
        agency.office_hours = value
    runtime().forget_calendars()
    return agency


def _check_operator(actor: Actor | None) -> None:
    if actor is not None and OPERATOR_ROLE not in actor.roles:
        raise Forbidden(f"only an operator (role {OPERATOR_ROLE}) changes the calendar")


def _date(value: Any) -> date:
    try:
        when = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise Invalid(
            "invalid date", {"date": [f"an ISO date (YYYY-MM-DD) in {FIRST_YEAR}–{LAST_YEAR}"]}
        )
    return when


def _current_sets() -> tuple[set[str], set[str], dict[str, str]]:
    row = current_calendar()
    if row is None:
        return set(), set(), {}
    return set(row.days_off), set(row.working_days), dict(row.reasons)


def _write(op, actor, days_off, working_days, reasons, change) -> CalendarVersion:
    calendar = WorkingCalendar(extra_holidays=days_off, extra_workdays=working_days)
    row = CalendarVersion(
        version=calendar.version,
        days_off=sorted(days_off),
        working_days=sorted(working_days),
        reasons={day: reasons[day] for day in sorted(reasons)},
        change=change[:600],
        created_at=op.at,
        created_by_id=actor.officer_id if actor is not None else None,
    )
    db.session.add(row)
    db.session.flush()
    runtime().forget_calendars()
    return row


def _hours_value(sessions: Any, cutoff: Any) -> dict[str, Any]:
    if not isinstance(sessions, list) or not 1 <= len(sessions) <= 4:
        raise Invalid("invalid office hours", {"sessions": ["1 to 4 [start, end] pairs"]})
    pairs = []
    for index, pair in enumerate(sessions):
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(t, str) and _CLOCK.match(t) for t in pair)
        ):
            raise Invalid("invalid office hours", {f"sessions.{index}": ['["HH:MM", "HH:MM"]']})
        pairs.append([pair[0], pair[1]])
    if not isinstance(cutoff, str) or not _CLOCK.match(cutoff):
        raise Invalid("invalid cut-off", {"cutoff": ["HH:MM"]})
    return {"sessions": pairs, "cutoff": cutoff}


def _hours_dict(hours: OfficeHours) -> dict[str, Any]:
    def clock(value: time) -> str:
        return value.strftime("%H:%M")

    return {
        "sessions": [[clock(start), clock(end)] for start, end in hours.sessions],
        "cutoff": clock(hours.cutoff),
    }
