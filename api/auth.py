"""Returns the officer behind a bearer token; tokens are random and stored as SHA-256 only.

A token carries 256 bits of randomness, so a fast hash is enough: nobody can brute-force the
preimage, and a lookup stays one indexed query per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import wraps

from flask import g, request
from sqlalchemy import select

from processes import LEADER_ROLE

from .errors import ApiError
from .extensions import db
from .models import ApiToken, Officer

TOKEN_PREFIX = "mc_"


@dataclass(frozen=True)
class Caller:
    """Who is calling: the officer, their agency and roles (read once per request)."""

    officer_id: int
    username: str
    agency_id: int
    agency_code: str
    agency_kind: str
    roles: frozenset[str]

    @property
    def is_leader(self) -> bool:
        return LEADER_ROLE in self.roles


def hash_token(token: str) -> str:
    """Returns the hex SHA-256 stored for a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(officer: Officer, label: str = "") -> tuple[str, ApiToken]:
    """Returns a new plaintext token (shown once) and its row, added to the session."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(officer=officer, token_hash=hash_token(token), prefix=token[:10], label=label)
    db.session.add(row)
    return token, row


def _caller_from_header() -> Caller:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "an Authorization: Bearer <token> header is required")
    digest = hash_token(token.strip())
    row = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
    ).one_or_none()
    # compare_digest keeps the check constant-time even though the lookup is by hash.
    if row is None or not hmac.compare_digest(row.token_hash, digest) or not row.officer.active:
        raise ApiError(401, "the token is not valid")
    officer = row.officer
    return Caller(
        officer_id=officer.id,
        username=officer.username,
        agency_id=officer.agency_id,
        agency_code=officer.agency.code,
        agency_kind=officer.agency.kind,
        roles=officer.roles,
    )


def current_caller() -> Caller:
    """Returns the authenticated caller of this request (401 when there is none)."""
    if "caller" not in g:
        g.caller = _caller_from_header()
    return g.caller


def login_required(view):
    """Returns the view wrapped so it runs only for an authenticated officer."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        current_caller()
        return view(*args, **kwargs)

    return wrapper
