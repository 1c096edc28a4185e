"""API tokens: issued (shown once), stored as SHA-256 only, resolved to an actor, listed and
revoked.

A token carries 256 bits of randomness, so a fast hash is enough: nobody can brute-force the
preimage, and the lookup is by the hash itself (one indexed query), so no comparison of
secrets happens in Python at all.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, func, select, update

from ..store import Agency, ApiToken, Officer, OfficerRole, db
from .accounts import get_officer
from .actor import Actor
from .errors import Invalid, NotFound
from .runtime import Operation, runtime

TOKEN_PREFIX = "mc_"
PREFIX_LENGTH = 10  # what listings show: "mc_" and 7 characters
MIN_REVOKE_PREFIX = 6  # shorter prefixes would match by accident
# `last_used_at` is a hint for operators: refreshing it at most this often keeps it from
# costing a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def hash_token(token: str) -> str:
    """Returns the hex SHA-256 stored for a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """Returns a new random token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def issue_token(op: Operation, officer: Officer, label: str = "", token: str | None = None):
    """Returns a token (new unless given; shown once) and its row, added to the session."""
    token = token or new_token()
    row = ApiToken(
        officer=officer,
        token_hash=hash_token(token),
        prefix=token[:PREFIX_LENGTH],
        label=label,
        created_at=op.at,
    )
    db.session.add(row)
    db.session.flush()
    return token, row


def authenticate(token: str) -> Actor | None:
    """Returns the officer a live token belongs to, or None (unknown, revoked, inactive)."""
    digest = hash_token(token)
    cache = runtime().tokens
    actor = cache.get(digest)
    if actor is not None:
        return actor
    row = db.session.connection().execute(_ACTOR, {"p_token_hash": digest}).one_or_none()
    if row is None:
        return None
    token_id, last_used_at, officer_id, username, agency_id, agency_code, agency_kind, roles = row
    actor = Actor.officer(
        officer_id=officer_id,
        username=username,
        agency_id=agency_id,
        agency_code=agency_code,
        agency_kind=agency_kind,
        roles=frozenset(filter(None, (roles or "").split(","))),
    )
    at = runtime().clock()
    if last_used_at is None or at - last_used_at >= LAST_USED_RESOLUTION:
        # Its own short transaction, before the request's work begins.
        db.session.connection().execute(_TOUCH, {"p_id": token_id, "last_used_at": at})
        db.session.commit()
    cache.put(digest, actor)
    return actor


def list_tokens(username: str) -> list[ApiToken]:
    """Returns an officer's tokens, newest first (revoked ones too, marked as such)."""
    officer = get_officer(username)
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.officer_id == officer.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_tokens(op: Operation, username: str, prefix: str | None = None) -> list[ApiToken]:
    """Returns the tokens revoked: every live token of the officer, or the one a prefix (or
    the whole token) names. Matching nothing, or more than one token by a prefix, is an
    error: an operator must never believe a leaked token is dead when it is not."""
    officer = get_officer(username)
    statement = select(ApiToken).where(
        ApiToken.officer_id == officer.id, ApiToken.revoked_at.is_(None)
    )
    if prefix is not None:
        prefix = prefix.strip()
        if len(prefix) < MIN_REVOKE_PREFIX:
            raise Invalid(
                "the prefix is too short to name one token",
                {"prefix": [f"at least {MIN_REVOKE_PREFIX} characters, as `tokens list` shows"]},
            )
        if len(prefix) > PREFIX_LENGTH:
            statement = statement.where(ApiToken.token_hash == hash_token(prefix))
        else:
            # Not LIKE: SQLite's LIKE ignores case, and tokens are case-sensitive base64, so
            # "mc_abc" would also name "mc_ABC…" (the wrong token revoked, or an exact prefix
            # refused as ambiguous). Equality compares case on both databases.
            statement = statement.where(func.substr(ApiToken.prefix, 1, len(prefix)) == prefix)
    rows = list(db.session.scalars(statement))
    if not rows:
        if prefix is None:
            what = "at all"
        elif len(prefix) > PREFIX_LENGTH:
            # Longer than the stored prefix, it is matched as the whole token: say so, or an
            # operator who pasted a dozen characters is told no token starts with them.
            what = (
                f"equal to the {len(prefix)} characters given (more than the {PREFIX_LENGTH} "
                "of a prefix must be the whole token)"
            )
        else:
            what = f"starting with {prefix!r}"
        raise NotFound(f"{username} has no live token {what}; nothing was revoked")
    if prefix is not None and len(rows) > 1:
        raise Invalid(
            f"the prefix {prefix!r} matches {len(rows)} live tokens of {username}",
            {"prefix": ["give more characters (see `motcua tokens list`)"]},
        )
    for row in rows:
        row.revoked_at = op.at
    db.session.flush()
    return rows


# One round trip: the token, its officer, the agency and the roles, aggregated; built once.
_ACTOR = (
    select(
        ApiToken.id,
        ApiToken.last_used_at,
        Officer.id,
        Officer.username,
        Officer.agency_id,
        Agency.code,
        Agency.kind,
        func.aggregate_strings(OfficerRole.role, ","),
    )
    .join(ApiToken, ApiToken.officer_id == Officer.id)
    .join(Agency, Agency.id == Officer.agency_id)
    .outerjoin(OfficerRole, OfficerRole.officer_id == Officer.id)
    .where(
        ApiToken.token_hash == bindparam("p_token_hash"),
        ApiToken.revoked_at.is_(None),
        Officer.active.is_(True),
    )
    .group_by(
        ApiToken.id,
        ApiToken.last_used_at,
        Officer.id,
        Officer.username,
        Officer.agency_id,
        Agency.code,
        Agency.kind,
    )
)
_TOUCH = (
    update(ApiToken)
    .where(ApiToken.id == bindparam("p_id"))
    .values(last_used_at=bindparam("last_used_at"))
)
