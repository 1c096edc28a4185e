"""Procedure versions: deploys procedures with their descriptors, compiles the pinned
versions, and describes the catalogue.

A dossier is pinned to the version current when it was received; a new diagram becomes a new
version (by content hash) and never changes a running dossier.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine import (
    CompiledProcess,
    DiagramRejected,
    Finding,
    TimerClock,
    WorkflowSerializer,
    check_process,
    compile_process,
    content_hash,
    executable_processes,
)
from engine.dry_run import dry_run
from processes import SHIPPED_PACKAGES, DescriptorError, Group, Procedure

from ..store import ProcedureVersion, db
from .catalogue import (
    current_version,
    group_at,
    groups_at,
    groups_with,
    latest_procedure,
    procedure_at,
    procedure_codes,
    procedure_of,
)
from .errors import Invalid
from .runtime import Operation, runtime

__all__ = ["current_version"]  # re-exported: callers find versions here too


def deploy(
    op: Operation,
    procedure: Procedure,
    *,
    effective_from: datetime | None = None,
    bpmn: bytes | None = None,
    forms: dict | None = None,
    groups: list[Group] | None = None,
) -> tuple[ProcedureVersion, bool]:
    """Returns the version for these sources and whether it is new (same content, descriptor
    included: no new row). Without sources, the shipped procedure's files."""
    if bpmn is None or forms is None:
        sources = SHIPPED_PACKAGES[procedure.code].sources
        bpmn, forms = sources.bpmn, sources.forms
    descriptor = procedure.descriptor()
    digest = content_hash(procedure.process_id, bpmn, {**forms, "": descriptor})
    existing = db.session.scalars(
        select(ProcedureVersion).where(
            ProcedureVersion.procedure_code == procedure.code,
            ProcedureVersion.content_hash == digest,
        )
    ).one_or_none()
    if existing is not None:
        return existing, False
    compiled = compile_process(bpmn, procedure.process_id, forms)  # refuses a bad diagram
    if procedure.declaration_form not in compiled.forms:
        raise Invalid(
            f"procedure {procedure.code} has no form {procedure.declaration_form}",
            {"forms": [f"{procedure.declaration_form} is missing"]},
        )
    if digest not in _DRY_RUN_PASSED:  # a diagram that would fail at run time: refused now
        failures = [f for f in dry_run_of(op, procedure, groups)(compiled) if f.is_error]
        if failures:
            raise DiagramRejected(failures)
        _DRY_RUN_PASSED.add(digest)
    latest = db.session.scalar(
        select(func.max(ProcedureVersion.version)).where(
            ProcedureVersion.procedure_code == procedure.code
        )
    )
    version = ProcedureVersion(
        procedure_code=procedure.code,
        version=(latest or 0) + 1,
        content_hash=digest,
        process_id=procedure.process_id,
        bpmn_source=bpmn,
        forms=forms,
        saved_spec=WorkflowSerializer().dump_spec(compiled.spec, compiled.subprocess_specs),
        descriptor=descriptor,
        effective_from=effective_from or op.at,
        created_at=op.at,
    )
    db.session.add(version)
    db.session.flush()
    return version, True


# Content hashes whose dry run passed in this process (a diagram's run does not change).
_DRY_RUN_PASSED: set[str] = set()


def dry_run_of(op: Operation, procedure: Procedure | None, groups: list[Group] | None = None):
    """Returns the dry run for a procedure's diagram: its declaration form, and the starts
    the platform gives it (alone, and as a member of each group it belongs to: the groups in
    force, or `groups` when a group is being deployed with it)."""
    starts: list[dict] = [{"group": None}]
    if procedure is not None:
        if groups is None:
            groups = groups_with(procedure.code, op.at)
        for group in groups:
            if group.member(procedure.code) is not None:
                processes = [_process_id(op, m.code, procedure) for m in group.members]
                for verification in (False, True):
                    context = {
                        "code": "DRY-RUN",
                        "procedures": processes,
                        "parts": {process_id: {} for process_id in processes},
                    }
                    starts.append({"group": {**context, "verification": verification}})
    clock = TimerClock(op.at, op.calendar)
    declaration = procedure.declaration_form if procedure is not None else None

    def run(process: CompiledProcess) -> list[Finding]:
        return dry_run(process, clock=clock, declaration_form=declaration, starts=starts)

    return run


def _process_id(op: Operation, code: str, deploying: Procedure) -> str:
    if code == deploying.code:
        return deploying.process_id
    member = procedure_at(code, op.at) or latest_procedure(code)
    return member.process_id if member is not None else code


def compiled(version: ProcedureVersion) -> CompiledProcess:
    """Returns the compiled process of a version, compiled once per process per content hash."""
    process = runtime().processes.get(
        version.content_hash, lambda: (version.bpmn_source, version.process_id, version.forms)
    )
    runtime().versions[version.id] = process
    return process


def compiled_version(version_id: int) -> CompiledProcess:
    """Returns the compiled process of a version id, reading the version row only once.

    Versions never change once written, so a process may keep what it compiled for good."""
    process = runtime().versions.get(version_id)
    if process is None:
        process = compiled(db.session.get(ProcedureVersion, version_id))
    return process


