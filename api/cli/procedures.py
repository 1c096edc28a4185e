"""`motcua procedures`: deploy the catalogue's diagrams and forms as procedure versions."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..services import deploy_catalogue, operation
from ..store import db
from .common import reports_errors

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
