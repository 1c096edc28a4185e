"""Returns the officer behind a bearer token; tokens are random and stored as SHA-256 only.

A token carries 256 bits of randomness, so a fast hash is enough: nobody can brute-force the
preimage, and the lookup is by the hash itself (one indexed query per request), so no
comparison of secrets happens in Python at all.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import wraps

from flask import g, request
from sqlalchemy import bindparam, func, select

from processes import LEADER_ROLE

from .errors import ApiError
from .extensions import db
from .models import Agency, ApiToken, Officer, OfficerRole
from .runtime import runtime

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
    cache = runtime().tokens
    caller = cache.get(digest)
    if caller is not None:
        return caller
    row = db.session.connection().execute(_CALLER, {"p_token_hash": digest}).one_or_none()
    if row is None:
        raise ApiError(401, "the token is not valid")
    officer_id, username, agency_id, agency_code, agency_kind, roles = row
    caller = Caller(
        officer_id=officer_id,
        username=username,
        agency_id=agency_id,
        agency_code=agency_code,
        agency_kind=agency_kind,
        roles=frozenset(filter(None, (roles or "").split(","))),
    )
    cache.put(digest, caller)
    return caller


# One round trip: the token, its officer, the agency and the roles, aggregated; built once.
_CALLER = (
    select(
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
    .group_by(Officer.id, Officer.username, Officer.agency_id, Agency.code, Agency.kind)
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
