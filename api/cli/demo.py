"""`motcua demo`: the demo agencies and officers, and their tokens."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..services import deploy_shipped, operation
from ..services.demo import DEMO_AGENCIES, DemoOfficer, listing, seed
from ..services.documents import demo_pki
from ..store import db
from .common import emit, instance_dir, json_option, reports_errors

demo = AppGroup("demo", help="The demo agencies and officers.")


@demo.command("seed")
@json_option
@reports_errors
def demo_seed(as_json):
    """Deploy the shipped procedures and groups, and create two communes, their police, the
    province's social insurance and social protection, with one officer per role each
    (idempotent; a revoked demo token is replaced by a new one)."""
    op = operation()
    deploy_shipped(op)
    db.session.commit()
    seeded = seed(op, instance_dir())
    demo_pki([code for code, *_ in DEMO_AGENCIES])  # each demo agency signs its results
    _print(seeded, as_json)


@demo.command("officers")
@json_option
@reports_errors
def demo_officers(as_json):
    """Print the demo officers with their tokens and browser passwords."""
    _print(listing(instance_dir(), with_passwords=True), as_json)


@demo.command("token")
@click.argument("username")
@reports_errors
def demo_token_command(username):
    """Print one demo officer's token (handy in shell scripts)."""
    for row in listing(instance_dir()):
        if row.username == username:
            if row.token is None:
                raise click.ClickException(f"{username}: {row.problem}")
            click.echo(row.token)
            return
    raise click.ClickException(f"no demo officer {username}; run `motcua demo seed` first")


def _print(rows: list[DemoOfficer], as_json: bool) -> None:
    payload = {"officers": [row.__dict__ for row in rows]}
    lines = [
        f"{r.agency}\t{r.username:<24}\t{','.join(r.roles):<10}\t{r.password or '-':<16}\t"
        f"{r.token or '(' + r.problem + ')'}"
        for r in rows
    ]
    emit(
        payload,
        as_json,
        "Demo officers (agency, username, roles, browser password, token):\n" + "\n".join(lines),
    )
    for row in rows:
        if row.problem:
            click.echo(f"warning: {row.username}: {row.problem}", err=True)
