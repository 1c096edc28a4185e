"""Supplements asked during processing (docs/domain.md#supplements).

- The agency lists every missing item in one request; the dossier waits in status 5 and its
  clock pauses: no step is worked until the applicant brings the supplement.
- During processing an agency may ask **once**. A second request is refused, unless a
  leader overrides the rule with a reason; the dossier then counts as late (the national
  scoring rule), whatever its dates.
- When the supplement comes, the office time spent waiting is taken out: the appointment and
  every open step's due date move by it (`WorkingCalendar.due_after_pause`), through the one
  write path (the workflow state records the steps' new due dates).
- If it does not come within the procedure's window (7 working days by default), the
  dossier is stopped (status 8) with the reason; the relay finds such dossiers with one
  indexed query and a job stops each, once.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select, update

from engine import Before
from processes import (
    LEADER_ROLE,
    RECEPTION_ROLE,
    DossierStatus,
    EventAction,
    TaskState,
)

from ..store import Dossier, GroupPart, Task, add_job, db, log_event
from ..store.writes import DOSSIER_LOCK_COLUMNS, DossierRef
from .actor import Actor
from .catalogue import procedure_for
from .dossiers import lock_dossier
from .errors import Conflict, Forbidden, Invalid
from .interlink import finish_part, lock_group, settle_group
from .runtime import Operation, operation, runtime
from .transitions import Act, acting, apply, restore, standing

PROCESSING_ROLES = frozenset({"tham_dinh", LEADER_ROLE})
MAX_ITEMS, MAX_TEXT = 50, 500
STOP_UNSUPPLEMENTED = "stop_unsupplemented"  # the job (api/jobs/handlers.py)


def request_supplement(
    actor: Actor,
    code: str,
    *,
    missing: Any,
    reason: Any,
    override_reason: Any = None,
) -> Dossier:
    """Returns the dossier, now awaiting the supplement (the caller commits)."""
    if not PROCESSING_ROLES & actor.roles:
        raise Forbidden("a supplement is asked by the officer processing the dossier or a leader")
    items = _texts(missing, "missing")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_TEXT:
        raise Invalid("say why", {"reason": [f"1 to {MAX_TEXT} characters"]})
    dossier = lock_dossier(actor, code)
    op = operation()
    _check_running(dossier)
    if dossier.paused_at is not None:
        raise Conflict("a supplement is already awaited")
    if dossier.status == DossierStatus.SUBMITTED:
        raise Conflict("at reception the reception step asks for what is missing")
    overridden = None
    if dossier.supplement_requests >= 1:
        if LEADER_ROLE not in actor.roles or not isinstance(override_reason, str):
            raise Conflict(
                "a supplement was asked once already during processing: the law allows one; "
                "a leader may override with a reason (override_reason), and the dossier then "
                "counts as late"
            )
        overridden = override_reason.strip()
        if not overridden or len(overridden) > MAX_TEXT:
            raise Invalid("say why", {"override_reason": [f"1 to {MAX_TEXT} characters"]})
        dossier.counts_late = True
    calendar = op.calendar_of(dossier.agency_id)
    window = procedure_for(dossier).supplement_days
    before = dossier.status
    dossier.status_before_pause = before
    dossier.status = int(DossierStatus.SUPPLEMENT_REQUESTED)
    dossier.paused_at = op.at
    dossier.timer_due_at = None  # the diagram's timers wait too, moved on when it resumes
    dossier.supplement_due_at = calendar.due_at(calendar.clock_start(op.at), window)
    dossier.supplement_requests += 1
    dossier.version += 1
    dossier.updated_at = op.at
    detail = {
        "missing": items,
        "reason": reason.strip(),
        "supplement_due_at": dossier.supplement_due_at.isoformat(),
    }
    if overridden:
        detail["override_reason"] = overridden
    log_event(
        dossier_id=dossier.id,
        agency_id=dossier.agency_id,
        officer_id=actor.officer_id,
        action=EventAction.SUPPLEMENT_REQUESTED.value,
        status_before=before,
        status_after=dossier.status,
        at=op.at,
        detail=detail,
    )
    _follow_group(dossier, op)
    return dossier


def receive_supplement(actor: Actor, code: str, *, received: Any, note: Any = "") -> DossierRef:
    """Returns the dossier resumed: the office time it waited is taken out of its appointment
    and of each open step's due date (the caller commits)."""
    if RECEPTION_ROLE not in actor.roles:
        raise Forbidden("reception receives what the applicant brings")
    items = _texts(received, "received")
    if not isinstance(note, str) or len(note) > MAX_TEXT:
        raise Invalid("note too long", {"note": [f"at most {MAX_TEXT} characters"]})
    row = lock_dossier(actor, code)
    _check_running(row)
    if row.paused_at is None:
        raise Conflict("no supplement is awaited")
    op = operation()
    if row.supplement_due_at is None or row.supplement_due_at <= op.at:
        raise Conflict("the supplement's window has run out: the dossier is stopped")
    calendar = op.calendar_of(row.agency_id)
    paused_at = row.paused_at
    waited = calendar.working_time_between(paused_at, op.at)
    dossier = _ref(row)
    with acting():
        instance = restore(dossier, op)
        before = standing(instance, row.status)
    moved = {
        task_id: calendar.due_after_pause(due, paused_at, op.at)
        for task_id, due in before.open_tasks.items()
        if due is not None
    }
    for task_id, due in moved.items():
        instance.record_due(UUID(task_id), due)
    instance.move_timers(lambda due: calendar.due_after_pause(due, paused_at, op.at))
    act = Act(
        EventAction.SUPPLEMENT_RECEIVED.value,
        detail={
            "received": items,
            "note": note,
            "paused_office_seconds": int(waited.total_seconds()),
        },
        rescheduled=moved,
    )
    db.session.execute(
        update(Dossier)
        .where(Dossier.id == row.id)
        .values(
            due_at=calendar.due_after_pause(row.due_at, paused_at, op.at),
            paused_at=None,
            supplement_due_at=None,
            status_before_pause=None,
            paused_seconds=Dossier.paused_seconds + int(waited.total_seconds()),
        )
    )
    apply(dossier, Before(before.status, moved), instance, act, op=op, actor=actor)
    return dossier


