"""The legal slips of a dossier, gathered from the database and printed by api/documents:
receipt, supplement request, refusal, apology, control slip (groups), stop notice, and the
register of an agency's dossiers for a period. Agency-scoped like the dossier view: another
agency's dossier is the same NotFound as one that does not exist; a slip the dossier never
had (no apology, no refusal…) is NotFound too."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from engine.calendar import TIMEZONE
from processes import DossierStatus, EventAction, TaskState

from ..documents import slips
from ..store import Agency, Dossier, Event, GroupDossier, Officer, Task, db
from .actor import Actor
from .catalogue import group_spec, member_procedure, procedure_for
from .errors import Invalid, NotFound, not_found
from .groups import get_group
from .interlink import parts_of
from .lookup import lookup_secret, lookup_url
from .runtime import operation

KINDS = ("tiep-nhan", "bo-sung", "tu-choi", "xin-loi", "kiem-soat", "dung-xu-ly")
MAX_REGISTER_DAYS = 366
MAX_REGISTER_ROWS = 2000  # about 3 ms a row to lay out: a register stays a few seconds
# Statuses a dossier reaches only once reception accepted it (the receipt was issued).
_ACCEPTED = {2, 4, 6, 9, 10}
_STOP_REASONS = {
    "the applicant did not bring the supplement within its window": (
        "Quá thời hạn bổ sung, hoàn thiện hồ sơ mà người nộp hồ sơ chưa bổ sung."
    )
}


@dataclass(frozen=True)
class Pdf:
    filename: str
    content: bytes


def agency_info(agency: Agency) -> slips.AgencyInfo:
    return slips.AgencyInfo(code=agency.code, name=agency.name)


def _person(applicant: dict[str, Any]) -> slips.Person:
    return slips.Person(
        full_name=str(applicant.get("full_name", "")),
        address=str(applicant.get("address", "") or ""),
        phone=str(applicant.get("phone", "") or ""),
        email=str(applicant.get("email", "") or ""),
    )


def _officer_name(officer_id: int | None) -> str:
    if officer_id is None:
        return ""
    officer = db.session.get(Officer, officer_id)
    return (officer.full_name or officer.username) if officer else ""


def dossier_info(dossier: Dossier) -> slips.DossierInfo:
    procedure = procedure_for(dossier)
    items = []
    for item in (dossier.declaration or {}).get("documents") or []:
        if isinstance(item, dict) and item.get("name"):
            items.append(
                slips.Item(str(item["name"]), str(item.get("kind", "")), int(item.get("count", 1)))
            )
    return slips.DossierInfo(
        code=dossier.code,
        procedure_code=procedure.code,
        procedure_name=procedure.name,
        applicant=_person(dossier.applicant or {}),
        received_at=dossier.received_at,
        due_at=dossier.original_due_at or dossier.due_at,
        deadline_days=procedure.deadline.value,
        channel=dossier.channel,
        items=tuple(items),
        received_by=_officer_name(dossier.received_by_id),
    )


def _events(dossier: Dossier, action: str | None = None) -> list[Event]:
    query = select(Event).where(Event.dossier_id == dossier.id)
    if action is not None:
        query = query.where(Event.action == action)
    return list(db.session.scalars(query.order_by(Event.at, Event.id)))


def _answers(dossier: Dossier) -> list[tuple[Task, dict[str, Any]]]:
    """Returns the dossier's completed tasks with their answers, oldest first."""
    rows = db.session.execute(
        select(Task, Task.submitted)
        .where(Task.dossier_id == dossier.id, Task.state == TaskState.COMPLETED.value)
        .order_by(Task.completed_at, Task.id)
    ).all()
    return [(task, submitted or {}) for task, submitted in rows]


def _own_dossier(actor: Actor, code: str) -> Dossier | None:
    return db.session.scalars(
        select(Dossier).where(Dossier.code == code, Dossier.agency_id == actor.agency_id)
    ).one_or_none()


def slip(actor: Actor, code: str, kind: str) -> Pdf:
    """Returns a slip of a dossier of the actor's agency (`kiem-soat`: of a group dossier it
    received or holds a part of, by the group's code or a member dossier's); NotFound when the
    dossier is not the agency's or never had that slip."""
    if kind not in KINDS:
        raise not_found("slip")
    if kind == "kiem-soat":
        return _control(actor, code)
    dossier = _own_dossier(actor, code)
    if dossier is None:
        raise not_found("dossier")
    content = {
        "tiep-nhan": _receipt,
        "bo-sung": _supplement,
        "tu-choi": _refusal,
        "xin-loi": _apology,
        "dung-xu-ly": _stop,
    }[kind](dossier)
    if content is None:
        raise NotFound(f"the dossier has no slip {kind!r}")
    return Pdf(f"{kind}-{dossier.code}.pdf", content)


