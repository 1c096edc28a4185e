"""People in browsers: officers' passwords, signing in (with lockout and a limit per client
address), and the sessions a browser's cookie stands for.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second
recommendation: 64 MiB, 3 passes, 4 lanes); the hash carries its parameters, so a hash made
with weaker ones is replaced at the next sign-in. A password is never stored, logged or
returned. Every refusal of a sign-in costs one hash verification, whether the officer exists
or not, and says the same thing.

A session is a random 256-bit secret in an HttpOnly cookie; the database keeps only its
SHA-256 (`web_sessions.id`), so a leaked table signs nobody in. It ends 8 hours after its
last use or 12 hours after it began, at sign-out, when its officer is deactivated or
their password changes. Requests that change something also carry the session's CSRF token,
which the page reads from the sign-in answer (a cross-site page cannot).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select, update

from ..store import Agency, Officer, OfficerRole, WebSession, db
from .accounts import get_officer
from .actor import Actor
from .errors import Invalid, Throttled, Unauthenticated
from .ratelimits import Limit, check, minutes, record_failure, retry_after
from .runtime import Operation, operation, runtime

MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; a megabyte of "password" is not one
IDLE = timedelta(hours=8)
LIFETIME = timedelta(hours=12)
# last_seen_at is refreshed at most this often (a write per request would cost more than the
# minute it buys on an 8-hour idle limit).
SEEN_RESOLUTION = timedelta(minutes=1)
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
# Per client address: password spraying (one password, many usernames) never trips one
# account's lockout, so the address is limited too.
SIGN_IN_LIMIT = Limit(
    "sign-in", limit=20, window=timedelta(minutes=15), block=timedelta(minutes=15)
)
MAX_SECRET = 128

WRONG_CREDENTIALS = "tên đăng nhập hoặc mật khẩu không đúng"
LOCKED = "tài khoản tạm khóa do nhập sai mật khẩu nhiều lần; thử lại sau {minutes} phút"
TOO_MANY = "quá nhiều lần đăng nhập sai từ địa chỉ này; thử lại sau {minutes} phút"

_HASHER = PasswordHasher()  # argon2id


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # What an unknown officer's attempt is checked against: the same work as a real one.
    return _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """Returns the argon2id hash of a password that meets the rules (Invalid otherwise)."""
    problem = password_problem(password)
    if problem:
        raise Invalid("the password was refused", {"password": [problem]})
    return _HASHER.hash(password)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"at most {MAX_PASSWORD} characters"
    if "\x00" in password:
        return "no NUL character"
    return None


def _verify(hashed: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(hashed or _dummy_hash(), password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def password_is(officer: Officer, password: str) -> bool:
    """Whether this is the officer's password (one hash verification)."""
    return officer.password_hash is not None and _verify(officer.password_hash, password)


def set_password(op: Operation, username: str, password: str) -> Officer:
    """Returns the officer with a new password (the caller commits): their sessions end,
    their lockout is lifted."""
    officer = get_officer(username)
    officer.password_hash = hash_password(password)
    officer.password_changed_at = op.at
    officer.failed_sign_ins, officer.locked_until = 0, None
    revoke_sessions(op, officer.id)
    db.session.flush()
    return officer