def due_supplement_stops(op: Operation, limit: int = 500) -> int:
    """Records one stop job for each dossier whose supplement window ran out, claiming it in
    the same statement (its window is cleared), so a dossier gets one job however many
    relays look; returns how many (the caller commits)."""
    claimed = db.session.execute(
        update(Dossier)
        .where(
            Dossier.id.in_(
                select(Dossier.id)
                .where(Dossier.supplement_due_at <= op.at, Dossier.paused_at.is_not(None))
                .order_by(Dossier.supplement_due_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
                .scalar_subquery()
            )
        )
        .values(supplement_due_at=None)
        .returning(Dossier.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(claimed.scalars())
    for dossier_id in ids:
        add_job(
            STOP_UNSUPPLEMENTED, [dossier_id], at=op.at, max_attempts=runtime().jobs.max_attempts
        )
    return len(ids)


def stop_unsupplemented(dossier_id: int) -> bool:
    """Stops a dossier whose supplement window ran out (status 8, open steps cancelled, the
    reason logged); False when it is no longer due (supplemented, or stopped already)."""
    dossier = db.session.scalars(
        select(Dossier)
        .where(Dossier.id == dossier_id)
        .with_for_update(of=Dossier)
        .execution_options(populate_existing=True)
    ).one_or_none()
    op = operation()
    if dossier is None or dossier.paused_at is None or dossier.finished_at is not None:
        return False  # supplemented in time, or stopped already
    before = dossier.status
    db.session.execute(
        update(Task)
        .where(Task.dossier_id == dossier.id, Task.state.in_(("open", "claimed")))
        .values(state=TaskState.CANCELLED.value, completed_at=op.at, changed_at=op.at)
    )
    dossier.status = int(DossierStatus.STOPPED)
    dossier.finished_at = op.at
    dossier.next_due_at = None
    dossier.timer_due_at = None
    dossier.paused_at = None
    dossier.version += 1
    dossier.updated_at = op.at
    log_event(
        dossier_id=dossier.id,
        agency_id=dossier.agency_id,
        officer_id=None,
        action=EventAction.STOPPED.value,
        status_before=before,
        status_after=dossier.status,
        at=op.at,
        detail={"reason": "the applicant did not bring the supplement within its window"},
    )
    _follow_group(dossier, op, finished=True)
    return True


def _follow_group(dossier: Dossier, op: Operation, finished: bool = False) -> None:
    if dossier.group_id is None:
        return
    group = lock_group(dossier.group_id)
    part = db.session.scalars(
        select(GroupPart).where(
            GroupPart.group_id == group.id, GroupPart.procedure_code == dossier.procedure_code
        )
    ).one()
    part.status = dossier.status
    if finished:
        finish_part(part, dossier.status, op)
    settle_group(group, op.at)


def _ref(dossier: Dossier) -> DossierRef:
    return DossierRef(**{name: getattr(dossier, name) for name in DOSSIER_LOCK_COLUMNS})


def _check_running(dossier: Dossier) -> None:
    if dossier.finished_at is not None:
        raise Conflict("the dossier is finished")


def _texts(value: Any, field: str) -> list[str]:
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= MAX_ITEMS
        or not all(isinstance(v, str) and v.strip() and len(v) <= MAX_TEXT for v in value)
    ):
        raise Invalid(
            f"list every item at once in {field}",
            {field: [f"1 to {MAX_ITEMS} items of 1 to {MAX_TEXT} characters"]},
        )
    return [v.strip() for v in value]
