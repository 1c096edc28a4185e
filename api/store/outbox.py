"""The outbox: work to do after a commit, recorded in the transaction that needs it.

A change that needs background work (deliver a handoff; later fire a timer, send a
reminder) inserts an outbox row in its own transaction, so the work exists exactly when the
change does. After the commit the rows are handed to the queue (rq on Redis, or this
process). A job takes its row with a row lock (skipping a row another worker holds), does
its work and marks the row done **in the same transaction**: whatever kills a worker, the
work is either done and marked, or neither, and a row run twice is done once. A failed try
records its error and the next try's time (exponential backoff) in a transaction of its own;
the last try leaves the row `failed`, for an operator to see and retry. Rows nobody took
within the lease are handed to the queue again by the relay, so a queue that lost work
(Redis restarted, a worker killed) delays it and loses none.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update

from processes import JobState

from .database import db
from .models import OutboxJob
from .writes import connection

OUTBOX = OutboxJob.__table__
# Where the ids of the rows this session's transaction added wait for its commit.
_RECORDED = "motcua.outbox.recorded"

_TAKE = (
    select(OUTBOX.c.id, OUTBOX.c.job, OUTBOX.c.args, OUTBOX.c.attempts, OUTBOX.c.max_attempts)
    .where(OUTBOX.c.id == bindparam("p_id"), OUTBOX.c.state == JobState.PENDING.value)
    .with_for_update(skip_locked=True)
)


def add_job(job: str, args: list[Any], *, at: datetime, max_attempts: int) -> int:
    """Returns the id of a new pending job, written in the caller's transaction; its id is
    remembered for `recorded_jobs()` after the commit."""
    new_id = (
        connection()
        .execute(
            OUTBOX.insert()
            .values(
                job=job,
                args=args,
                state=JobState.PENDING.value,
                attempts=0,
                max_attempts=max_attempts,
                created_at=at,
                available_at=at,
                # Handed to the queue right after the commit: the relay leaves it alone for
                # a lease, and takes it again only if no worker did.
                relayed_at=at,
            )
            .returning(OUTBOX.c.id)
        )
        .scalar_one()
    )
    db.session.info.setdefault(_RECORDED, []).append(new_id)
    return new_id


def recorded_jobs() -> list[int]:
    """Returns (and forgets) the ids of the jobs the session's transactions added."""
    return db.session.info.pop(_RECORDED, [])


def forget_recorded_jobs() -> None:
    """Forgets the jobs of a transaction that rolled back (their rows do not exist)."""
    db.session.info.pop(_RECORDED, None)


def take_job(job_id: int):
    """Returns the pending job's row, locked for the caller's transaction; None when it is
    done, failed, gone or held by another worker right now (which will finish it)."""
    return connection().execute(_TAKE, {"p_id": job_id}).one_or_none()


def finish_job(job_id: int, at: datetime) -> None:
    """Marks a taken job done, in the transaction that did its work."""
    connection().execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == job_id)
        .values(state=JobState.DONE.value, finished_at=at, attempts=OUTBOX.c.attempts + 1)
    )


def record_failure(
    job_id: int, error: str, at: datetime, delay: Callable[[int], timedelta]
) -> tuple[int, bool]:
    """Returns the number of tries and whether that was the last, after recording a failed
    try: the error, and either the next try's time or the `failed` state."""
    row = (
        connection()
        .execute(
            select(OUTBOX.c.attempts, OUTBOX.c.max_attempts, OUTBOX.c.state)
            .where(OUTBOX.c.id == job_id)
            .with_for_update()
        )
        .one_or_none()
    )
    if row is None or row.state != JobState.PENDING.value:
        return (row.attempts if row else 0), False
    attempts = row.attempts + 1
    final = attempts >= row.max_attempts
    connection().execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == job_id)
        .values(
            attempts=attempts,
            last_error=error[:2000],
            state=JobState.FAILED.value if final else JobState.PENDING.value,
            available_at=at if final else at + delay(attempts),
            relayed_at=None,
            finished_at=at if final else None,
        )
    )
    return attempts, final


def due_jobs(at: datetime, lease: timedelta, limit: int = 100) -> list[int]:
    """Returns pending jobs due at `at` that no queue was given within the lease, marking
    them given now (rows another relay is marking are skipped, not waited for)."""
    ids = list(
        connection().scalars(
            select(OUTBOX.c.id)
            .where(
                OUTBOX.c.state == JobState.PENDING.value,
                OUTBOX.c.available_at <= at,
                (OUTBOX.c.relayed_at.is_(None)) | (OUTBOX.c.relayed_at < at - lease),
            )
            .order_by(OUTBOX.c.available_at, OUTBOX.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        connection().execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(relayed_at=at))
    return ids
