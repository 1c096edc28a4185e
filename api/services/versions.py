"""Procedure and group versions as designers handle them: upload a diagram (with its forms
and, for a new procedure or new metadata, its descriptor), get the check's report, deploy it
with an effective date; list, view, download and compare the versions.

A new procedure is added by its first upload: the descriptor says what it is. A group's
upload is its collaboration diagram with every member's forms and the group's descriptor;
it deploys a version of each member procedure from that diagram (only those that changed)
and the group version that pins them.

New dossiers use the version in force on the day they are received (the newest whose
effective date has come); a dossier keeps the version it started with for its whole life. A
version in force today is never replaced in the past: an effective date is now or later.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from engine import DiagramRejected, Finding, check_process
from processes import (
    CATALOGUE,
    DESIGNER_ROLE,
    SHIPPED_GROUP_PACKAGES,
    SHIPPED_PACKAGES,
    Group,
    Procedure,
)

from ..store import GroupVersion, ProcedureVersion, db
from .actor import Actor
from .catalogue import (
    current_group_version,
    current_version,
    group_of,
    groups_with,
    is_group_code,
    latest_procedure,
    newest_version,
    procedure_of,
)
from .errors import Forbidden, Invalid, NotFound
from .procedures import (
    compiled,
    deploy,
    dry_run_of,
    group_members,
    read_descriptor,
    step_summaries,
)
from .runtime import Operation

# An effective date a little in the past (a clock a few seconds behind) means "now".
_NOW_TOLERANCE = timedelta(minutes=5)


def upload_version(
    actor: Actor,
    op: Operation,
    code: str,
    bpmn: bytes,
    *,
    forms: dict | None = None,
    effective_from: datetime | None = None,
    descriptor: Mapping[str, Any] | None = None,
) -> tuple[ProcedureVersion | GroupVersion, bool, list[dict]]:
    """Returns the version deployed from an uploaded diagram (a group version when `code`
    names a group, or `descriptor` describes one), whether it is new (the same content
    deploys nothing), and the check's warnings; DiagramRejected with every finding when the
    check finds an error. A new procedure needs its descriptor. Designers only; the caller
    commits."""
    if DESIGNER_ROLE not in actor.roles:
        raise Forbidden("only process designers deploy procedure versions")
    if effective_from is not None and effective_from < op.at - _NOW_TOLERANCE:
        raise Invalid(
            "a version cannot take effect in the past",
            {"effective_from": ["now or later: dossiers received already keep their version"]},
        )
    at = effective_from or op.at
    if (descriptor or {}).get("kind") == "group" or (descriptor is None and is_group_code(code)):
        return _upload_group(op, code, bpmn, forms, at, descriptor)
    procedure = _procedure_to_deploy(code, descriptor)
    if forms is None:
        forms = _forms_in_force(op, [procedure])
    findings = check_process(
        bpmn,
        procedure.process_id,
        forms,
        deadline_days=procedure.deadline.value,
        dry_run=dry_run_of(op, procedure),
    )
    if any(finding.is_error for finding in findings):
        raise DiagramRejected(findings)
    version, created = deploy(op, procedure, effective_from=at, bpmn=bpmn, forms=forms)
    return version, created, [_finding_json(finding) for finding in findings]


def _finding_json(finding: Finding) -> dict:
    return {
        "severity": finding.severity,
        "element": finding.element,
        "name": finding.name,
        "line": finding.line,
        "message": finding.message,
    }


def _procedure_to_deploy(code: str, descriptor: Mapping[str, Any] | None) -> Procedure:
    """Returns the procedure a new version deploys: its descriptor when sent (a new
    procedure must send one), else the procedure as its newest version describes it."""
    if descriptor is None:
        procedure = latest_procedure(code)
        if procedure is None:
            raise Invalid(
                f"no procedure {code} yet: a new procedure is deployed with its descriptor",
                {"descriptor": ["required for a new procedure (name, agency kind, deadline…)"]},
            )
        return procedure
    procedure = read_descriptor(Procedure, {"code": code, **descriptor})
    if procedure.code != code:
        raise Invalid("codes differ", {"descriptor.code": [f"must be {code}, as in the address"]})
    if is_group_code(code):
        raise Invalid("a group's code", {"descriptor.code": [f"{code} is an interlinked group"]})
    return procedure


def _forms_in_force(op: Operation, procedures: list[Procedure]) -> dict:
    """Returns the forms of the versions of these procedures in force (or newest)."""
    forms: dict = {}
    for procedure in procedures:
        version = current_version(procedure.code, op.at) or newest_version(procedure.code)
        if version is None:
            raise Invalid(
                "no forms", {"forms": [f"{procedure.code} has no version yet: send its forms"]}
            )
        forms.update(version.forms)
    return forms


def _upload_group(
    op: Operation,
    code: str,
    bpmn: bytes,
    forms: dict | None,
    at: datetime,
    descriptor: Mapping[str, Any] | None,
) -> tuple[GroupVersion, bool, list[dict]]:
    if descriptor is None:
        in_force = current_group_version(code, op.at) or _newest_group(code)
        group = group_of(in_force)
    else:
        group = read_descriptor(Group, {"code": code, **descriptor})
        if group.code != code:
            raise Invalid("codes differ", {"descriptor.code": [f"must be {code}"]})
        if latest_procedure(code) is not None:
            raise Invalid("a procedure's code", {"descriptor.code": [f"{code} is a procedure"]})
    members = group_members(op, group)
    if forms is None:
        forms = _forms_in_force(op, members)
    others = [g for g in groups_with(group.first.code, op.at) if g.code != group.code]
    findings: dict[tuple, Finding] = {}
    for procedure in members:
        own = {k: v for k, v in forms.items() if k.startswith(f"{procedure.slug}/")}
        for finding in check_process(
            bpmn,
            procedure.process_id,
            own,
            deadline_days=procedure.deadline.value,
            dry_run=dry_run_of(op, procedure, [group, *others]),
        ):
            findings.setdefault((finding.element, finding.message), finding)
    if any(finding.is_error for finding in findings.values()):
        raise DiagramRejected(list(findings.values()))
    versions = {}
    for procedure in members:
        own = {k: v for k, v in forms.items() if k.startswith(f"{procedure.slug}/")}
        versions[procedure.code], _ = deploy(
            op, procedure, effective_from=at, bpmn=bpmn, forms=own, groups=[group, *others]
        )
    version, created = _deploy_group(op, group, bpmn, versions, at)
    return version, created, [_finding_json(finding) for finding in findings.values()]


def _newest_group(code: str) -> GroupVersion:
    version = db.session.scalars(
        select(GroupVersion)
        .where(GroupVersion.group_code == code)
        .order_by(GroupVersion.version.desc())
        .limit(1)
    ).first()
    if version is None:
        raise NotFound(f"no group {code}")
    return version


def _deploy_group(
    op: Operation,
    group: Group,
    bpmn: bytes,
    versions: dict[str, ProcedureVersion],
    at: datetime,
) -> tuple[GroupVersion, bool]:
    """Returns the group version for this descriptor, diagram and member versions, and
    whether it is new."""
    descriptor = group.descriptor()
    digest = hashlib.sha256(
        json.dumps(
            {
                "descriptor": descriptor,
                "bpmn": hashlib.sha256(bpmn).hexdigest(),
                "members": {code: v.content_hash for code, v in sorted(versions.items())},
            },
            sort_keys=True,
        ).encode()
    ).hexdigest()
    existing = db.session.scalars(
        select(GroupVersion).where(
            GroupVersion.group_code == group.code, GroupVersion.content_hash == digest
        )
    ).one_or_none()
    if existing is not None:
        return existing, False
    latest = db.session.scalar(
        select(func.max(GroupVersion.version)).where(GroupVersion.group_code == group.code)
    )
    version = GroupVersion(
        group_code=group.code,
        version=(latest or 0) + 1,
        content_hash=digest,
        descriptor=descriptor,
        bpmn_source=bpmn,
        member_versions={code: v.id for code, v in versions.items()},
        effective_from=at,
        created_at=op.at,
    )
    db.session.add(version)
    db.session.flush()
    return version, True


def deploy_group(
    op: Operation,
    group: Group,
    bpmn: bytes,
    forms: dict,
    procedures: Mapping[str, Procedure],
    effective_from: datetime | None = None,
) -> tuple[GroupVersion, bool]:
    """Returns the group version of a shipped group, its members (`procedures`, by code)
    deployed from `bpmn` with their forms, and whether it is new; the console's and the
    demo's deployment."""
    at = effective_from or op.at
    versions = {}
    for member in group.members:
        procedure = procedures[member.code]
        own = {k: v for k, v in forms.items() if k.startswith(f"{procedure.slug}/")}
        versions[member.code], _ = deploy(
            op, procedure, effective_from=at, bpmn=bpmn, forms=own, groups=[group]
        )
    return _deploy_group(op, group, bpmn, versions, at)


