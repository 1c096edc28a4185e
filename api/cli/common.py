"""What every command shares: reporting domain errors in words with a non-zero exit, and
printing either text or JSON."""

from __future__ import annotations

import json
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from engine.calendar import TIMEZONE

from ..services import DomainError, from_database_error
from ..store import db


def reports_errors(command):
    """Returns the command wrapped so a refused operation rolls back, prints its reason and
    exits with status 1 (a database fault too); a bug still shows its traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        except SQLAlchemyError as error:
            db.session.rollback()
            domain = from_database_error(error)
            if domain is None:
                raise
            raise click.ClickException(str(domain)) from None

    return wrapper


def emit(payload: Any, as_json: bool, text: str) -> None:
    """Prints the payload as JSON, or the text for people."""
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str) if as_json else text)


def local_time(value: datetime | None, timespec: str = "auto") -> str | None:
    """Returns a stored (UTC) or just-written time in Vietnam time, as the API shows times:
    one offset in every listing, whichever row was read back and which was just written."""
    return value.astimezone(TIMEZONE).isoformat(timespec=timespec) if value else None


def instance_dir() -> Path:
    return Path(current_app.config["MOTCUA_INSTANCE_DIR"])


def json_option(function):
    return click.option("--json", "as_json", is_flag=True, help="print JSON")(function)
