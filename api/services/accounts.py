"""Returns agencies and officers created with their checks (codes, kinds, roles)."""

from __future__ import annotations

import re

from sqlalchemy import select

from processes import ROLES, AgencyKind

from .errors import ApiError
from .extensions import db
from .models import Agency, Officer, OfficerRole

_AGENCY_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.]{1,31}$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def create_agency(*, code: str, name: str, kind: str) -> Agency:
    """Returns a new agency added to the session; 409 on a duplicate code."""
    if not _AGENCY_CODE.match(code):
        raise ApiError(422, "invalid agency code", {"code": ["capital letters, digits and dots"]})
    if kind not in {k.value for k in AgencyKind}:
        raise ApiError(422, "unknown agency kind", {"kind": [f"one of {[k.value for k in AgencyKind]}"]})
    if db.session.scalars(select(Agency).where(Agency.code == code)).first():
        raise ApiError(409, f"agency {code} exists")
    agency = Agency(code=code, name=name, kind=kind)
    db.session.add(agency)
    db.session.flush()
    return agency


def create_officer(*, agency: Agency, username: str, roles: list[str], full_name: str = "") -> Officer:
    """Returns a new officer of an agency holding the roles given; 422/409 on bad input."""
    if not _USERNAME.match(username):
        raise ApiError(422, "invalid username", {"username": ["lowercase letters, digits, . _ -"]})
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise ApiError(422, "invalid roles", {"role": [f"unknown {unknown}; known {sorted(ROLES)}"]})
    if db.session.scalars(select(Officer).where(Officer.username == username)).first():
        raise ApiError(409, f"officer {username} exists")
    officer = Officer(agency=agency, username=username, full_name=full_name)
    officer.role_rows = [OfficerRole(role=role) for role in sorted(set(roles))]
    db.session.add(officer)
    db.session.flush()
    return officer
