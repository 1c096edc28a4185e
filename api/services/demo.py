"""The demo agencies and officers that `make serve` seeds, with their tokens.

Demo tokens are derived from a random secret kept in the instance folder (HMAC of the
username and a generation number), so `motcua demo officers` can print the very tokens the
seed printed even though only their hashes are stored. When an operator revokes a demo token,
the next seed issues the next generation's token instead of bringing the revoked one back;
until then the listing says the token was revoked. Real officers get random tokens from
`motcua officers create`.
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

from ..store import ApiToken, Officer, db
from .accounts import create_agency, create_officer, find_agency, find_officer
from .people import hash_password, password_is
from .runtime import Operation
from .tokens import TOKEN_PREFIX, hash_token, issue_token

# (code, name, kind, area): the agencies of one province's interlinked groups. A handoff
# goes to the agency of the receiving kind whose area is the receiving commune's, or the
# nearest enclosing one (the provincial social insurance serves every H29.* commune).
DEMO_AGENCIES = (
    ("H29.01", "UBND xã Tân An", AgencyKind.COMMUNE, "H29.01"),
    ("H29.02", "UBND xã Bình Minh", AgencyKind.COMMUNE, "H29.02"),
    ("CA29.01", "Công an xã Tân An", AgencyKind.POLICE, "H29.01"),
    ("CA29.02", "Công an xã Bình Minh", AgencyKind.POLICE, "H29.02"),
    ("BH29", "Bảo hiểm xã hội tỉnh", AgencyKind.SOCIAL_INSURANCE, "H29"),
    ("XH29", "Sở Y tế – Bảo trợ xã hội", AgencyKind.SOCIAL_PROTECTION, "H29"),
)
DEMO_TOKEN_LABEL = "demo"
# Every demo officer signs in with this password in a browser (documented in the README; a
# demo, not a secret) until an operator sets another with `motcua officers password`.
DEMO_PASSWORD = "motcua-demo-2026"
# Revoking a demo token this many times is not a demo any more.
MAX_GENERATIONS = 100


@dataclass(frozen=True)
class DemoOfficer:
    username: str
    agency: str
    roles: list[str]
    token: str | None  # None when revoked and not yet re-issued, or the officer is inactive
    problem: str = ""  # what an operator should know (revoked, inactive)
    password: str | None = None  # the demo password, while it is still theirs


def demo_usernames(agency_code: str) -> dict[str, str]:
    """Returns role → username of the demo officers of an agency (e.g. h29.01.tiep_nhan):
    one per role (every agency has a counter: each procedure may also be received alone)."""
    return {role: f"{agency_code.lower()}.{role}" for role in ROLES}


def demo_token(instance_dir: Path, username: str, generation: int = 0) -> str:
    """Returns the demo token of a username and generation (stable for one instance folder)."""
    message = username if generation == 0 else f"{username}#{generation}"
    digest = hmac.new(_secret(instance_dir), message.encode(), hashlib.sha256).digest()
    return TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def seed(op: Operation, instance_dir: Path) -> list[DemoOfficer]:
    """Returns the demo officers after creating whatever of them is missing, and a new token
    for any whose token was revoked (idempotent; an inactive officer stays inactive). An
    officer without a password gets the demo password."""
    demo_hash = None
    for code, name, kind, area in DEMO_AGENCIES:
        agency = find_agency(code) or create_agency(
            op, code=code, name=name, kind=kind.value, area=area
        )
        if not agency.area:
            agency.area = area  # seeded before agencies had areas
        for role, username in demo_usernames(code).items():
            officer = find_officer(username) or create_officer(
                op,
                agency=agency,
                username=username,
                roles=[role],
                full_name=f"{ROLES[role].name} ({name})",
            )
            if officer.password_hash is None:
                # One hash for all of them (a documented password: the salt hides nothing),
                # so seeding and listing cost one argon2 computation, not one per officer.
                demo_hash = demo_hash or hash_password(DEMO_PASSWORD)
                officer.password_hash, officer.password_changed_at = demo_hash, op.at
            live, generation = _live_token(instance_dir, officer)
            if live is None and generation < MAX_GENERATIONS:
                token = demo_token(instance_dir, username, generation)
                issue_token(op, officer, label=DEMO_TOKEN_LABEL, token=token)
    db.session.commit()
    return listing(instance_dir, with_passwords=True)


def listing(instance_dir: Path, with_passwords: bool = False) -> list[DemoOfficer]:
    """Returns the demo officers that exist, with their live tokens or what is wrong (and,
    `with_passwords`, the demo password of those it is still the password of: checking it
    costs a password hash each)."""
    result = []
    demo: dict[str, bool] = {}  # password hash → whether it is the demo password's
    for code, *_ in DEMO_AGENCIES:
        for username in demo_usernames(code).values():
            officer = find_officer(username)
            if officer is None:
                continue
            token, _ = _live_token(instance_dir, officer)
            problem = ""
            if not officer.active:
                token, problem = None, "the officer is inactive"
            elif token is None:
                problem = "the demo token was revoked: run `motcua demo seed` for a new one"
            password = None
            hashed = officer.password_hash
            if with_passwords and officer.active and hashed is not None:
                if hashed not in demo:
                    demo[hashed] = password_is(officer, DEMO_PASSWORD)
                password = DEMO_PASSWORD if demo[hashed] else None
            result.append(
                DemoOfficer(username, code, sorted(officer.roles), token, problem, password)
            )
    return result


def _live_token(instance_dir: Path, officer: Officer) -> tuple[str | None, int]:
    """Returns the officer's live demo token (or None) and the first generation not issued."""
    for generation in range(MAX_GENERATIONS):
        token = demo_token(instance_dir, officer.username, generation)
        row = db.session.scalars(
            select(ApiToken).where(ApiToken.token_hash == hash_token(token))
        ).one_or_none()
        if row is None:
            return None, generation
        if row.revoked_at is None:
            return token, generation
    return None, MAX_GENERATIONS


def _secret(instance_dir: Path) -> bytes:
    path = instance_dir / "demo_secret"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())