def describe_catalogue(op: Operation) -> list[dict]:
    """Returns every procedure in force with its legal deadline and the steps of its version
    in force, then every group in force."""
    result = []
    for code in procedure_codes():
        version = current_version(code, op.at)
        if version is None:  # deployed for a later date only
            continue
        procedure = procedure_of(version)
        result.append(
            {
                "code": procedure.code,
                "kind": "procedure",
                "name": procedure.name,
                "agency_kind": procedure.agency_kind.value,
                "deadline": procedure.deadline,
                "legal_basis": procedure.legal_basis,
                "version": version.version,
                "content_hash": version.content_hash,
                "steps": step_summaries(compiled(version)),
            }
        )
    for group in groups_at(op.at):
        first = procedure_at(group.first.code, op.at)
        result.append(
            {
                "code": group.code,
                "kind": "group",
                "name": group.name,
                "agency_kind": first.agency_kind.value if first is not None else None,
                "deadline": group.deadline,
                "legal_basis": group.legal_basis,
                "members": [member.code for member in group.members],
                "steps": [],
            }
        )
    return result


def step_summaries(process: CompiledProcess) -> list[dict]:
    """Returns the human steps of a compiled process as the catalogue shows them."""
    return [
        {
            "step": step.name,
            "title": step.title,
            "role": step.role,
            "form_key": step.form_key,
            "budget_days": str(step.budget_days),
        }
        for step in process.steps.values()
    ]


def check_diagram(
    op: Operation,
    bpmn: bytes,
    *,
    process_id: str | None = None,
    forms: dict | None = None,
    procedure_code: str | None = None,
    descriptor: Mapping[str, Any] | None = None,
) -> dict:
    """Returns the designer's check of a diagram: every finding, errors and warnings, each with
    its element, name and line. `procedure_code` names a deployed procedure or group, or
    `descriptor` describes one not deployed yet: its process id (a group: each member's),
    legal deadline and (when `forms` is not given) the forms of its version in force are
    used. Deploys nothing."""
    procedures: list[Procedure] = []
    groups: list[Group] | None = None
    if descriptor is not None:
        entry = _described(descriptor)
        if isinstance(entry, Group):
            groups, procedures = [entry], group_members(op, entry)
        else:
            procedures = [entry]
    elif procedure_code is not None:
        group = group_at(procedure_code, op.at)
        procedure = procedure_at(procedure_code, op.at) if group is None else None
        if group is None and procedure is None:
            raise Invalid("unknown procedure", {"procedure": [f"no procedure {procedure_code}"]})
        procedures = group_members(op, group) if group is not None else [procedure]
        groups = [group] if group is not None else None
    if forms is None and procedures:
        forms = {}
        for procedure in procedures:
            version = current_version(procedure.code, op.at)
            forms.update(version.forms if version is not None else {})
    if not procedures:
        findings = _findings(op, bpmn, process_id, forms or {}, None, None)
        process_ids = [process_id]
    else:
        found: dict[tuple, Finding] = {}
        for procedure in procedures:
            own = {k: v for k, v in (forms or {}).items() if k.startswith(f"{procedure.slug}/")}
            if len(procedures) == 1:
                own = forms or {}
            for finding in _findings(
                op, bpmn, process_id or procedure.process_id, own, procedure, groups
            ):
                found.setdefault((finding.element, finding.message), finding)
        findings = list(found.values())
        process_ids = [process_id or procedure.process_id for procedure in procedures]
    errors = sum(1 for finding in findings if finding.is_error)
    return {
        "ok": errors == 0,
        "process_id": process_ids[0] if len(process_ids) == 1 else None,
        "process_ids": process_ids,
        "errors": errors,
        "warnings": len(findings) - errors,
        "findings": [
            {
                "severity": finding.severity,
                "element": finding.element,
                "name": finding.name,
                "line": finding.line,
                "message": finding.message,
            }
            for finding in sorted(findings, key=_reading_order)
        ],
    }


def _described(descriptor: Mapping[str, Any]) -> Procedure | Group:
    kind = Group if descriptor.get("kind") == "group" else Procedure
    return read_descriptor(kind, descriptor)


def read_descriptor(kind: type[Procedure] | type[Group], data: Mapping[str, Any]):
    """Returns the procedure or group a descriptor describes; Invalid naming each bad field
    (`descriptor.<field>`)."""
    try:
        return kind.from_descriptor(data)
    except DescriptorError as error:
        raise Invalid(
            "the descriptor is not valid",
            {f"descriptor.{name}": messages for name, messages in error.errors.items()},
        ) from None


def group_members(op: Operation, group: Group) -> list[Procedure]:
    """Returns a group's member procedures as in force (or as newest deployed); Invalid
    naming a member that is no procedure."""
    members = []
    for i, member in enumerate(group.members):
        procedure = procedure_at(member.code, op.at) or latest_procedure(member.code)
        if procedure is None:
            raise Invalid(
                "a member is not a procedure",
                {f"descriptor.members.{i}.code": [f"no procedure {member.code}: deploy it first"]},
            )
        members.append(procedure)
    return members


def _findings(
    op: Operation, bpmn: bytes, process_id: str | None, forms: dict, procedure, groups
) -> list[Finding]:
    if process_id is None:
        candidates = executable_processes(bpmn)
        if len(candidates) != 1:
            return [
                Finding(
                    "document",
                    "name the process to check: the file has "
                    + (", ".join(candidates) if candidates else "no executable process"),
                )
            ]
        process_id = candidates[0]
    deadline = procedure.deadline.value if procedure is not None else None
    return check_process(
        bpmn,
        process_id,
        forms,
        deadline_days=deadline,
        dry_run=dry_run_of(op, procedure, groups),
    )


def _reading_order(finding: Finding) -> tuple:
    return (finding.line or 0, finding.severity != "error", finding.element)
