"""The `motcua` console script: the Flask CLI with the app factory and our command groups."""

from __future__ import annotations

from flask.cli import FlaskGroup

from .app import create_app


def main() -> None:
    FlaskGroup(create_app=create_app, help="motcua: procedures, dossiers and officers.")(
        prog_name="motcua"
    )
