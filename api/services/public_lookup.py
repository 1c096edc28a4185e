"""A citizen looks a dossier up with the code and the lookup secret printed on its receipt:
where it stands, its appointment, a supplement asked for, an apology; nothing personal
beyond what the receipt shows, nothing of other agencies.

A wrong code and a wrong secret get the same answer after the same work (both tables read,
the secret computed and compared in constant time), so neither tells which dossiers exist.
Failures are counted per client address in `rate_limits`: after 5 in 10 minutes the address
waits 10 minutes, then twice as long after each further failure.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine.calendar import TIMEZONE
from processes import EventAction

from ..store import Dossier, Event, GroupDossier, db
from .catalogue import group_spec, procedure_for
from .errors import NotFound
from .lookup import secret_matches
from .ratelimits import Limit, check, record_failure
from .runtime import operation

LOOKUP_LIMIT = Limit("lookup", limit=5, window=timedelta(minutes=10), block=timedelta(minutes=10))
NOT_FOUND = "không tìm thấy hồ sơ"
TOO_MANY = "tra cứu sai quá nhiều lần từ địa chỉ này; vui lòng thử lại sau {minutes} phút"
MAX_CODE = 40
MAX_SECRET = 40


def look_up(code: object, secret: object, client: str) -> dict[str, Any]:
    """Returns what a citizen may see of the dossier or group dossier with this code, if the
    secret is its own; NotFound (one message) otherwise, counted against the client address;
    Throttled while the address waits."""
    op = operation()
    check(LOOKUP_LIMIT, client, op.at, TOO_MANY)
    code = code.strip().upper() if isinstance(code, str) and len(code) <= MAX_CODE else ""
    secret = secret if isinstance(secret, str) and len(secret) <= MAX_SECRET else ""
    dossier = group = None
    if code:
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one_or_none()
        group = db.session.scalars(
            select(GroupDossier).where(GroupDossier.code == code)
        ).one_or_none()
    right = secret_matches(code or "-", secret)
    if not right or (dossier is None and group is None):
        record_failure(LOOKUP_LIMIT, client, op.at)
        db.session.commit()
        raise NotFound(NOT_FOUND)
    answer = _dossier(dossier) if dossier is not None else _group(group)
    db.session.commit()
    return answer


def _date(value) -> str | None:
    return value.astimezone(TIMEZONE).date().isoformat() if value is not None else None


def _dossier(dossier: Dossier) -> dict[str, Any]:
    procedure = procedure_for(dossier)
    supplement = None
    if dossier.paused_at is not None:
        detail = db.session.scalar(
            select(Event.detail)
            .where(
                Event.dossier_id == dossier.id,
                Event.action == EventAction.SUPPLEMENT_REQUESTED.value,
            )
            .order_by(Event.at.desc(), Event.id.desc())
            .limit(1)
        )
        supplement = {
            "requested_at": dossier.paused_at,
            "items": list((detail or {}).get("missing") or []),
        }
    apology = None
    if dossier.apology_at is not None:
        apology = {
            "reason": dossier.apology_reason or "",
            "new_appointment_date": _date(dossier.due_at),
            "original_appointment_date": _date(dossier.original_due_at),
        }
    return {
        "code": dossier.code,
        "procedure": {"code": procedure.code, "name": procedure.name},
        "status": dossier.status,
        "received_at": dossier.received_at,
        "appointment_date": _date(dossier.due_at),
        "supplement": supplement,
        "apology": apology,
        "finished_at": dossier.finished_at,
    }


def _group(group: GroupDossier) -> dict[str, Any]:
    return {
        "code": group.code,
        "procedure": {"code": group.group_code, "name": group_spec(group).name},
        "status": group.status,
        "received_at": group.received_at,
        "appointment_date": _date(group.due_at),
        "supplement": None,
        "apology": (
            {
                "reason": group.apology.get("reason", ""),
                "new_appointment_date": _date(group.due_at),
                "original_appointment_date": _date(group.original_due_at),
            }
            if group.apology
            else None
        ),
        "finished_at": group.finished_at,
    }
