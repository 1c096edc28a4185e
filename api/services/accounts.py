"""Agencies and officers: created with their checks (codes, kinds, roles), listed, and
deactivated."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from processes import LEADER_ROLE, OPERATOR_ROLE, ROLES, AgencyKind

from ..store import Agency, Officer, OfficerRole, db
from .actor import Actor
from .channels import check_webhook_url, email_problem
from .errors import Conflict, Forbidden, Invalid, NotFound
from .runtime import Operation
from .signatures import new_secret

_AGENCY_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.]{1,31}$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def create_agency(op: Operation, *, code: str, name: str, kind: str, area: str = "") -> Agency:
    """Returns a new agency added to the session; Conflict on a duplicate code. `area` is
    the administrative area it serves (e.g. H29.01; H29 serves every H29.* area)."""
    if not _AGENCY_CODE.fullmatch(code):
        raise Invalid("invalid agency code", {"code": ["capital letters, digits and dots"]})
    kinds = [k.value for k in AgencyKind]
    if kind not in kinds:
        raise Invalid("unknown agency kind", {"kind": [f"one of {kinds}"]})
    if not name.strip() or len(name) > 255:
        raise Invalid("invalid agency name", {"name": ["1 to 255 characters"]})
    if area and not _AGENCY_CODE.fullmatch(area):
        raise Invalid("invalid area", {"area": ["capital letters, digits and dots"]})
    if find_agency(code) is not None:
        raise Conflict(f"agency {code} exists")
    agency = Agency(code=code, name=name, kind=kind, area=area, created_at=op.at)
    db.session.add(agency)
    db.session.flush()
    return agency


def create_officer(
    op: Operation, *, agency: Agency, username: str, roles: list[str], full_name: str = ""
) -> Officer:
    """Returns a new officer of an agency holding the roles given; Invalid or Conflict on bad
    input."""
    if not _USERNAME.fullmatch(username):
        raise Invalid("invalid username", {"username": ["lowercase letters, digits, . _ -"]})
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise Invalid("invalid roles", {"role": [f"unknown {unknown}; known {sorted(ROLES)}"]})
    if find_officer(username) is not None:
        raise Conflict(f"officer {username} exists")
    officer = Officer(
        agency=agency, username=username, full_name=full_name, active=True, created_at=op.at
    )
    officer.role_rows = [OfficerRole(role=role) for role in sorted(set(roles))]
    db.session.add(officer)
    db.session.flush()
    return officer


def find_agency(code: str) -> Agency | None:
    """Returns the agency with this code, or None."""
    return db.session.scalars(select(Agency).where(Agency.code == code)).one_or_none()


def get_agency(code: str) -> Agency:
    """Returns the agency with this code; NotFound otherwise."""
    agency = find_agency(code)
    if agency is None:
        raise NotFound(f"no agency {code}")
    return agency


def find_officer(username: str) -> Officer | None:
    """Returns the officer with this username, or None."""
    return db.session.scalars(select(Officer).where(Officer.username == username)).one_or_none()


def get_officer(username: str) -> Officer:
    """Returns the officer with this username; NotFound otherwise."""
    officer = find_officer(username)
    if officer is None:
        raise NotFound(f"no officer {username}")
    return officer


def list_agencies() -> list[Agency]:
    """Returns every agency, by code."""
    return list(db.session.scalars(select(Agency).order_by(Agency.code)))


def list_officers(agency_code: str | None = None) -> list[Officer]:
    """Returns the officers (of one agency when a code is given), by agency then username."""
    statement = select(Officer).join(Agency).order_by(Agency.code, Officer.username)
    if agency_code is not None:
        statement = statement.where(Agency.id == get_agency(agency_code).id)
    return list(db.session.scalars(statement))


def deactivate_officer(username: str) -> Officer:
    """Returns the officer, now inactive: their tokens stop working (within the token cache's
    few seconds). The tasks they hold stay claimed until released: the caller releases them
    in the same transaction (`release_all_held_by`, as `motcua officers deactivate` does)."""
    officer = get_officer(username)
    if not officer.active:
        raise Conflict(f"officer {username} is already inactive")
    officer.active = False
    db.session.flush()
    return officer


def make_external(code: str, url: str, secret: str) -> Agency:
    """Returns the agency, now reached outside the platform: its handoffs are POSTed to `url`
    signed with `secret` (an http or https address; the caller commits)."""
    agency = get_agency(code)
    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or len(url) > 500:
        raise Invalid("invalid address", {"url": ["an http(s) address of at most 500 characters"]})
    if len(secret) < 32 or len(secret) > 128:
        raise Invalid("invalid secret", {"secret": ["32 to 128 characters"]})
    agency.external_url, agency.shared_secret = url, secret
    return agency


def set_officer_email(username: str, email: str | None) -> Officer:
    """Returns the officer with the email address their reminders go to (None: no email;
    the caller commits)."""
    officer = get_officer(username)
    if email is not None:
        problem = email_problem(email)
        if problem or len(email) > 255:
            raise Invalid("invalid email", {"email": [problem or "at most 255 characters"]})
    officer.email = email
    return officer


def set_webhook(code: str, url: str | None) -> tuple[Agency, str | None]:
    """Returns the agency and the new secret its notifications' webhook is signed with
    (None, with the webhook removed, when `url` is None; the caller commits)."""
    agency = get_agency(code)
    if url is None:
        agency.webhook_url = agency.webhook_secret = None
        return agency, None
    problem = check_webhook_url(url)
    if problem:
        raise Invalid("invalid webhook", {"url": [problem]})
    agency.webhook_url, agency.webhook_secret = url, new_secret()
    return agency, agency.webhook_secret


def make_internal(code: str) -> Agency:
    """Returns the agency, now working inside the platform again (the caller commits)."""
    agency = get_agency(code)
    agency.external_url = agency.shared_secret = None
    return agency


def colleagues(actor: Actor, role: str | None = None) -> list[Officer]:
    """Returns the active officers of the actor's agency (holding `role` when given), by
    username: whom a leader may give a task to. Leaders and operators only."""
    if LEADER_ROLE not in actor.roles and OPERATOR_ROLE not in actor.roles:
        raise Forbidden("only leaders and operators list the agency's officers")
    if role is not None and role not in ROLES:
        raise Invalid("unknown role", {"role": [f"one of {', '.join(sorted(ROLES))}"]})
    statement = (
        select(Officer)
        .where(Officer.agency_id == actor.agency_id, Officer.active.is_(True))
        .order_by(Officer.username)
    )
    if role is not None:
        statement = statement.where(
            Officer.id.in_(select(OfficerRole.officer_id).where(OfficerRole.role == role))
        )
    return list(db.session.scalars(statement))