def revoke_sessions(op: Operation, officer_id: int) -> None:
    """Ends every live session of an officer (in the caller's transaction)."""
    db.session.execute(
        update(WebSession)
        .where(WebSession.officer_id == officer_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=op.at)
    )


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie's secret (given to the browser once, never stored), its
    CSRF token, and the officer."""

    secret: str
    csrf_token: str
    officer: Officer
    expires_at: datetime


def sign_in(username: object, password: object, client: str) -> SignedIn:
    """Returns a new session for the officer whose password this is. Unauthenticated (one
    message for every reason) or Throttled (locked account, or too many failures from this
    client address); a failure is counted and committed before the error is raised."""
    op = operation()
    check(SIGN_IN_LIMIT, client, op.at, TOO_MANY)
    username = username if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    officer = None
    if 0 < len(username) <= 64 and username.isascii():
        officer = db.session.scalars(
            select(Officer)
            .where(Officer.username == username.strip().lower())
            .with_for_update(of=Officer)
        ).one_or_none()
    usable = officer is not None and officer.active and officer.password_hash is not None
    # A password longer than any that can be set is wrong, after the same work as any other.
    fits = len(password) <= MAX_PASSWORD
    right = _verify(officer.password_hash if usable and fits else None, password[:MAX_PASSWORD])
    if usable and officer.locked_until is not None and officer.locked_until > op.at:
        db.session.rollback()
        wait = retry_after(officer.locked_until, op.at)
        raise Throttled(LOCKED.format(minutes=minutes(wait)), wait)
    if not (usable and right):
        if usable:
            officer.failed_sign_ins += 1
            if officer.failed_sign_ins >= MAX_FAILURES:
                officer.failed_sign_ins, officer.locked_until = 0, op.at + LOCKOUT
        record_failure(SIGN_IN_LIMIT, client, op.at)
        db.session.commit()
        raise Unauthenticated(WRONG_CREDENTIALS)
    if _HASHER.check_needs_rehash(officer.password_hash):
        officer.password_hash = _HASHER.hash(password)
    officer.failed_sign_ins, officer.locked_until = 0, None
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session = WebSession(
        id=_digest(secret),
        officer_id=officer.id,
        csrf_token=csrf,
        created_at=op.at,
        last_seen_at=op.at,
        expires_at=op.at + LIFETIME,
    )
    db.session.add(session)
    db.session.commit()
    return SignedIn(secret, csrf, officer, session.expires_at)


@dataclass(frozen=True)
class SessionActor:
    """The actor a live session stands for, and what the HTTP layer checks with it."""

    session_id: str
    actor: Actor
    csrf_token: str

    def csrf_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(
            given.encode("utf-8", "replace"), self.csrf_token.encode()
        )


def authenticate_session(secret: str) -> SessionActor | None:
    """Returns who a live session's cookie stands for, or None (unknown, signed out, idle
    over 8 hours, older than 12, or its officer deactivated): checked on every request, so
    a deactivation takes effect at once."""
    if not secret or len(secret) > MAX_SECRET or not secret.isascii():
        return None
    at = runtime().clock()
    digest = _digest(secret)
    row = db.session.execute(_SESSION_ACTOR, {"p_id": digest}).one_or_none()
    if row is None:
        return None
    if row.expires_at <= at or row.last_seen_at + IDLE <= at:
        return None
    actor = Actor.officer(
        officer_id=row.officer_id,
        username=row.username,
        agency_id=row.agency_id,
        agency_code=row.agency_code,
        agency_kind=row.agency_kind,
        roles=frozenset(filter(None, (row.roles or "").split(","))),
    )
    if at - row.last_seen_at >= SEEN_RESOLUTION:
        # Its own short transaction, before the request's work begins (as tokens do).
        db.session.execute(
            update(WebSession).where(WebSession.id == digest).values(last_seen_at=at)
        )
        db.session.commit()
    return SessionActor(digest, actor, row.csrf_token)


def sign_out(session_id: str) -> None:
    """Ends a session (it stops working at once)."""
    op = operation()
    db.session.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=op.at)
    )
    db.session.commit()


def describe_officer(officer_id: int) -> dict:
    """Returns what a signed-in page shows of its officer."""
    officer = db.session.get(Officer, officer_id)
    return {
        "username": officer.username,
        "full_name": officer.full_name,
        "agency": {"code": officer.agency.code, "name": officer.agency.name},
        "roles": sorted(officer.roles),
    }


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_SESSION_ACTOR = (
    select(
        WebSession.csrf_token,
        WebSession.last_seen_at,
        WebSession.expires_at,
        Officer.id.label("officer_id"),
        Officer.username,
        Officer.agency_id,
        Agency.code.label("agency_code"),
        Agency.kind.label("agency_kind"),
        func.aggregate_strings(OfficerRole.role, ",").label("roles"),
    )
    .join(Officer, Officer.id == WebSession.officer_id)
    .join(Agency, Agency.id == Officer.agency_id)
    .outerjoin(OfficerRole, OfficerRole.officer_id == Officer.id)
    .where(
        WebSession.id == bindparam("p_id"),
        WebSession.revoked_at.is_(None),
        Officer.active.is_(True),
    )
    .group_by(
        WebSession.id,
        WebSession.csrf_token,
        WebSession.last_seen_at,
        WebSession.expires_at,
        Officer.id,
        Officer.username,
        Officer.agency_id,
        Agency.code,
        Agency.kind,
    )
)
