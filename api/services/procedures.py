"""Procedure versions: deploys catalogue procedures, finds the version in effect, compiles
the pinned versions, and describes the catalogue.

A dossier is pinned to the version current when it was received; a new diagram becomes a new
version (by content hash) and never changes a running dossier.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from engine import CompiledProcess, WorkflowSerializer, compile_process, content_hash
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
