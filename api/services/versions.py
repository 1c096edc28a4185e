"""Procedure versions as designers handle them: upload a diagram (with its forms) for a
procedure, get the check's report, deploy it with an effective date; list, view and download
the versions.

New dossiers use the version in force on the day they are received (the newest whose
effective date has come); a dossier keeps the version it started with for its whole life. A
version in force today is never replaced in the past: an effective date is now or later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine import DiagramRejected, check_process
from processes import CATALOGUE, DESIGNER_ROLE

from ..store import ProcedureVersion, db
from .actor import Actor
from .errors import Forbidden, Invalid, NotFound
from .procedures import compiled, current_version, deploy, dry_run_of, step_summaries
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
) -> tuple[ProcedureVersion, bool, list[dict]]:
    """Returns the version deployed from an uploaded diagram, whether it is new (the same
    content deploys nothing), and the check's warnings; DiagramRejected with every finding
    when the check finds an error. Designers only; the caller commits."""
    if DESIGNER_ROLE not in actor.roles:
        raise Forbidden("only process designers deploy procedure versions")
    procedure = CATALOGUE.get(code)
    if procedure is None:
        raise NotFound(f"no procedure {code}")
    if effective_from is not None and effective_from < op.at - _NOW_TOLERANCE:
        raise Invalid(
            "a version cannot take effect in the past",
            {"effective_from": ["now or later: dossiers received already keep their version"]},
        )
    if forms is None:
        in_force = current_version(code, op.at)
        if in_force is None:
            raise Invalid(
                "no forms", {"forms": ["the procedure has no version yet: send its forms"]}
            )
        forms = dict(in_force.forms)
    findings = check_process(
        bpmn,
        procedure.process_id,
        forms,
        deadline_days=procedure.deadline.value,
        dry_run=dry_run_of(op, procedure),
    )
    if any(finding.is_error for finding in findings):
        raise DiagramRejected(findings)
    version, created = deploy(
        op, procedure, effective_from=effective_from or op.at, bpmn=bpmn, forms=forms
    )
    warnings = [
        {
            "severity": finding.severity,
            "element": finding.element,
            "name": finding.name,
            "line": finding.line,
            "message": finding.message,
        }
        for finding in findings
    ]
    return version, created, warnings


def list_versions(code: str) -> list[ProcedureVersion]:
    """Returns a procedure's versions, newest first."""
    if code not in CATALOGUE:
        raise NotFound(f"no procedure {code}")
    return list(
        db.session.scalars(
            select(ProcedureVersion)
            .where(ProcedureVersion.procedure_code == code)
            .order_by(ProcedureVersion.version.desc())
        )
    )


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
        "version": version.version,
        "content_hash": version.content_hash,
        "process_id": version.process_id,
        "effective_from": version.effective_from,
        "created_at": version.created_at,
        "in_force": in_force is not None and in_force.id == version.id,
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
