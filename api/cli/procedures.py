"""`motcua procedures`: deploy the catalogue's diagrams and forms as procedure versions, and
check a diagram as a deployment would."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from engine.bpmn_xml import MAX_BPMN_BYTES

from ..services import deploy_catalogue, operation
from ..services.procedures import check_diagram
from ..store import db
from .common import json_option, reports_errors

procedures = AppGroup("procedures", help="Procedure versions.")


@procedures.command("deploy")
@reports_errors
def procedures_deploy():
    """Deploy the catalogue's diagrams and forms (a new version only when content changed)."""
    deployed = deploy_catalogue(operation())
    db.session.commit()
    for version, created in deployed:
        state = "new version" if created else "unchanged"
        click.echo(
            f"{version.procedure_code} v{version.version} {version.content_hash[:12]} ({state})"
        )


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
    forms = None
    if forms_dir is not None:
        forms = {}
        for path in sorted(forms_dir.glob("*.json")):
            try:
                forms[f"{forms_dir.name}/{path.stem}"] = json.loads(path.read_text("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise click.BadParameter(f"{path.name}: {exc}", param_hint="--forms") from None
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