def list_versions(code: str) -> list[ProcedureVersion]:
    """Returns a procedure's versions, newest first."""
    versions = list(
        db.session.scalars(
            select(ProcedureVersion)
            .where(ProcedureVersion.procedure_code == code)
            .order_by(ProcedureVersion.version.desc())
        )
    )
    if not versions:
        raise NotFound(f"no procedure {code}")
    return versions


def list_group_versions(code: str) -> list[GroupVersion]:
    """Returns a group's versions, newest first."""
    versions = list(
        db.session.scalars(
            select(GroupVersion)
            .where(GroupVersion.group_code == code)
            .order_by(GroupVersion.version.desc())
        )
    )
    if not versions:
        raise NotFound(f"no group {code}")
    return versions


def get_group_version(code: str, number: int) -> GroupVersion:
    """Returns one version of a group (NotFound when it has no such version)."""
    version = db.session.scalars(
        select(GroupVersion).where(GroupVersion.group_code == code, GroupVersion.version == number)
    ).one_or_none()
    if version is None:
        raise NotFound(f"group {code} has no version {number}")
    return version


def describe_group_version(version: GroupVersion, op: Operation) -> dict:
    """Returns what a group version is: its number, dates, whether it is in force, and the
    member versions it pins."""
    in_force = current_group_version(version.group_code, op.at)
    members = {
        v.procedure_code: v
        for v in db.session.scalars(
            select(ProcedureVersion).where(
                ProcedureVersion.id.in_(list(version.member_versions.values()))
            )
        )
    }
    return {
        "procedure": version.group_code,
        "kind": "group",
        "version": version.version,
        "content_hash": version.content_hash,
        "process_id": None,
        "effective_from": version.effective_from,
        "created_at": version.created_at,
        "in_force": in_force is not None and in_force.id == version.id,
        "descriptor": version.descriptor,
        "members": [
            {"procedure": code, "version": members[code].version}
            for code in version.member_versions
            if code in members
        ],
        "steps": [],
        "forms": sorted(key for v in members.values() for key in v.forms),
    }


