"""`motcua tokens`: issue, list and revoke API tokens (stored hashed; shown once)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..services import (
    Conflict,
    get_officer,
    issue_token,
    list_tokens,
    operation,
    revoke_tokens,
)
from ..store import ApiToken, db
from .common import emit, json_option, local_time, reports_errors
from .officers import officer_payload

tokens = AppGroup("tokens", help="API tokens (stored hashed; a token is shown once).")


def token_payload(row: ApiToken) -> dict:
    return {
        "prefix": row.prefix,
        "label": row.label,
        "created_at": local_time(row.created_at),
        "last_used_at": local_time(row.last_used_at),
        "revoked_at": local_time(row.revoked_at),
    }


@tokens.command("create")
@click.option("--username", required=True)
@click.option("--label", default="")
@json_option
@reports_errors
def tokens_create(username, label, as_json):
    """Issue a new token for an officer and print it (shown once)."""
    officer = get_officer(username)
    if not officer.active:
        # The token would be refused on every request: say so rather than print it.
        raise Conflict(f"officer {username} is inactive; a token would not work")
    token, _ = issue_token(operation(), officer, label=label)
    db.session.commit()
    emit(officer_payload(officer, token), as_json, token)


@tokens.command("list")
@click.option("--username", required=True)
@json_option
@reports_errors
def tokens_list(username, as_json):
    """List an officer's tokens: prefix, created, last used (to a few minutes), revoked."""
    rows = list_tokens(username)

    def when(value):
        return local_time(value, "minutes") or "-"

    text = "\n".join(
        f"{r.prefix}\tcreated {when(r.created_at)}\tlast used {when(r.last_used_at)}\t"
        f"{'revoked ' + when(r.revoked_at) if r.revoked_at else 'live'}\t{r.label}"
        for r in rows
    )
    emit({"tokens": [token_payload(r) for r in rows]}, as_json, text or f"{username} has no tokens")


@tokens.command("revoke")
@click.option("--username", required=True)
@click.option(
    "--prefix",
    default=None,
    help="only the token starting with this prefix (as `tokens list` shows it), or the token",
)
@json_option
@reports_errors
def tokens_revoke(username, prefix, as_json):
    """Revoke an officer's live tokens, or the one a prefix names. Fails (exit 1) when nothing
    matches or the prefix matches more than one token."""
    rows = revoke_tokens(operation(), username, prefix)
    db.session.commit()
    emit(
        {"revoked": [token_payload(r) for r in rows]},
        as_json,
        f"revoked {len(rows)} token(s) of {username}: {', '.join(r.prefix for r in rows)}",
    )