def _receipt(dossier: Dossier) -> bytes | None:
    reached = {e.status_after for e in _events(dossier)} | {dossier.status}
    if not reached & _ACCEPTED:
        return None  # not (yet) accepted at reception: a supplement or refusal slip instead
    return slips.receipt(
        agency_info(dossier.agency),
        dossier_info(dossier),
        lookup_secret=lookup_secret(dossier.code),
        lookup_url=lookup_url(dossier.code),
    )


def _supplement(dossier: Dossier) -> bytes | None:
    """The latest supplement request: at reception (the reception step's answer listing the
    missing documents) or during processing (the request's event)."""
    found: tuple[datetime, list[str], str, int | None, datetime | None] | None = None
    for task, answers in _answers(dossier):
        if answers.get("decision") == "supplement" and answers.get("missing_documents"):
            found = (
                task.completed_at,
                [str(item) for item in answers["missing_documents"]],
                str(answers.get("note", "") or ""),
                task.completed_by_id,
                None,
            )
    for event in _events(dossier, EventAction.SUPPLEMENT_REQUESTED.value):
        if found is None or event.at >= found[0]:
            detail = event.detail or {}
            window = detail.get("supplement_due_at")
            found = (
                event.at,
                [str(item) for item in detail.get("missing") or []],
                str(detail.get("reason", "") or ""),
                event.officer_id,
                datetime.fromisoformat(window) if window else None,
            )
    if found is None:
        return None
    at, items, reason, officer_id, window = found
    return slips.supplement_request(
        agency_info(dossier.agency),
        dossier_info(dossier),
        items=items,
        reason=reason,
        requested_at=at,
        window_ends_at=window,
        officer=_officer_name(officer_id),
    )


def _refusal(dossier: Dossier) -> bytes | None:
    for task, answers in reversed(_answers(dossier)):
        if answers.get("decision") == "refuse" or answers.get("refusal_reason"):
            reason = str(answers.get("refusal_reason") or answers.get("note") or "")
            return slips.refusal(
                agency_info(dossier.agency),
                dossier_info(dossier),
                reasons=[line for line in reason.splitlines() if line.strip()] or [reason],
                refused_at=task.completed_at,
                officer=_officer_name(task.completed_by_id),
            )
    return None


def _apology(dossier: Dossier) -> bytes | None:
    if dossier.apology_at is None or dossier.original_due_at is None:
        return None
    info, original = dossier_info(dossier), dossier.original_due_at
    group = db.session.get(GroupDossier, dossier.group_id) if dossier.group_id else None
    if group is not None and group.original_due_at is not None:
        # The apology moved a group's appointment: the applicant holds the group's code, and
        # its first appointment, not this agency's share of it.
        info = replace(info, code=group.code, received_at=group.received_at)
        original = group.original_due_at
    return slips.apology(
        agency_info(dossier.agency),
        info,
        reason=dossier.apology_reason or "",
        original_due_at=original,
        new_due_at=dossier.due_at,
        apologized_at=dossier.apology_at,
        signer=_officer_name(dossier.apology_by_id),
    )


def _stop(dossier: Dossier) -> bytes | None:
    if dossier.status != int(DossierStatus.STOPPED):
        return None
    events = _events(dossier, EventAction.STOPPED.value)
    event = events[-1] if events else None
    reason = str((event.detail or {}).get("reason", "")) if event else ""
    return slips.stop_notice(
        agency_info(dossier.agency),
        dossier_info(dossier),
        reason=_STOP_REASONS.get(reason, reason),
        stopped_at=event.at if event else (dossier.finished_at or dossier.updated_at),
        signer=_officer_name(event.officer_id) if event else "",
    )


