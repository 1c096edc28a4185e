"""Interlinked groups: receive one submission for several agencies, describe a group dossier
(the electronic control slip), and publish each procedure's and group's declaration schema.

Receiving a group dossier writes, in one transaction: the group dossier (one code, one
appointment date from the group's deadline), one part per chosen procedure, and the first
agency's own dossier, started through the one write path with the other agencies' parts of
the declaration in its `group` data, for its diagram to hand on in the messages it throws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine import FormInvalid
from engine.calendar import TIMEZONE
from processes import RECEPTION_ROLE, Channel, Group, dossier_code

from ..store import (
    Dossier,
    GroupDossier,
    GroupPart,
    GroupVersion,
    ProcedureVersion,
    db,
    next_sequence,
)
from .actor import Actor
from .catalogue import (
    current_group_version,
    group_of,
    group_spec,
    groups_with,
    member_procedure,
    procedure_of,
    procedure_of_version_id,
)
from .dossiers import open_dossier
from .errors import Forbidden, Invalid, NotFound, field_errors, not_found
from .handoffs import group_context
from .interlink import parts_of
from .lookup import lookup_secret
from .procedures import compiled, current_version, step_summaries
from .runtime import Operation, commit, operation
from .transitions import Transition


@dataclass(frozen=True)
class GroupReceipt:
    group: GroupDossier
    first: Transition


def receive_group(
    actor: Actor,
    *,
    group_code: str,
    applicant: dict[str, Any],
    channel: int,
    data: dict[str, Any],
    procedures: list[str] | None = None,
    verification: bool = False,
) -> GroupReceipt:
    """Returns a new group dossier received in the actor's agency, with its first agency's
    dossier started; the other agencies receive theirs as that dossier's diagram hands them
    on."""
    if RECEPTION_ROLE not in actor.roles:
        raise Forbidden(f"only an officer with role {RECEPTION_ROLE} receives dossiers")
    group_version = current_group_version(group_code, operation().at)
    if group_version is None:
        raise Invalid("unknown procedure", {"procedure": [f"no group {group_code!r}"]})
    group = group_of(group_version)
    pinned = group_version.member_versions
    first = procedure_of_version_id(pinned[group.first.code])
    if first.agency_kind != actor.agency_kind:
        raise Invalid(
            "this group is received by another kind of agency",
            {"procedure": [f"{group.code} is received by {first.agency_kind.value} agencies"]},
        )
    chosen = _chosen(group, procedures)
    op = operation()
    versions = {
        code: db.session.get(ProcedureVersion, pinned[code])
        if code in pinned
        else current_version(code, op.at)
        for code in chosen
    }
    missing = [code for code, version in versions.items() if version is None]
    if missing:
        raise Invalid(
            "procedure not deployed", {"procedures": [f"{c} has no version" for c in missing]}
        )
    parts = _check_parts(group, chosen, versions, data)

    calendar = op.calendar_of(actor.agency_id)
    clock_started_at = calendar.clock_start(op.at)
    sequence = next_sequence(actor.agency_id, op.at.astimezone(TIMEZONE).date())
    record = GroupDossier(
        code=dossier_code(actor.agency_code, op.at, sequence),
        group_code=group.code,
        group_version_id=group_version.id,
        agency_id=actor.agency_id,
        status=1,
        applicant=applicant,
        applicant_name=applicant["full_name"],
        channel=int(Channel(channel)),
        declaration=data,
        procedures=chosen,
        verification=verification,
        received_at=op.at,
        received_by_id=actor.officer_id,
        clock_started_at=clock_started_at,
        due_at=calendar.due_at(clock_started_at, group.deadline_days(verification)),
        calendar_version=calendar.version,
        updated_at=op.at,
    )
    db.session.add(record)
    db.session.flush()
    for position, member in enumerate(group.members):
        if member.code not in chosen:
            continue
        share = member.share_days
        if verification and member.share_days_verification is not None:
            share = member.share_days_verification
        db.session.add(
            GroupPart(
                group_id=record.id,
                procedure_code=member.code,
                position=position,
                share_days=share,
                agency_id=actor.agency_id if position == 0 else None,
                handed_over_at=op.at if position == 0 else None,
                taken_over_at=op.at if position == 0 else None,
            )
        )
    db.session.flush()
    context = {**group_context(record), "parts": parts}
    transition = open_dossier(
        actor,
        op,
        first,
        versions[first.code],
        applicant=applicant,
        channel=channel,
        declaration=data[first.process_id],
        group=context,
        group_id=record.id,
        budget_days=group.first.share_days,
        detail={"group": record.code},
    )
    first_part = parts_of(record.id)[0]
    first_part.dossier_id = transition.dossier.id
    first_part.due_at = db.session.get(Dossier, transition.dossier.id).due_at
    commit()
    return GroupReceipt(record, transition)


def _chosen(group: Group, procedures: list[str] | None) -> list[str]:
    """Returns the chosen procedure codes in the group's order, or Invalid."""
    members = [m.code for m in group.members]
    if procedures is None:
        if any(m.optional for m in group.members):
            raise Invalid(
                "choose the procedures to request",
                {"procedures": [f"choose from {members}; {members[0]} is always included"]},
            )
        return members
    unknown = [code for code in procedures if code not in members]
    if unknown:
        raise Invalid(
            "unknown procedure", {"procedures": [f"{c} is not in {group.code}" for c in unknown]}
        )
    if len(set(procedures)) != len(procedures):
        raise Invalid("a procedure is chosen twice", {"procedures": ["list each once"]})
    chosen = set(procedures) | {members[0]}
    required = {m.code for m in group.members if not m.optional}
    if not required <= chosen:
        raise Invalid(
            "a required procedure is missing",
            {"procedures": [f"{sorted(required - chosen)} are required"]},
        )
    low, high = group.min_procedures or len(members), group.max_procedures or len(members)
    if not low <= len(chosen) <= high:
        raise Invalid(
            "wrong number of procedures",
            {"procedures": [f"choose {low} to {high} procedures, {members[0]} included"]},
        )
    return [code for code in members if code in chosen]


