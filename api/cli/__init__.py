"""The `motcua` console: one click group per noun (agencies, officers, tokens, procedures,
handoffs, demo), plus `serve` and `worker`. It is a Flask CLI, so `motcua db upgrade` and
`motcua run` work too."""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup

from .agencies import agencies
from .calendar import calendar
from .demo import demo
from .handoffs import handoffs, worker
from .officers import officers
from .procedures import procedures
from .serve import serve
from .signing import signing
from .tokens import tokens

GROUPS = (agencies, officers, tokens, procedures, handoffs, calendar, demo, signing)


def register_cli(app: Flask) -> None:
    for group in GROUPS:
        app.cli.add_command(group)
    app.cli.add_command(serve)
    app.cli.add_command(worker)


def main() -> None:
    """The console script's entry point."""
    from ..app import create_app

    FlaskGroup(create_app=create_app, help="motcua: procedures, dossiers and officers.")(
        prog_name="motcua"
    )