def describe_deployed(version: ProcedureVersion | GroupVersion, op: Operation) -> dict:
    """Returns what `upload_version` deployed, a procedure's version or a group's."""
    if isinstance(version, GroupVersion):
        return describe_group_version(version, op)
    return describe_version(version, op)


def group_forms(version: GroupVersion) -> dict:
    """Returns every member's forms as deployed with the group version."""
    forms: dict = {}
    for member in db.session.scalars(
        select(ProcedureVersion).where(
            ProcedureVersion.id.in_(list(version.member_versions.values()))
        )
    ):
        forms.update(member.forms)
    return forms


def get_version(code: str, number: int) -> ProcedureVersion:
    """Returns one version of a procedure (NotFound when it has no such version)."""
    version = db.session.scalars(
        select(ProcedureVersion).where(
            ProcedureVersion.procedure_code == code, ProcedureVersion.version == number
        )
    ).one_or_none()
    if version is None:
        raise NotFound(f"procedure {code} has no version {number}")
    return version


def describe_version(version: ProcedureVersion, op: Operation) -> dict:
    """Returns what a version is: its number, content, dates, whether it is the one in force
    now, and its steps."""
    in_force = current_version(version.procedure_code, op.at)
    return {
        "procedure": version.procedure_code,
        "kind": "procedure",
        "version": version.version,
        "content_hash": version.content_hash,
        "process_id": version.process_id,
        "effective_from": version.effective_from,
        "created_at": version.created_at,
        "in_force": in_force is not None and in_force.id == version.id,
        "descriptor": procedure_of(version).descriptor(),
        "steps": step_summaries(compiled(version)),
        "forms": sorted(version.forms),
    }