def _check_parts(group, chosen, versions, data) -> dict[str, Any]:
    """Returns the follow-on parts of the declaration by process id, after validating every
    part with its procedure's form (Invalid naming every field of every part)."""
    members = {code: procedure_of(versions[code]) for code in chosen}
    expected = {procedure.process_id: code for code, procedure in members.items()}
    errors: dict[str, list[str]] = {}
    for key in data:
        if key not in expected:
            errors[f"data.{key}"] = ["not a part of the chosen procedures"]
    for process_id, code in expected.items():
        procedure = members[code]
        form_key = (
            procedure.declaration_form if code == group.first.code else procedure.group_part_form
        )
        if process_id not in data:
            errors[f"data.{process_id}"] = ["missing"]
            continue
        if not isinstance(data[process_id], dict):
            errors[f"data.{process_id}"] = ["must be an object"]
            continue
        try:
            compiled(versions[code]).form(form_key).validate(data[process_id])
        except FormInvalid as exc:
            errors.update(field_errors(f"data.{process_id}", exc.errors))
    if errors:
        raise Invalid(f"the declaration has {sum(map(len, errors.values()))} error(s)", errors)
    first = members[group.first.code].process_id
    return {key: value for key, value in data.items() if key != first}


def get_group(actor: Actor, code: str) -> GroupDossier | None:
    """Returns a group dossier the actor's agency received or holds a part of, else None."""
    group = db.session.scalars(select(GroupDossier).where(GroupDossier.code == code)).one_or_none()
    if group is None:
        return None
    if group.agency_id == actor.agency_id:
        return group
    mine = db.session.scalar(
        select(GroupPart.id).where(
            GroupPart.group_id == group.id, GroupPart.agency_id == actor.agency_id
        )
    )
    return group if mine is not None else None


