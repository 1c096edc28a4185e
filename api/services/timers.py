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

from ..store import (
    Dossier,
    DossierRef,
    WriteBatch,
    db,
    lock_for_timers,
    log_event,
    set_timer_due,
)
from .actor import Actor
from .errors import Conflict, Invalid
from .runtime import Operation, operation, runtime
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


def fire_timers(dossier_ids: list[int]) -> int:
    """Fires the due timers of the dossiers given, each through the one write path, in the
    caller's transaction (one lock statement, one write statement for all the dossiers that
    fired, one commit by the caller); returns how many dossiers had a timer fire. A dossier
    with nothing due (fired already, or moved on) gets its next due time back from its
    workflow; one whose timer cannot fire (the diagram's fault) is logged and tried again
    later. Anything else raises, and the caller's rollback keeps nothing of the batch."""
    op = operation()
    with WriteBatch() as batch:
        fired, due = _fire_locked(dossier_ids, op)
        if not batch.flush():
            raise Conflict("a dossier changed meanwhile")  # not under its lock: a bug
    set_timer_due(due)
    return fired


def _fire_locked(dossier_ids: list[int], op: Operation) -> tuple[int, dict]:
    fired, due = 0, {}
    for dossier in lock_for_timers(dossier_ids):
        ref = dossier.ref
        if dossier.finished or ref.paused_at is not None:
            due[ref.id] = None  # finished, stopped or paused: its timers wait for nothing
            continue
        try:
            with acting():
                instance = restore(ref, op)
                before = standing(instance, ref.status)
                timers = instance.fire_timers()
        except Invalid as exc:
            due[ref.id] = op.at + RETRY_FAILED_AFTER
            _timer_failed(ref, op, exc)
            continue
        if not timers:
            due[ref.id] = instance.next_timer_at()  # the claim's lease, given back
            continue
        actor = Actor.system(
            agency_id=ref.agency_id,
            agency_code=dossier.agency_code,
            agency_kind=dossier.agency_kind,
            reason="timer",
        )
        act = Act(EventAction.TIMER_FIRED.value, detail={"timers": timers})
        apply(ref, before, instance, act, op=op, actor=actor, describe=False)
        fired += 1
    return fired, due


def _timer_failed(ref: DossierRef, op: Operation, exc: Invalid) -> None:
    """Records a timer that could not fire; nothing else of the dossier changes."""
    log_event(
        dossier_id=ref.id,
        agency_id=ref.agency_id,
        officer_id=None,
        action=EventAction.TIMER_FAILED.value,
        status_before=ref.status,
        status_after=ref.status,
        at=op.at,
        detail={"reason": "timer", "error": str(exc)[:500], "errors": exc.fields},
    )
    _LOG.warning("timer failed", extra={"dossier": ref.code, "error": str(exc)[:300]})
