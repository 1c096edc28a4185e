"""Returns the demo agencies and officers that `make serve` seeds, with their tokens.

Demo tokens are derived from a random secret kept in the instance folder (HMAC of the
username), so `motcua demo officers` can print the very tokens the seed printed even though
only their hashes are stored. Real officers get random tokens from `motcua officers create`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from processes import ROLES, AgencyKind

from .accounts import create_agency, create_officer
from .auth import TOKEN_PREFIX, hash_token
from .extensions import db
from .models import Agency, ApiToken, Officer

DEMO_AGENCIES = (
    ("H29.01", "UBND xã Tân An", AgencyKind.COMMUNE),
    ("H29.02", "UBND xã Bình Minh", AgencyKind.COMMUNE),
)
DEMO_TOKEN_LABEL = "demo"


@dataclass(frozen=True)
class DemoOfficer:
    username: str
    agency: str
    roles: list[str]
    token: str


def demo_usernames(agency_code: str) -> dict[str, str]:
    """Returns role → username of the demo officers of an agency (e.g. h29.01.tiep_nhan)."""
    return {role: f"{agency_code.lower()}.{role}" for role in ROLES}


def _secret(instance_dir: Path) -> bytes:
    path = instance_dir / "demo_secret"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def demo_token(instance_dir: Path, username: str) -> str:
    """Returns the demo token of a username (stable for one instance folder)."""
    digest = hmac.new(_secret(instance_dir), username.encode(), hashlib.sha256).digest()
    return TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def seed(instance_dir: Path) -> list[DemoOfficer]:
    """Returns the demo officers after creating whatever of them is missing (idempotent)."""
    officers = []
    for code, name, kind in DEMO_AGENCIES:
        agency = db.session.scalars(select(Agency).where(Agency.code == code)).one_or_none()
        if agency is None:
            agency = create_agency(code=code, name=name, kind=kind.value)
        for role, username in demo_usernames(code).items():
            officer = db.session.scalars(
                select(Officer).where(Officer.username == username)
            ).one_or_none()
            if officer is None:
                officer = create_officer(
                    agency=agency, username=username, roles=[role],
                    full_name=f"{ROLES[role].name} ({name})",
                )
            token = demo_token(instance_dir, username)
            digest = hash_token(token)
            if db.session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first() is None:
                db.session.add(
                    ApiToken(officer=officer, token_hash=digest, prefix=token[:10], label=DEMO_TOKEN_LABEL)
                )
            officers.append(DemoOfficer(username, code, sorted(officer.roles or {role}), token))
    db.session.commit()
    return officers


def listing(instance_dir: Path) -> list[DemoOfficer]:
    """Returns the demo officers that exist, with their tokens."""
    result = []
    for code, _, _ in DEMO_AGENCIES:
        for username in demo_usernames(code).values():
            officer = db.session.scalars(select(Officer).where(Officer.username == username)).one_or_none()
            if officer is not None:
                result.append(
                    DemoOfficer(username, code, sorted(officer.roles), demo_token(instance_dir, username))
                )
    return result
