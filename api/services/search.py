"""Finding dossiers: the actor's agency's dossiers, filtered and searched, newest received
first, one keyset page at a time (like the inbox: page 500 costs what page 1 does)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, not_, select, tuple_

from engine.calendar import TIMEZONE
from processes.folding import fold

from ..store import Dossier, UtcDateTime, db
from .actor import Actor
from .catalogue import procedure_of_version_id
from .errors import Invalid
from .runtime import operation
from .tasks import soon_until

MAX_LIMIT = 100
_CURSOR_YEARS = range(2000, 2200)


@dataclass(frozen=True)
class DossierQuery:
    code: str | None = None  # a prefix of the code
    applicant: str | None = None  # contained in the applicant's name, case and marks aside
    status: int | None = None
    procedure: str | None = None
    received_from: date | None = None  # Vietnam's calendar days, both included
    received_to: date | None = None
    overdue: bool | None = None
    due_soon: bool | None = None  # not finished, not yet due, due within a working day
    limit: int = 50
    after: tuple[datetime, int] | None = None  # the (received_at, id) of a decoded cursor


@dataclass(frozen=True)
class DossierPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def find_dossiers(actor: Actor, query: DossierQuery) -> DossierPage:
    """Returns one page of the actor's agency's dossiers matching every filter given, newest
    received first (then by id); each item says whether the dossier is overdue (not finished
    and past its due date) or due soon (not finished, not yet due, due within a working day
    of the agency's calendar: the inbox's rule)."""
    if query.received_from and query.received_to and query.received_from > query.received_to:
        raise Invalid(
            "the dates are the wrong way round",
            {"received_to": ["on or after received_from"]},
        )
    op = operation()
    at, soon = op.at, soon_until(op, actor.agency_id)
    statement = select(
        Dossier.id,
        Dossier.code,
        Dossier.procedure_code,
        Dossier.procedure_version_id,
        Dossier.applicant_name,
        Dossier.status,
        Dossier.received_at,
        Dossier.due_at,
        Dossier.finished_at,
    ).where(Dossier.agency_id == actor.agency_id)
    if query.code:
        prefix = query.code.strip().upper()
        # Not LIKE: SQLite's ignores case and PostgreSQL's does not; this compares alike.
        statement = statement.where(func.substr(Dossier.code, 1, len(prefix)) == prefix)
    if query.applicant:
        needle = fold(query.applicant)
        if needle:
            statement = statement.where(Dossier.applicant_folded.contains(needle, autoescape=True))
    if query.status is not None:
        statement = statement.where(Dossier.status == query.status)
    if query.procedure:
        statement = statement.where(Dossier.procedure_code == query.procedure)
    if query.received_from:
        statement = statement.where(Dossier.received_at >= _day_start(query.received_from))
    if query.received_to:
        end = _day_start(query.received_to + timedelta(days=1))
        statement = statement.where(Dossier.received_at < end)
    late = and_(Dossier.finished_at.is_(None), Dossier.due_at < at)
    if query.overdue is True:
        statement = statement.where(late)
    elif query.overdue is False:
        statement = statement.where(not_(late))
    due_soon = and_(Dossier.finished_at.is_(None), Dossier.due_at >= at, Dossier.due_at < soon)
    if query.due_soon is True:
        statement = statement.where(due_soon)
    elif query.due_soon is False:
        statement = statement.where(not_(due_soon))
    if query.after:
        received_at, dossier_id = query.after
        after = tuple_(literal(received_at, UtcDateTime()), literal(dossier_id))
        statement = statement.where(tuple_(Dossier.received_at, Dossier.id) < after)
    limit = max(1, min(query.limit, MAX_LIMIT))
    statement = statement.order_by(Dossier.received_at.desc(), Dossier.id.desc()).limit(limit + 1)
    rows = db.session.execute(statement).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "code": row.code,
            "procedure_code": row.procedure_code,
            "procedure_name": procedure_of_version_id(row.procedure_version_id).name,
            "applicant_name": row.applicant_name,
            "status": row.status,
            "received_at": row.received_at,
            "due_at": row.due_at,
            "appointment_date": row.due_at.astimezone(TIMEZONE).date().isoformat(),
            "overdue": row.finished_at is None and row.due_at < at,
            "due_soon": row.finished_at is None and at <= row.due_at < soon,
        }
        for row in rows
    ]
    return DossierPage(items, encode_cursor(rows[-1]) if more else None)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TIMEZONE)


def encode_cursor(row) -> str:
    """Returns the opaque cursor of the page after this dossier: its receipt time and id."""
    raw = json.dumps([row.received_at.isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Returns the (received_at, id) a cursor carries; Invalid for anything we did not issue."""
    try:
        if len(cursor) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        received_at, dossier_id = json.loads(raw)
        received = datetime.fromisoformat(received_at)
        if received.tzinfo is None or received.year not in _CURSOR_YEARS:
            raise ValueError("not a cursor we issued")
        if type(dossier_id) is not int or not 0 < dossier_id < 2**63:
            raise ValueError("not a dossier id")
        received.astimezone(UTC)  # an offset that overflows the date raises here
        return received, dossier_id
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise Invalid("the cursor is not valid", {"cursor": ["not a cursor we issued"]}) from None