def compare_versions(code: str, older: int, newer: int) -> dict:
    """Returns what changed from one version of a procedure to another: the steps added and
    removed, and for each step in both, what changed of its title, role, form and budget;
    the forms added, removed and changed; whether the diagram itself changed."""
    before, after = get_version(code, older), get_version(code, newer)
    steps_before = {s["step"]: s for s in step_summaries(compiled(before))}
    steps_after = {s["step"]: s for s in step_summaries(compiled(after))}
    changed = []
    for name in sorted(steps_before.keys() & steps_after.keys()):
        differences = {
            field: {"from": steps_before[name][field], "to": steps_after[name][field]}
            for field in ("title", "role", "form_key", "budget_days")
            if steps_before[name][field] != steps_after[name][field]
        }
        if differences:
            changed.append({"step": name, "changes": differences})
    forms_before, forms_after = dict(before.forms), dict(after.forms)
    return {
        "procedure": code,
        "from": older,
        "to": newer,
        "diagram_changed": before.bpmn_source != after.bpmn_source,
        "descriptor_changes": _changes(
            procedure_of(before).descriptor(), procedure_of(after).descriptor()
        ),
        "steps_added": sorted(steps_after.keys() - steps_before.keys()),
        "steps_removed": sorted(steps_before.keys() - steps_after.keys()),
        "steps_changed": changed,
        "forms_added": sorted(forms_after.keys() - forms_before.keys()),
        "forms_removed": sorted(forms_before.keys() - forms_after.keys()),
        "forms_changed": sorted(
            key
            for key in forms_before.keys() & forms_after.keys()
            if forms_before[key] != forms_after[key]
        ),
    }


def compare_group_versions(code: str, older: int, newer: int) -> dict:
    """Returns what changed from one version of a group to another: its descriptor (name,
    deadlines, how many may be chosen), the members added and removed, and for each member in
    both what changed of its share, its share with verification and whether it is optional;
    the member procedures whose pinned version changed; whether the diagram changed."""
    before, after = get_group_version(code, older), get_group_version(code, newer)
    members_before = {m["code"]: m for m in before.descriptor["members"]}
    members_after = {m["code"]: m for m in after.descriptor["members"]}
    numbers = {
        v.id: v.version
        for v in db.session.scalars(
            select(ProcedureVersion).where(
                ProcedureVersion.id.in_(
                    [*before.member_versions.values(), *after.member_versions.values()]
                )
            )
        )
    }
    pinned_before, pinned_after = before.member_versions, after.member_versions
    return {
        "procedure": code,
        "from": older,
        "to": newer,
        "diagram_changed": before.bpmn_source != after.bpmn_source,
        "descriptor_changes": _changes(before.descriptor, after.descriptor, skip={"members"}),
        "members_added": sorted(members_after.keys() - members_before.keys()),
        "members_removed": sorted(members_before.keys() - members_after.keys()),
        "members_changed": [
            {
                "procedure": member,
                "changes": _changes(members_before[member], members_after[member]),
            }
            for member in sorted(members_before.keys() & members_after.keys())
            if members_before[member] != members_after[member]
        ],
        "member_versions": [
            {
                "procedure": member,
                "from": numbers.get(pinned_before[member]),
                "to": numbers.get(pinned_after[member]),
            }
            for member in sorted(pinned_before.keys() & pinned_after.keys())
            if pinned_before[member] != pinned_after[member]
        ],
    }


def _changes(before: Mapping[str, Any], after: Mapping[str, Any], skip=frozenset()) -> dict:
    """Returns {field: {from, to}} for every field whose value differs."""
    return {
        field: {"from": before.get(field), "to": after.get(field)}
        for field in sorted(before.keys() | after.keys())
        if field not in skip and before.get(field) != after.get(field)
    }


def deploy_shipped(op: Operation) -> list[tuple[str, int, str, bool]]:
    """Returns (code, version, content hash, whether new) for every procedure and group this
    repository ships, deployed from their descriptors (a new version only when something
    changed, in force now): the groups first, so their members' dry runs start them as the
    groups do, then any procedure outside a group."""
    deployed = []
    for package in SHIPPED_GROUP_PACKAGES.values():
        group = package.entry
        version, created = deploy_group(
            op, group, package.sources.bpmn, package.sources.forms, CATALOGUE
        )
        for member in group.members:
            member_version = db.session.get(ProcedureVersion, version.member_versions[member.code])
            new = member_version.created_at == op.at  # written by this operation
            deployed.append((member.code, member_version.version, member_version.content_hash, new))
        deployed.append((group.code, version.version, version.content_hash, created))
    grouped = {code for code, *_ in deployed}
    for code, package in SHIPPED_PACKAGES.items():
        if code not in grouped:
            version, created = deploy(op, package.entry)
            deployed.append((code, version.version, version.content_hash, created))
    return deployed
