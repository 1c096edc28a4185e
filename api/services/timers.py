"""BPMN timers, fired by the platform through the one write path.

Each dossier keeps the earliest due time among the timers its workflow waits for in
`dossiers.timer_due_at` (written with every transition from the plan). A sweep
(`claim_due_timers`, run by the relay in every worker and in an embedded server) reads the
due ones with one indexed statement and, in the same statement, moves each one's
`timer_due_at` to the end of a lease: that is the claim. The dossier ids go to the queue, and
each is fired by `fire_timers` in a transaction of its own: lock the dossier, restore its
workflow at the operation's instant, fire what is due, plan, write (which puts the next timer's
due time back in the column). So:

- two workers given the same dossier fire its timer once: the second takes the lock after the
  first committed, restores the state the first saved, and finds nothing due;
- a worker killed before its commit leaves the claim's lease in the column: the dossier is due
  again when the lease ends, and the next sweep claims it;
- Redis is never the only copy: a lost push is a lease that ends.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from processes import EventAction

from ..store import Agency, Dossier, Event, db
from ..store.writes import DOSSIER_LOCK_COLUMNS, DossierRef
from .actor import Actor
from .errors import Invalid
from .runtime import Operation, operation, rollback, runtime
from .transitions import Act, acting, apply, restore, standing

_LOG = logging.getLogger("motcua.timers")
# A timer whose firing fails (the diagram's fault: a timer expression that gives no due time
# on this dossier's data) is tried again after this long, not at every sweep.
RETRY_FAILED_AFTER = timedelta(minutes=10)


def claim_due_timers(op: Operation, limit: int) -> list[int]:
    """Returns the ids of up to `limit` dossiers whose timer is due, each claimed for the
    lease (its `timer_due_at` moved to the lease's end) in the same statement, so however
    many sweeps run, a dossier is handed out once per lease (the caller commits)."""
    if limit <= 0:
        return []
    lease_end = op.at + runtime().jobs.lease
    due = (
        select(Dossier.id)
        .where(
            Dossier.timer_due_at <= op.at,
            Dossier.timer_due_at.is_not(None),
            Dossier.paused_at.is_(None),
        )
        .order_by(Dossier.timer_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.execute(
        update(Dossier)
        .where(Dossier.id.in_(due.scalar_subquery()))
        .values(timer_due_at=lease_end)
        .returning(Dossier.id)
        .execution_options(synchronize_session=False)
    )
    return list(claimed.scalars())


def fire_timers(dossier_id: int) -> bool:
    """Fires the dossier's timers that are due, through the one write path; returns whether
    any fired (False when none was due: fired already, or the dossier moved on). The caller
    commits."""
    row = db.session.scalars(
        select(Dossier)
        .where(Dossier.id == dossier_id)
        .with_for_update(of=Dossier)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        return False
    if row.finished_at is not None or row.paused_at is not None:
        row.timer_due_at = None  # stopped, finished or paused: its timers wait for nothing
        return False
    op = operation()
    dossier = DossierRef(**{name: getattr(row, name) for name in DOSSIER_LOCK_COLUMNS})
    actor = _system(row.agency, "timer")
    try:
        with acting():
            instance = restore(dossier, op)
            before = standing(instance, dossier.status)
            fired = instance.fire_timers()
    except Invalid as exc:
        _timer_failed(row, op, exc)
        return False
    if not fired:
        row.timer_due_at = instance.next_timer_at()  # the claim's lease, given back
        return False
    act = Act(EventAction.TIMER_FIRED.value, detail={"timers": fired})
    apply(dossier, before, instance, act, op=op, actor=actor)
    return True


def _timer_failed(row: Dossier, op: Operation, exc: Invalid) -> None:
    """Records a timer that could not fire (nothing else of the dossier changes) and tries
    it again later."""
    rollback()
    row = db.session.scalars(
        select(Dossier).where(Dossier.id == row.id).with_for_update(of=Dossier)
    ).one()
    row.timer_due_at = op.at + RETRY_FAILED_AFTER
    db.session.add(
        Event(
            dossier_id=row.id,
            agency_id=row.agency_id,
            officer_id=None,
            action=EventAction.TIMER_FAILED.value,
            at=op.at,
            detail={"reason": "timer", "error": str(exc)[:500], "errors": exc.fields},
        )
    )
    _LOG.warning("timer failed", extra={"dossier": row.code, "error": str(exc)[:300]})


def _system(agency: Agency, reason: str) -> Actor:
    return Actor.system(
        agency_id=agency.id, agency_code=agency.code, agency_kind=agency.kind, reason=reason
    )