def _control(actor: Actor, code: str) -> Pdf:
    group = get_group(actor, code)
    if group is None:
        dossier = _own_dossier(actor, code)
        if dossier is None or dossier.group_id is None:
            raise not_found("dossier")
        group = db.session.get(GroupDossier, dossier.group_id)
    op = operation()
    rows = []
    for part in parts_of(group.id):
        procedure = member_procedure(group, part.procedure_code)
        rows.append(
            slips.ControlRow(
                agency=part.agency.name if part.agency else "(chưa chuyển)",
                procedure=procedure.name,
                handed_over_at=part.handed_over_at,
                taken_over_at=part.taken_over_at,
                due_at=part.due_at,
                finished_at=part.finished_at,
                outcome=part.outcome,
                status=DossierStatus(part.status).label if part.status else "",
            )
        )
    outcome = (
        op.calendar_of(group.agency_id).outcome(group.finished_at, group.due_at)
        if group.finished_at
        else None
    )
    content = slips.control_slip(
        agency_info(group.agency),
        code=group.code,
        group_name=group_spec(group).name,
        applicant=slips.Person(group.applicant_name),
        received_at=group.received_at,
        due_at=group.due_at,
        rows=rows,
        printed_at=op.at,
        outcome=outcome,
        original_due_at=group.original_due_at,
        apology_by=_apologising_agency(group),
    )
    return Pdf(f"kiem-soat-{group.code}.pdf", content)


def _apologising_agency(group: GroupDossier) -> str | None:
    if not group.apology:
        return None
    agency = db.session.scalars(
        select(Agency).where(Agency.code == group.apology.get("agency"))
    ).one_or_none()
    return agency.name if agency is not None else group.apology.get("agency")


def parse_period(start: str | None, end: str | None) -> tuple[date, date]:
    """Returns the register's period from its query values; Invalid names what is wrong."""
    errors: dict[str, list[str]] = {}
    days: dict[str, date] = {}
    for name, value in (("from", start), ("to", end)):
        try:
            if not value:
                raise ValueError
            days[name] = date.fromisoformat(value)
            if len(value) != 10:
                raise ValueError
        except ValueError:
            errors[f"query.{name}"] = ["a date YYYY-MM-DD is required"]
    if errors:
        raise Invalid("the period is invalid", errors)
    if days["to"] < days["from"]:
        raise Invalid("the period is invalid", {"query.to": ["must not be before from"]})
    if (days["to"] - days["from"]).days + 1 > MAX_REGISTER_DAYS:
        raise Invalid(
            "the period is too long",
            {"query.to": [f"a register covers at most {MAX_REGISTER_DAYS} days"]},
        )
    return days["from"], days["to"]


def register(actor: Actor, start: date, end: date) -> Pdf:
    """Returns the register (Sổ theo dõi hồ sơ) of the actor's agency: every dossier it
    received from `start` to `end` (days in Vietnam), in the order received."""
    lower = datetime.combine(start, time(0), tzinfo=TIMEZONE)
    upper = datetime.combine(end + timedelta(days=1), time(0), tzinfo=TIMEZONE)
    dossiers = list(
        db.session.scalars(
            select(Dossier)
            .where(
                Dossier.agency_id == actor.agency_id,
                Dossier.received_at >= lower,
                Dossier.received_at < upper,
            )
            .order_by(Dossier.received_at, Dossier.id)
            .limit(MAX_REGISTER_ROWS + 1)
        )
    )
    if len(dossiers) > MAX_REGISTER_ROWS:
        raise Invalid(
            "the period holds too many dossiers for one register",
            {"query.to": [f"at most {MAX_REGISTER_ROWS} dossiers: choose a shorter period"]},
        )
    op = operation()
    calendar = op.calendar_of(actor.agency_id)
    agency = db.session.get(Agency, actor.agency_id)
    rows = []
    for dossier in dossiers:
        applicant = dossier.applicant or {}
        contact = ", ".join(
            str(applicant[key]) for key in ("address", "phone") if applicant.get(key)
        )
        outcome = None
        if dossier.finished_at is not None:
            outcome = (
                "late"
                if dossier.counts_late
                else calendar.outcome(dossier.finished_at, dossier.due_at)
            )
        rows.append(
            slips.RegisterRow(
                code=dossier.code,
                procedure=procedure_for(dossier).name,
                applicant=dossier.applicant_name,
                contact=contact,
                agency=agency.name,
                received_at=dossier.received_at,
                due_at=dossier.due_at,
                finished_at=dossier.finished_at,
                status=DossierStatus(dossier.status).label,
                outcome=outcome,
            )
        )
    content = slips.register(agency_info(agency), start=start, end=end, rows=rows, printed_at=op.at)
    return Pdf(f"so-theo-doi-{agency.code}-{start:%Y%m%d}-{end:%Y%m%d}.pdf", content)
