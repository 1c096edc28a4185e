"""The `motcua` console: operators create agencies, officers and tokens, deploy procedures,
and seed the demo. It is a Flask CLI group, so `motcua db upgrade` and `motcua run` work too.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from .accounts import create_agency, create_officer
from .auth import issue_token
from .demo import seed, listing
from .errors import ApiError
from .extensions import db
from .models import Agency, ApiToken, Officer, utcnow
from .procedures import deploy_catalogue
from .runtime import now


def _instance_dir() -> Path:
    return Path(current_app.config["MOTCUA_INSTANCE_DIR"])


def _fail(error: ApiError) -> None:
    db.session.rollback()
    detail = f" {error.errors}" if error.errors else ""
    raise click.ClickException(f"{error.message}{detail}")


def _print(payload: dict, as_json: bool, text: str) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2) if as_json else text)


def _officer_payload(officer: Officer, token: str | None = None) -> dict:
    payload = {
        "username": officer.username,
        "agency": officer.agency.code,
        "roles": sorted(officer.roles),
        "full_name": officer.full_name,
    }
    if token is not None:
        payload["token"] = token
    return payload


agencies = AppGroup("agencies", help="Agencies (cơ quan).")


@agencies.command("create")
@click.option("--code", required=True, help="e.g. H29.01")
@click.option("--name", required=True, help="e.g. UBND xã Tân An")
@click.option("--kind", required=True, help="ubnd_xa, cong_an, bhxh, bao_tro_xa_hoi")
@click.option("--json", "as_json", is_flag=True)
def agencies_create(code, name, kind, as_json):
    try:
        agency = create_agency(code=code, name=name, kind=kind)
        db.session.commit()
    except ApiError as error:
        _fail(error)
    _print({"code": agency.code, "name": agency.name, "kind": agency.kind}, as_json,
           f"created agency {agency.code} ({agency.name})")


@agencies.command("list")
@click.option("--json", "as_json", is_flag=True)
def agencies_list(as_json):
    rows = db.session.scalars(select(Agency).order_by(Agency.code)).all()
    payload = {"agencies": [{"code": a.code, "name": a.name, "kind": a.kind} for a in rows]}
    _print(payload, as_json, "\n".join(f"{a.code}\t{a.kind}\t{a.name}" for a in rows))


officers = AppGroup("officers", help="Officers (cán bộ) and their roles.")


@officers.command("create")
@click.option("--agency", "agency_code", required=True)
@click.option("--username", required=True)
@click.option("--role", "roles", multiple=True, required=True, help="repeat for several roles")
@click.option("--full-name", default="")
@click.option("--json", "as_json", is_flag=True)
def officers_create(agency_code, username, roles, full_name, as_json):
    """Create an officer and print a new API token (shown once, stored hashed)."""
    agency = db.session.scalars(select(Agency).where(Agency.code == agency_code)).one_or_none()
    if agency is None:
        raise click.ClickException(f"no agency {agency_code}")
    try:
        officer = create_officer(agency=agency, username=username, roles=list(roles), full_name=full_name)
        token, _ = issue_token(officer, label="created with the officer")
        db.session.commit()
    except ApiError as error:
        _fail(error)
    _print(_officer_payload(officer, token), as_json,
           f"created {officer.username} ({agency.code}, {', '.join(sorted(officer.roles))})\ntoken: {token}")


tokens = AppGroup("tokens", help="API tokens (stored hashed; a token is shown once).")


@tokens.command("create")
@click.option("--username", required=True)
@click.option("--label", default="")
@click.option("--json", "as_json", is_flag=True)
def tokens_create(username, label, as_json):
    officer = db.session.scalars(select(Officer).where(Officer.username == username)).one_or_none()
    if officer is None:
        raise click.ClickException(f"no officer {username}")
    token, _ = issue_token(officer, label=label)
    db.session.commit()
    _print(_officer_payload(officer, token), as_json, token)


@tokens.command("revoke")
@click.option("--username", required=True)
@click.option("--prefix", default=None, help="only the token starting with this prefix")
def tokens_revoke(username, prefix):
    """Revoke an officer's tokens (all of them, or the one with a prefix)."""
    statement = select(ApiToken).join(Officer).where(
        Officer.username == username, ApiToken.revoked_at.is_(None)
    )
    if prefix:
        statement = statement.where(ApiToken.prefix == prefix[:10])
    rows = db.session.scalars(statement).all()
    for row in rows:
        row.revoked_at = utcnow()
    db.session.commit()
    click.echo(f"revoked {len(rows)} token(s)")


procedures = AppGroup("procedures", help="Procedure versions.")


@procedures.command("deploy")
def procedures_deploy():
    """Deploy the catalogue's diagrams and forms (a new version only when content changed)."""
    for version, created in deploy_catalogue(now()):
        state = "new version" if created else "unchanged"
        click.echo(f"{version.procedure_code} v{version.version} {version.content_hash[:12]} ({state})")
    db.session.commit()


demo = AppGroup("demo", help="The demo agencies and officers.")


@demo.command("seed")
@click.option("--json", "as_json", is_flag=True)
def demo_seed(as_json):
    """Deploy the catalogue and create two communes with one officer per role."""
    deploy_catalogue(now())
    db.session.commit()
    _print_demo(seed(_instance_dir()), as_json)


@demo.command("officers")
@click.option("--json", "as_json", is_flag=True)
def demo_officers(as_json):
    """Print the demo officers with their tokens."""
    _print_demo(listing(_instance_dir()), as_json)


@demo.command("token")
@click.argument("username")
def demo_token_command(username):
    """Print one demo officer's token (handy in shell scripts)."""
    for row in listing(_instance_dir()):
        if row.username == username:
            click.echo(row.token)
            return
    raise click.ClickException(f"no demo officer {username}; run `motcua demo seed` first")


def _print_demo(rows, as_json: bool) -> None:
    payload = {"officers": [row.__dict__ for row in rows]}
    text = "\n".join(f"{r.agency}\t{r.username:<24}\t{','.join(r.roles):<10}\t{r.token}" for r in rows)
    _print(payload, as_json, "Demo officers (agency, username, roles, token):\n" + text)


def register_cli(app: Flask) -> None:
    for group in (agencies, officers, tokens, procedures, demo):
        app.cli.add_command(group)
