"""Jobs: named functions run after a commit, from the outbox, with retries.

`register(name)` names a job function (and optionally what to do when a try fails);
`enqueue(name, *ids)` records it in the outbox in the caller's transaction. After the commit
(`services.commit`), the jobs are handed to the runtime's queue: `InProcessQueue` runs them
at once in this process (the embedded default), `RedisQueue` gives them to rq workers
(`motcua worker`). Either way a job runs through `run_job`: take the outbox row (locked, or
skipped if another worker holds it), run the function, mark the row done, commit: one
transaction, so a job that runs twice does its work once. A failed try is recorded with its
backoff in a transaction of its own; the relay (`relay_due`) hands over jobs that are due
again or that a lost queue dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask

from ..services import commit, operation, rollback, runtime
from ..services.notifications import due_reminders
from ..services.runtime import failpoint
from ..services.supplements import due_supplement_stops
from ..services.timers import claim_due_timers, fire_timers
from ..store import add_job, db, due_jobs, finish_job, record_failure, take_job

log = logging.getLogger("motcua.jobs")

JobFunction = Callable[..., Any]
# on_failure(*args, error=str, attempts=int, final=bool): runs in the failure's transaction.
FailureHook = Callable[..., None]


@dataclass(frozen=True)
class Job:
    function: JobFunction
    on_failure: FailureHook | None = None


_JOBS: dict[str, Job] = {}
# At most this many dossiers' timers are claimed by one sweep, and waiting in a queue: a
# dossier claimed waits at most what the workers take to fire this many (well inside the
# claim's lease), and several sweeps never pile up more work than the workers can take.
TIMER_SWEEP = 2000
# A job's arguments are ids and plain values: what a JSON column carries unchanged.
_PLAIN = (str, int, float, bool, type(None))


def register(
    name: str, *, on_failure: FailureHook | None = None
) -> Callable[[JobFunction], JobFunction]:
    """Returns a decorator that names a job function, so the outbox can carry its name."""

    def decorate(function: JobFunction) -> JobFunction:
        if name in _JOBS and _JOBS[name].function is not function:
            raise ValueError(f"job {name} is registered twice")
        _JOBS[name] = Job(function, on_failure)
        return function

    return decorate


def enqueue(name: str, *args: Any) -> int:
    """Returns the id of a job recorded in the outbox in the caller's transaction; it runs
    after the caller commits (`services.commit`), never if the caller rolls back."""
    if name not in _JOBS:
        raise KeyError(f"no job {name}")
    for arg in args:
        if not isinstance(arg, _PLAIN):
            raise TypeError(f"job {name} takes ids and plain values, not {type(arg).__name__}")
    return add_job(name, list(args), at=operation().at, max_attempts=runtime().jobs.max_attempts)


def run_job(app: Flask, job_id: int) -> str:
    """Runs one outbox job in its own app context and transaction; returns "done",
    "skipped" (done already, or another worker holds it), "retry" or "failed". Never raises:
    a failure is recorded in the outbox and logged."""
    started = time.perf_counter()
    with app.app_context():
        name, args = "(unknown)", []
        try:
            row = take_job(job_id)
            if row is None:
                rollback()
                return "skipped"
            name, args = row.job, list(row.args)
            job = _JOBS.get(name)
            if job is None:
                raise LookupError(f"no job {name} is registered in this process")
            job.function(*args)
            finish_job(job_id, operation().at)
            failpoint("job.before_commit")
            commit()
            failpoint("job.after_commit")
        except Exception as exc:
            outcome = _record_failure(job_id, name, args, exc)
            log.warning(
                "job failed",
                extra={
                    "job": name,
                    "job_args": args,
                    "error": f"{type(exc).__name__}: {exc}"[:500],
                    "outcome": outcome,
                    "duration_ms": _ms(started),
                },
            )
            return outcome
        finally:
            db.session.remove()
    log.info("job done", extra={"job": name, "job_args": args, "duration_ms": _ms(started)})
    return "done"


def _record_failure(job_id: int, name: str, args: list, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"
    try:
        rollback()
        settings = runtime().jobs
        attempts, final = record_failure(job_id, error, operation().at, settings.delay)
        job = _JOBS.get(name)
        if job is not None and job.on_failure is not None and attempts:
            job.on_failure(*args, error=error, attempts=attempts, final=final)
        commit()
        return "failed" if final else "retry"
    except Exception:
        # The database itself is unreachable: the row stays pending and the relay hands the
        # job over again after its lease.
        rollback()
        log.exception("job failure not recorded", extra={"job": name, "job_args": args})
        return "retry"


def run_timers(app: Flask, dossier_ids: Iterable[int]) -> int:
    """Fires the due timers of the dossiers given, all in one transaction (one lock, one
    commit: what makes a hundred thousand due timers take seconds, not minutes); if that
    fails, each dossier again in a transaction of its own, so one bad dossier holds up no
    other. Returns how many dossiers had a timer fire. Never raises: a dossier that fails
    keeps its claim's lease in `timer_due_at` and is swept again when it ends."""
    started, ids = time.perf_counter(), list(dossier_ids)
    with app.app_context():
        try:
            fired = _fire_batch(ids)
        finally:
            db.session.remove()
    log.info(
        "timers done",
        extra={"dossiers": len(ids), "fired": fired, "duration_ms": _ms(started)},
    )
    return fired