def describe_group(actor: Actor, code: str, at: datetime | None = None) -> dict[str, Any]:
    """Returns a group dossier as the actor's agency may see it: the appointment, the status
    and each agency's part (handed over, taken over, due, finished, outcome: the electronic
    control slip); the declaration only to the agency that received it."""
    group = get_group(actor, code)
    if group is None:
        raise not_found("dossier")
    spec = group_spec(group)
    op = operation()
    at = at or op.at
    dossiers = {
        row.id: row.code
        for row in db.session.execute(
            select(Dossier.id, Dossier.code).where(
                Dossier.group_id == group.id, Dossier.agency_id == actor.agency_id
            )
        )
    }
    parts = []
    for part in parts_of(group.id):
        procedure = member_procedure(group, part.procedure_code)
        overdue = part.finished_at is None and part.due_at is not None and part.due_at < at
        parts.append(
            {
                "procedure": part.procedure_code,
                "name": procedure.name,
                "agency": {
                    "code": part.agency.code,
                    "name": part.agency.name,
                    "external": part.agency.is_external,
                }
                if part.agency
                else None,
                "dossier_code": dossiers.get(part.dossier_id),
                "status": part.status,
                "share_days": part.share_days.normalize(),  # 2, not 2.000: as the catalogue
                "handed_over_at": part.handed_over_at,
                "taken_over_at": part.taken_over_at,
                "due_at": part.due_at,
                "finished_at": part.finished_at,
                "outcome": part.outcome,
                "overdue": overdue,
            }
        )
    mine = group.agency_id == actor.agency_id
    return {
        "code": group.code,
        "kind": "group",
        "group_code": group.group_code,
        "group_version": (
            db.session.get(GroupVersion, group.group_version_id).version
            if group.group_version_id is not None
            else None
        ),
        "name": spec.name,
        "agency": {"code": group.agency.code, "name": group.agency.name},
        "status": group.status,
        "applicant": group.applicant if mine else {"full_name": group.applicant_name},
        "channel": group.channel,
        "declaration": group.declaration if mine else None,
        "procedures": group.procedures,
        "verification": group.verification,
        "received_at": group.received_at,
        "clock_started_at": group.clock_started_at,
        "due_at": group.due_at,
        "appointment_date": group.due_at.astimezone(TIMEZONE).date().isoformat(),
        "original_due_at": group.original_due_at,
        "apology": (
            {**group.apology, "at": datetime.fromisoformat(group.apology["at"])}
            if group.apology
            else None
        ),
        "calendar_version": group.calendar_version,
        "finished_at": group.finished_at,
        "outcome": (
            op.calendar_of(group.agency_id).outcome(group.finished_at, group.due_at)
            if group.finished_at
            else None
        ),
        "parts": parts,
        # printed on the receipt: only the agency that received the group prints it
        "lookup_secret": lookup_secret(group.code) if mine else None,
    }


# Declaration schemas -----------------------------------------------------------------------


def describe_procedure(op: Operation, code: str) -> dict[str, Any]:
    """Returns a procedure or a group as a reception client needs it: what it is, its
    deadline, and the JSON Schema of the declaration it is received with."""
    group_version = current_group_version(code, op.at)
    if group_version is not None:
        return _describe_group_spec(group_of(group_version), group_version)
    version = _version(op, code)
    procedure = procedure_of(version)
    process = compiled(version)
    group = next((g.code for g in groups_with(code, op.at)), None)
    return {
        "code": procedure.code,
        "kind": "procedure",
        "name": procedure.name,
        "agency_kind": procedure.agency_kind.value,
        "deadline": procedure.deadline,
        "legal_basis": procedure.legal_basis,
        "version": version.version,
        "group": group,
        "starts_with": "message" if process.start_message else "reception",
        "declaration_form": procedure.declaration_form,
        "declaration_schema": version.forms[procedure.declaration_form],
        "steps": step_summaries(process),
    }


def _describe_group_spec(group: Group, group_version: GroupVersion) -> dict[str, Any]:
    properties, required, members = {}, [], []
    for index, member in enumerate(group.members):
        version = db.session.get(ProcedureVersion, group_version.member_versions[member.code])
        procedure = procedure_of(version)
        form_key = procedure.declaration_form if index == 0 else procedure.group_part_form
        properties[procedure.process_id] = version.forms[form_key]
        if not member.optional:
            required.append(procedure.process_id)
        members.append(
            {
                "code": procedure.code,
                "name": procedure.name,
                "process_id": procedure.process_id,
                "agency_kind": procedure.agency_kind.value,
                "share_days": member.share_days,
                "share_days_verification": member.share_days_verification,
                "optional": member.optional,
                "declaration_part": form_key,
            }
        )
    return {
        "code": group.code,
        "kind": "group",
        "name": group.name,
        "agency_kind": members[0]["agency_kind"],
        "version": group_version.version,
        "deadline": group.deadline,
        "deadline_verification": group.deadline_verification,
        "legal_basis": group.legal_basis,
        "members": members,
        "min_procedures": group.min_procedures or len(group.members),
        "max_procedures": group.max_procedures or len(group.members),
        "declaration_schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": group.name,
            "description": (
                "One part per chosen procedure, keyed by its process id; submit with "
                "`procedures` (the chosen codes) and, where it applies, `verification`."
            ),
            "type": "object",
            "additionalProperties": False,
            "required": required,
            "properties": properties,
        },
    }


def _version(op: Operation, code: str) -> ProcedureVersion:
    version = current_version(code, op.at)
    if version is None:
        raise NotFound(f"no procedure {code}")
    return version
