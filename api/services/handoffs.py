"""Handoffs: delivering a message from one agency's process to another's, inside the
platform or outside it, and what operators see of them.

`deliver_handoff` is the job the outbox runs for each handoff (in the job's transaction, no
commit here). It locks the handoff; one already delivered is left alone, so a delivery run
twice starts one receiving dossier (and the unique (group, procedure) of dossiers would
refuse a second anyway). Inside the platform it starts the receiving agency's process at its
message start event, or resumes the receiving dossier's waiting catch event, through the one
write path; when the receiver does not wait for the message yet, the handoff is kept
(`waiting`) and handed back to delivery by the receiver's next transition that waits for
it. Outside the platform it POSTs the message signed with the agency's shared secret; the
agency reports its result to `report_result`, signed the same way.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from engine import Before, NotAwaited, ProcessInstance
from engine.calendar import TIMEZONE
from processes import (
    OPERATOR_ROLE,
    DossierStatus,
    EventAction,
    HandoffState,
    dossier_code,
)

from ..store import (
    Agency,
    CallbackNonce,
    Dossier,
    GroupDossier,
    GroupPart,
    Handoff,
    add_job,
    db,
    insert_dossier,
    log_event,
    next_sequence,
)
from ..store.writes import DOSSIER_LOCK_COLUMNS, DossierRef
from .actor import Actor
from .catalogue import group_spec, member_procedure, member_version, procedure_of
from .errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from .interlink import DELIVER_HANDOFF, finish_part, lock_group, settle_group
from .procedures import compiled
from .runtime import Operation, commit, operation, runtime
from .signatures import TOLERANCE_SECONDS, check_signature, signed_headers
from .transitions import Act, acting, apply, restore, standing

# How long an outside agency may take to answer one delivery.
EXTERNAL_TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 64 * 1024


class DeliveryFailed(Exception):
    """A try at delivering a handoff failed; the outbox retries it with backoff."""


def deliver_handoff(handoff_id: str) -> str:
    """Returns the handoff's state after one try at delivering it (the job's work)."""
    handoff = _lock_handoff(handoff_id)
    if handoff is None:
        return "gone"
    if handoff.state != HandoffState.PENDING.value:
        return handoff.state  # delivered, sent, kept or failed: a repeated job does nothing
    op = operation()
    handoff.attempts += 1
    group = db.session.get(GroupDossier, handoff.group_id)
    procedure = member_procedure(group, handoff.procedure_code)
    agency = (
        db.session.get(Agency, handoff.to_agency_id)
        if handoff.to_agency_id
        else _receiving_agency(group, procedure.agency_kind.value)
    )
    handoff.to_agency_id = agency.id
    if agency.is_external:
        return _send_outside(handoff, group, agency)
    existing = db.session.scalars(
        select(Dossier.id).where(
            Dossier.group_id == group.id, Dossier.procedure_code == procedure.code
        )
    ).one_or_none()
    if existing is None:
        _start_receiver(handoff, group, agency, op)
    else:
        _resume_receiver(handoff, existing, agency, op)
    return handoff.state


def handoff_failed(handoff_id: str, *, error: str, attempts: int, final: bool) -> None:
    """Records a failed try on the handoff (the outbox's failure hook): its error, and
    `failed` after the last try."""
    handoff = db.session.get(Handoff, handoff_id)
    if handoff is None or handoff.state not in (
        HandoffState.PENDING.value,
        HandoffState.FAILED.value,
    ):
        return
    handoff.attempts = max(handoff.attempts, attempts)
    handoff.last_error = error[:2000]
    if final:
        handoff.state = HandoffState.FAILED.value


def _lock_handoff(handoff_id: str) -> Handoff | None:
    return db.session.scalars(
        select(Handoff)
        .where(Handoff.id == handoff_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def _receiving_agency(group: GroupDossier, kind: str) -> Agency:
    """Returns the agency of a kind that serves the area of the agency that received the
    group dossier: the one whose area is that area or the nearest enclosing one (H29 serves
    H29.01). None or two equally near fail the try, with a message an operator can act on."""
    area = group.agency.area
    if not area:
        raise DeliveryFailed(f"agency {group.agency.code} has no area: set one to route handoffs")
    candidates = [
        agency
        for agency in db.session.scalars(select(Agency).where(Agency.kind == kind))
        if agency.area and (area == agency.area or area.startswith(agency.area + "."))
    ]
    if not candidates:
        raise DeliveryFailed(f"no agency of kind {kind} serves area {area}")
    nearest = max(len(agency.area) for agency in candidates)
    chosen = [agency for agency in candidates if len(agency.area) == nearest]
    if len(chosen) > 1:
        codes = ", ".join(sorted(agency.code for agency in chosen))
        raise DeliveryFailed(f"agencies {codes} of kind {kind} all serve area {area}")
    return chosen[0]


def _share(group: GroupDossier, procedure_code: str):
    member = group_spec(group).member(procedure_code)
    if group.verification and member.share_days_verification is not None:
        return member.share_days_verification
    return member.share_days


def _take_over(
    group: GroupDossier, handoff: Handoff, agency: Agency, dossier_id: int | None, op: Operation
) -> datetime:
    """Marks the receiving part taken over now, due after its share; returns the due date."""
    part = db.session.scalars(
        select(GroupPart).where(
            GroupPart.group_id == group.id, GroupPart.procedure_code == handoff.procedure_code
        )
    ).one()
    calendar = op.calendar_of(agency.id)
    due = calendar.due_at(calendar.clock_start(op.at), part.share_days)
    part.agency_id, part.dossier_id = agency.id, dossier_id
    if part.taken_over_at is None:
        part.taken_over_at, part.due_at = op.at, due
    if part.handed_over_at is None:
        part.handed_over_at = handoff.created_at
    return part.due_at


def _start_receiver(handoff: Handoff, group: GroupDossier, agency: Agency, op: Operation) -> None:
    version = member_version(group, handoff.procedure_code, op.at)
    if version is None:
        raise DeliveryFailed(f"procedure {handoff.procedure_code} is not deployed")
    procedure = procedure_of(version)
    process = compiled(version)
    if process.start_message != handoff.message:
        raise DeliveryFailed(
            f"process {process.process_id} does not start with the message {handoff.message!r}"
        )
    try:
        process.form(procedure.declaration_form).validate(handoff.payload)
    except Exception as exc:  # FormInvalid, or a missing form: the sender's diagram is wrong
        raise DeliveryFailed(
            f"the message does not fit {procedure.declaration_form}: {exc}"
        ) from None
    sequence = next_sequence(agency.id, op.at.astimezone(TIMEZONE).date())
    code = dossier_code(agency.code, op.at, sequence)
    with acting():
        instance = ProcessInstance.start(
            process,
            {"dossier_code": code, "applicant": group.applicant, "group": group_context(group)},
            clock=op.clock_of(agency.id),
        )
        instance.deliver(handoff.message, handoff.payload)
    lock_group(group.id)  # the order every group write takes: (dossier,) group
    calendar = op.calendar_of(agency.id)
    clock_started_at = calendar.clock_start(op.at)
    dossier = insert_dossier(
        {
            "code": code,
            "agency_id": agency.id,
            "procedure_version_id": version.id,
            "procedure_code": procedure.code,
            "status": int(instance.status() or DossierStatus.ACCEPTED),
            "applicant": group.applicant,
            "applicant_name": group.applicant_name,
            "channel": group.channel,
            "declaration": handoff.payload,
            "received_at": op.at,
            "received_by_id": None,
            "clock_started_at": clock_started_at,
            "due_at": calendar.due_at(clock_started_at, _share(group, procedure.code)),
            "calendar_version": calendar.version,
            "updated_at": op.at,
            "group_id": group.id,
        }
    )
    _take_over(group, handoff, agency, dossier.id, op)
    handoff.state, handoff.delivered_at = HandoffState.DELIVERED.value, op.at
    handoff.to_dossier_id = dossier.id
    act = Act(
        EventAction.TAKEN_OVER.value,
        detail={
            "group": group.code,
            "message": handoff.message,
            "handoff": handoff.id,
            "procedure_version": version.version,
        },
    )
    apply(dossier, Before(status=None), instance, act, op=op, actor=_system(agency, handoff))


def _resume_receiver(handoff: Handoff, dossier_id: int, agency: Agency, op: Operation) -> None:
    dossier = _lock_dossier(dossier_id)
    handoff.to_dossier_id = dossier.id
    with acting():
        instance = restore(dossier, op)
        before = standing(instance, dossier.status)
        try:
            instance.deliver(handoff.message, handoff.payload)
        except NotAwaited:
            # Arrived before the receiver waits for it: kept, delivered by the receiver's
            # next transition that waits for this message.
            handoff.state = HandoffState.WAITING.value
            return
    handoff.state, handoff.delivered_at = HandoffState.DELIVERED.value, op.at
    act = Act(
        EventAction.MESSAGE_RECEIVED.value,
        detail={"message": handoff.message, "handoff": handoff.id},
    )
    apply(dossier, before, instance, act, op=op, actor=_system(agency, handoff))


def _lock_dossier(dossier_id: int) -> DossierRef:
    row = db.session.execute(
        select(*(Dossier.__table__.c[name] for name in DOSSIER_LOCK_COLUMNS))
        .where(Dossier.id == dossier_id)
        .with_for_update()
    ).one()
    return DossierRef(**row._mapping)


def _system(agency: Agency, handoff: Handoff) -> Actor:
    return Actor.system(
        agency_id=agency.id,
        agency_code=agency.code,
        agency_kind=agency.kind,
        reason=f"handoff {handoff.id}",
    )


def group_context(group: GroupDossier) -> dict[str, Any]:
    """Returns what every process of a group knows of it (not the other agencies' data)."""
    return {
        "code": group.code,
        "procedures": [member_procedure(group, code).process_id for code in group.procedures],
        "verification": group.verification,
    }


# Outside agencies ------------------------------------------------------------------------


def _send_outside(handoff: Handoff, group: GroupDossier, agency: Agency) -> str:
    """Returns the handoff's state once POSTed to an outside agency. The request is built
    under the handoff's lock, which is then released (commit): an outside agency's answer
    is never awaited inside a transaction, where it would hold the handoff (and, on SQLite,
    every writer) for as long as the agency takes, and a callback sent before the answer
    would wait on that lock. Delivery to an outside agency is therefore at least once: the
    message id lets the agency drop a repeat."""
    request = _signed_request(handoff, group, agency)
    handoff_id, agency_code = handoff.id, agency.code
    commit()  # the routing (to_agency_id) is kept; the handoff stays pending
    _post(request, agency_code)
    handoff = _lock_handoff(handoff_id)
    if handoff is None or handoff.state != HandoffState.PENDING.value:
        return handoff.state if handoff else "gone"  # its result came first, or a twin sent it
    op = operation()
    handoff.state, handoff.delivered_at = HandoffState.SENT.value, op.at
    _take_over(db.session.get(GroupDossier, handoff.group_id), handoff, agency, None, op)
    return handoff.state


def _signed_request(
    handoff: Handoff, group: GroupDossier, agency: Agency
) -> urllib.request.Request:
    body = json.dumps(
        {
            "message_id": handoff.id,
            "message": handoff.message,
            "group_code": group.code,
            "procedure": handoff.procedure_code,
            "data": handoff.payload,
            "handed_over_at": handoff.created_at.isoformat(),
            "result_path": f"/api/handoffs/{handoff.id}/result",
        },
        ensure_ascii=False,
    ).encode()
    headers = signed_headers(agency.shared_secret or "", int(time.time()), body, handoff.id)
    return urllib.request.Request(agency.external_url, data=body, headers=headers)


def _post(request: urllib.request.Request, agency_code: str) -> None:
    """POSTs a signed handoff; DeliveryFailed unless the agency answers 2xx in time."""
    try:
        with _OPENER.open(request, timeout=EXTERNAL_TIMEOUT_SECONDS) as response:
            response.read(MAX_RESPONSE_BYTES)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"{agency_code} answered {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryFailed(f"{agency_code} unreachable: {reason}") from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A delivery goes to the address registered, never where an answer points.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# Straight to the agency: no proxy from the environment sees the personal data it carries.
_OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Signed:
    """A signed request as it arrived: raw body and the signature headers."""

    body: bytes
    timestamp: str | None
    signature: str | None


def report_result(handoff_id: str, signed: Signed, result: Any) -> Handoff:
    """Returns the handoff with the outside agency's result recorded: its part finished
    (status, outcome) and the group settled. Unauthenticated, changing nothing, when the
    signature does not match, is stale or was used before."""
    handoff = _lock_handoff(handoff_id)
    if handoff is None or handoff.to_agency_id is None:
        raise NotFound("handoff not found")
    agency = db.session.get(Agency, handoff.to_agency_id)
    if not agency.is_external or not agency.shared_secret:
        raise NotFound("handoff not found")
    refused = check_signature(
        agency.shared_secret, signed.timestamp, signed.signature, signed.body, time.time()
    )
    if refused:
        raise Unauthenticated(f"callback refused: {refused}")
    op = operation()
    digest = signed.signature.strip().removeprefix("sha256=")[:64]
    if db.session.get(CallbackNonce, digest) is not None:
        raise Unauthenticated("callback refused: replayed")
    db.session.execute(
        delete(CallbackNonce).where(
            CallbackNonce.seen_at < op.at - timedelta(seconds=2 * TOLERANCE_SECONDS)
        )
    )
    db.session.add(CallbackNonce(signature=digest, agency_id=agency.id, seen_at=op.at))
    # A result may arrive before the agency's answer to our POST was recorded (`pending`,
    # routed to it): it is accepted all the same; the late answer then changes nothing.
    if handoff.state not in (HandoffState.SENT.value, HandoffState.PENDING.value):
        raise Conflict(f"the handoff is {handoff.state}: no result is awaited")
    result = result if isinstance(result, dict) else {}
    status = result.get("status")
    if type(status) is not int or status not in (DossierStatus.DELIVERED, DossierStatus.STOPPED):
        raise Invalid("unknown result status", {"status": ["must be 10 (returned) or 8"]})
    if not isinstance(result.get("result", {}), dict):
        raise Invalid("the result must be an object", {"result": ["must be an object"]})
    group = lock_group(handoff.group_id)
    part = db.session.scalars(
        select(GroupPart).where(
            GroupPart.group_id == group.id, GroupPart.procedure_code == handoff.procedure_code
        )
    ).one()
    part.agency_id = agency.id
    if part.taken_over_at is None:
        part.taken_over_at = op.at
    finish_part(part, status, op)
    handoff.state, handoff.result, handoff.result_at = (
        HandoffState.DELIVERED.value,
        result,
        op.at,
    )
    log_event(
        dossier_id=handoff.from_dossier_id,
        agency_id=handoff.from_agency_id,
        officer_id=None,
        action=EventAction.RESULT_REPORTED.value,
        at=op.at,
        detail={"handoff": handoff.id, "agency": agency.code, "status": int(status)},
    )
    settle_group(group, op.at)
    return handoff


# Operators --------------------------------------------------------------------------------


def _check_operator(actor: Actor) -> None:
    if actor.is_officer and OPERATOR_ROLE not in actor.roles:
        raise Forbidden(f"only an operator (role {OPERATOR_ROLE}) sees handoffs")


def list_handoffs(
    actor: Actor | None, *, state: str | None = None, limit: int = 100
) -> list[Handoff]:
    """Returns handoffs, newest first: those from or to the actor's agency (every one for
    the console, `actor` None), optionally in one state."""
    query = select(Handoff).order_by(Handoff.created_at.desc(), Handoff.id).limit(limit)
    if actor is not None:
        _check_operator(actor)
        query = query.where(
            (Handoff.from_agency_id == actor.agency_id) | (Handoff.to_agency_id == actor.agency_id)
        )
    if state is not None:
        if state not in {s.value for s in HandoffState}:
            raise Invalid("unknown state", {"state": [f"one of {[s.value for s in HandoffState]}"]})
        query = query.where(Handoff.state == state)
    return list(db.session.scalars(query))


def retry_handoff(actor: Actor | None, handoff_id: str) -> Handoff:
    """Returns a failed handoff handed back to delivery with fresh tries (the caller
    commits); Conflict unless it failed."""
    handoff = _lock_handoff(handoff_id)
    visible = handoff is not None and (
        actor is None or actor.agency_id in (handoff.from_agency_id, handoff.to_agency_id)
    )
    if not visible:
        raise NotFound("handoff not found")
    if actor is not None:
        _check_operator(actor)
    if handoff.state != HandoffState.FAILED.value:
        raise Conflict(f"the handoff is {handoff.state}; only a failed one is retried")
    op = operation()
    handoff.state, handoff.attempts = HandoffState.PENDING.value, 0
    add_job(DELIVER_HANDOFF, [handoff.id], at=op.at, max_attempts=runtime().jobs.max_attempts)
    return handoff
