"""Procedure versions: deploys catalogue procedures, finds the version in effect, compiles
the pinned versions, and describes the catalogue.

A dossier is pinned to the version current when it was received; a new diagram becomes a new
version (by content hash) and never changes a running dossier.
"""

from __future__ import annotations

from datetime import datetime

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
from processes import CATALOGUE, GROUPS, Procedure, read_sources

from ..store import ProcedureVersion, db
from .errors import Invalid
from .runtime import Operation, runtime


def deploy(
    op: Operation,
    procedure: Procedure,
    *,
    effective_from: datetime | None = None,
    bpmn: bytes | None = None,
    forms: dict | None = None,
) -> tuple[ProcedureVersion, bool]:
    """Returns the version for these sources and whether it is new (same content: no new row)."""
    if bpmn is None or forms is None:
        sources = read_sources(procedure)
        bpmn, forms = sources.bpmn, sources.forms
    digest = content_hash(procedure.process_id, bpmn, forms)
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
        failures = [f for f in dry_run_of(op, procedure)(compiled) if f.is_error]
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
        effective_from=effective_from or op.at,
        created_at=op.at,
    )
    db.session.add(version)
    db.session.flush()
    return version, True


def deploy_catalogue(op: Operation) -> list[tuple[ProcedureVersion, bool]]:
    """Returns the deployed version of every catalogue procedure (new ones in effect now)."""
    return [deploy(op, p) for p in CATALOGUE.values()]


# Content hashes whose dry run passed in this process (a diagram's run does not change).
_DRY_RUN_PASSED: set[str] = set()


def dry_run_of(op: Operation, procedure: Procedure | None):
    """Returns the dry run for a procedure's diagram: its declaration form, and the starts
    the platform gives it (alone, and as a member of each group it belongs to)."""
    starts: list[dict] = [{"group": None}]
    if procedure is not None:
        for group in GROUPS.values():
            if group.member(procedure.code) is not None:
                processes = [CATALOGUE[m.code].process_id for m in group.members]
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


def current_version(procedure_code: str, at: datetime) -> ProcedureVersion | None:
    """Returns the newest version in effect at an instant, or None."""
    return db.session.scalars(
        select(ProcedureVersion)
        .where(
            ProcedureVersion.procedure_code == procedure_code,
            ProcedureVersion.effective_from <= at,
        )
        .order_by(ProcedureVersion.version.desc())
        .limit(1)
    ).first()


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
    """Returns every catalogue procedure with its legal deadline and the steps of the version
    in effect now (none when it was never deployed)."""
    result = []
    for procedure in CATALOGUE.values():
        version = current_version(procedure.code, op.at)
        steps = step_summaries(compiled(version)) if version is not None else []
        result.append(
            {
                "code": procedure.code,
                "kind": "procedure",
                "name": procedure.name,
                "agency_kind": procedure.agency_kind.value,
                "deadline": procedure.deadline,
                "legal_basis": procedure.legal_basis,
                "version": version.version if version else None,
                "content_hash": version.content_hash if version else None,
                "steps": steps,
            }
        )
    for group in GROUPS.values():
        result.append(
            {
                "code": group.code,
                "kind": "group",
                "name": group.name,
                "agency_kind": CATALOGUE[group.first.code].agency_kind.value,
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
) -> dict:
    """Returns the designer's check of a diagram: every finding, errors and warnings, each with
    its element, name and line. `procedure_code` names a catalogue procedure: its process
    id, legal deadline and (when `forms` is not given) the forms of its version in force are
    used. Deploys nothing."""
    procedure = None
    if procedure_code is not None:
        procedure = CATALOGUE.get(procedure_code)
        if procedure is None:
            raise Invalid("unknown procedure", {"procedure": [f"no procedure {procedure_code}"]})
        process_id = process_id or procedure.process_id
        if forms is None:
            version = current_version(procedure.code, op.at)
            forms = dict(version.forms) if version is not None else read_sources(procedure).forms
    findings = _findings(op, bpmn, process_id, forms or {}, procedure)
    errors = sum(1 for finding in findings if finding.is_error)
    return {
        "ok": errors == 0,
        "process_id": process_id,
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


def _findings(
    op: Operation, bpmn: bytes, process_id: str | None, forms: dict, procedure
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
        dry_run=dry_run_of(op, procedure),
    )


def _reading_order(finding: Finding) -> tuple:
    return (finding.line or 0, finding.severity != "error", finding.element)