def _fire_batch(ids: list[int]) -> int:
    try:
        return _fire_and_commit(ids)
    except Exception as exc:
        rollback()
        _timers_failed(ids, exc)
        if len(ids) == 1:
            return 0
    fired = 0
    for dossier_id in ids:  # one at a time: one bad dossier holds up no other
        try:
            fired += _fire_and_commit([dossier_id])
        except Exception as exc:
            rollback()
            _timers_failed([dossier_id], exc)
    return fired


def _timers_failed(ids: list[int], exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:500]
    log.warning("timers not fired", extra={"dossiers": ids[:50], "error": error})


def _fire_and_commit(dossier_ids: list[int]) -> int:
    fired = fire_timers(dossier_ids)
    failpoint("timer.before_commit")
    commit()
    failpoint("timer.after_commit")
    return fired


def relay_due(app: Flask) -> int:
    """Turns deadlines that ran out into work (a supplement's window, BPMN timers due), then
    hands the queue every pending job that is due and that no queue took within the lease
    (retries after their backoff, jobs a lost queue dropped); returns how many jobs and
    dossiers it handed over (the new jobs go to the queue with the commit)."""
    with app.app_context():
        try:
            op = operation()
            due_supplement_stops(op)  # deadlines that ran out become jobs, in this commit
            due_reminders(op)  # reminders and overdue notices, with their deliveries' jobs
            timers = claim_due_timers(op, runtime().queue.room_for_timers())
            ids = due_jobs(op.at, runtime().jobs.lease)
            commit()
        except Exception as exc:
            # The database is out of reach (or not migrated yet): say so once per round,
            # without a traceback every second; the next round tries again.
            rollback()
            log.warning("relay failed", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})
            return 0
        finally:
            db.session.remove()
        if ids:
            runtime().queue.push(ids)
        if timers:
            runtime().queue.push_timers(timers)
        return len(ids) + len(timers)


class InProcessQueue:
    """Runs jobs at once, in this process and thread, each in its own transaction (the
    embedded default: no Redis needed). Jobs that follow-up jobs record run after them, not
    nested inside them."""

    def __init__(self, app: Flask):
        self.app = app
        self._local = threading.local()

    def state(self) -> str:
        return "in_process"

    def room_for_timers(self) -> int:
        return TIMER_SWEEP

    def push_timers(self, dossier_ids: Iterable[int]) -> None:
        run_timers(self.app, dossier_ids)

    def push(self, job_ids: Iterable[int]) -> None:
        waiting = getattr(self._local, "waiting", None)
        if waiting is not None:
            waiting.extend(job_ids)  # already running jobs in this thread: after them
            return
        self._local.waiting = list(job_ids)
        try:
            while self._local.waiting:
                run_job(self.app, self._local.waiting.pop(0))
        finally:
            self._local.waiting = None


class RelayThread:
    """Calls `relay_due` when started, then every `interval` seconds until stopped (in a
    worker, or in an embedded server)."""

    def __init__(self, app: Flask, interval: float):
        self.app, self.interval = app, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="motcua-relay", daemon=True)

    def start(self) -> RelayThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)

    def _run(self) -> None:
        # At once, then every interval: work that fell due while no worker ran (timers, a
        # lost queue's jobs) starts when the first worker does, not an interval later.
        relay_due(self.app)
        while not self._stop.wait(self.interval):
            relay_due(self.app)


def in_app_context(app: Flask, name: str) -> Callable[..., Any]:
    """Returns the job `name` as a plain function running in an app context of `app`, in
    one transaction committed at its end (what a console command or a test calls)."""
    function = _JOBS[name].function

    @wraps(function)
    def run(*args: Any) -> Any:
        with app.app_context():
            try:
                result = function(*args)
                commit()
                return result
            except Exception:
                rollback()
                raise
            finally:
                db.session.remove()

    return run


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
