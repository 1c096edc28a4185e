"""`motcua procedures`: deploy procedures and groups from their descriptors (or a diagram as
a new version of a deployed procedure), and check a diagram as a deployment would."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from engine import TIMEZONE
from engine.bpmn_xml import MAX_BPMN_BYTES
from processes import DescriptorError, read_package

from ..services import Actor, deploy_shipped, operation
from ..services.catalogue import latest_procedure
from ..services.procedures import check_diagram
from ..services.versions import upload_version
from ..store import db
from .common import json_option, reports_errors

procedures = AppGroup("procedures", help="Procedure versions.")


@procedures.command("deploy")
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--procedure", "procedure_code", help="the procedure a BPMN FILE is a version of")
@click.option(
    "--forms",
    "forms_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="its forms (JSON Schema files; default: the version in force's)",
)
@click.option(
    "--effective",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d"]),
    help="when new dossiers start using it (a date is midnight, Vietnam time); default now",
)
@reports_errors
def procedures_deploy(file, procedure_code, forms_dir, effective):
    """Deploy a procedure or a group. FILE is a descriptor (JSON: the procedure's or the
    group's metadata, naming its diagram and forms), or a BPMN diagram with --procedure (a new
    version of a deployed procedure). Without FILE: every procedure and group the repository
    ships. Each after the check and the dry run; a new version only when something changed,
    in force from --effective."""
    op = operation()
    if file is None:
        deployed = deploy_shipped(op)
        db.session.commit()
        for code, number, digest, created in deployed:
            state = "new version" if created else "unchanged"
            click.echo(f"{code} v{number} {digest[:12]} ({state})")
        return
    descriptor = None
    if file.suffix.lower() == ".json":
        if procedure_code or forms_dir:
            raise click.UsageError("a descriptor names its diagram and forms itself")
        try:
            package = read_package(file)
        except DescriptorError as error:
            raise click.BadParameter(_described(error), param_hint="FILE") from None
        except OSError as error:
            raise click.BadParameter(f"{error.filename}: {error.strerror}") from None
        descriptor = package.entry.descriptor()
        procedure_code, bpmn, forms = (
            package.entry.code,
            package.sources.bpmn,
            package.sources.forms,
        )
    else:
        if not procedure_code:
            raise click.UsageError("give --procedure with a BPMN FILE, or deploy a descriptor")
        bpmn = file.read_bytes()[: MAX_BPMN_BYTES + 1]
        forms = None
        if forms_dir:
            existing = latest_procedure(procedure_code)
            forms = _read_forms(forms_dir, existing.slug if existing else forms_dir.name)
    version, created, warnings = upload_version(
        Actor.system(agency_id=None, agency_code="", agency_kind="", reason="console"),
        op,
        procedure_code,
        bpmn,
        forms=forms,
        effective_from=_aware(effective) if effective else None,
        descriptor=descriptor,
    )
    db.session.commit()
    for warning in warnings:
        where = f"{file.name}:{warning['line'] or ''}"
        click.echo(f"{where}: warning: {warning['element']}: {warning['message']}")
    state = "new version" if created else "unchanged"
    click.echo(
        f"{procedure_code} v{version.version} {version.content_hash[:12]} ({state}), "
        f"in force from {version.effective_from.astimezone(TIMEZONE).isoformat()}"
    )


def _described(error: DescriptorError) -> str:
    return "; ".join(f"{field}: {', '.join(messages)}" for field, messages in error.errors.items())


@procedures.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--process", "process_id", help="the process to check (the file's only one)")
@click.option(
    "--procedure", "procedure_code", help="a catalogue procedure: its id, deadline, forms"
)
@click.option(
    "--forms",
    "forms_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="a folder of JSON Schema forms, keyed <folder name>/<file name>",
)
@json_option
@reports_errors
def procedures_check(file, process_id, procedure_code, forms_dir, as_json):
    """Check a diagram as a deployment would: every error and warning at once, each with its
    element, name and line. Exits 1 when there is an error."""
    forms = _read_forms(forms_dir, forms_dir.name) if forms_dir is not None else None
    report = check_diagram(
        operation(),
        file.read_bytes()[: MAX_BPMN_BYTES + 1],
        process_id=process_id,
        forms=forms,
        procedure_code=procedure_code,
    )
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for finding in report["findings"]:
            where = finding["element"]
            if finding["name"]:
                where += f" ({finding['name']})"
            line = f"{file.name}:{finding['line']}" if finding["line"] else file.name
            click.echo(f"{line}: {finding['severity']}: {where}: {finding['message']}")
        click.echo(
            f"{report['errors']} error(s), {report['warnings']} warning(s)"
            + ("" if report["ok"] else ": it would not deploy")
        )
    if not report["ok"]:
        raise SystemExit(1)


def _read_forms(folder: Path, prefix: str) -> dict:
    """Returns the JSON Schema files of a folder as forms keyed `<prefix>/<file name>`."""
    forms = {}
    for path in sorted(folder.glob("*.json")):
        try:
            forms[f"{prefix}/{path.stem}"] = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise click.BadParameter(f"{path.name}: {exc}", param_hint="--forms") from None
    return forms


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=TIMEZONE)
