"""`motcua officers`: create, list and deactivate officers (cán bộ)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..services import (
    Actor,
    create_officer,
    deactivate_officer,
    get_agency,
    issue_token,
    list_officers,
    operation,
    release_all_held_by,
)
from ..services.accounts import set_officer_email
from ..services.people import revoke_sessions, set_password
from ..store import Officer, db
from .common import emit, json_option, local_time, reports_errors

officers = AppGroup("officers", help="Officers (cán bộ) and their roles.")


def officer_payload(officer: Officer, token: str | None = None) -> dict:
    payload = {
        "username": officer.username,
        "agency": officer.agency.code,
        "roles": sorted(officer.roles),
        "full_name": officer.full_name,
        "active": officer.active,
    }
    if token is not None:
        payload["token"] = token
    return payload


@officers.command("create")
@click.option("--agency", "agency_code", required=True)
@click.option("--username", required=True)
@click.option("--role", "roles", multiple=True, required=True, help="repeat for several roles")
@click.option("--full-name", default="")
@json_option
@reports_errors
def officers_create(agency_code, username, roles, full_name, as_json):
    """Create an officer and print a new API token (shown once, stored hashed)."""
    op = operation()
    agency = get_agency(agency_code)
    officer = create_officer(
        op, agency=agency, username=username, roles=list(roles), full_name=full_name
    )
    token, _ = issue_token(op, officer, label="created with the officer")
    db.session.commit()
    emit(
        officer_payload(officer, token),
        as_json,
        f"created {officer.username} ({agency.code}, {', '.join(sorted(officer.roles))})\n"
        f"token: {token}",
    )


@officers.command("list")
@click.option("--agency", "agency_code", default=None, help="only this agency's officers")
@json_option
@reports_errors
def officers_list(agency_code, as_json):
    """List officers with their agency, roles and whether they are active."""
    rows = list_officers(agency_code)
    text = "\n".join(
        f"{o.agency.code}\t{o.username:<24}\t{','.join(sorted(o.roles)):<10}\t"
        f"{'active' if o.active else 'inactive'}\t{o.full_name}"
        for o in rows
    )
    emit({"officers": [officer_payload(o) for o in rows]}, as_json, text or "no officers")


@officers.command("deactivate")
@click.argument("username")
@json_option
@reports_errors
def officers_deactivate(username, as_json):
    """Deactivate an officer: their tokens and browser sessions stop working and the tasks
    they held go back to their agency's open pool."""
    officer = deactivate_officer(username)
    system = Actor.system(
        agency_id=officer.agency_id,
        agency_code=officer.agency.code,
        agency_kind=officer.agency.kind,
        reason="officer deactivated",
    )
    released = release_all_held_by(system, officer.id, reason="officer deactivated")
    revoke_sessions(operation(), officer.id)  # reactivating them later revives no session
    db.session.commit()
    emit(
        {**officer_payload(officer), "released_tasks": released},
        as_json,
        f"deactivated {officer.username}; {released} task(s) they held went back to the pool",
    )


@officers.command("email")
@click.argument("username")
@click.argument("address", required=False)
@click.option("--clear", is_flag=True, help="send this officer no email")
@json_option
@reports_errors
def officers_email(username, address, clear, as_json):
    """Set the address an officer's reminders and overdue notices are emailed to."""
    if not address and not clear:
        raise click.UsageError("give an ADDRESS, or --clear")
    officer = set_officer_email(username, None if clear else address)
    db.session.commit()
    emit(
        {**officer_payload(officer), "email": officer.email},
        as_json,
        f"{officer.username}: "
        + (f"reminders to {officer.email}" if officer.email else "no email"),
    )


@officers.command("password")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="read the password from the first line of standard input (for scripts)",
)
@json_option
@reports_errors
def officers_password(username, password_stdin, as_json):
    """Set the password an officer signs in with in a browser (at least 10 characters; asked
    twice, not shown). Their open sessions end and a lockout is lifted."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            "Password", hide_input=True, confirmation_prompt="Repeat the password"
        )
    officer = set_password(operation(), username, password)
    db.session.commit()
    emit(
        {
            **officer_payload(officer),
            "password_changed_at": local_time(officer.password_changed_at),
        },
        as_json,
        f"{officer.username}: password set; their browser sessions were signed out",
    )
