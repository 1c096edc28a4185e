"""The app's clock, working calendar and compiled-procedure cache, and the operation context
every service reads once at its top.

They hang on `app.extensions` so tests can swap the clock for a fixed one, and so the cache of
compiled procedures lives once per process, shared by every request and job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from flask import Flask, current_app

from engine import Collaboration, CompiledProcess, ProcessCache, WorkingCalendar
from engine.calendar import now as calendar_now

from ..store import db, forget_recorded_jobs, recorded_jobs
from .token_cache import TokenCache

EXTENSION_KEY = "motcua"


class Queue(Protocol):
    """Where committed outbox jobs are handed for running: rq on Redis, or this process."""

    def push(self, job_ids: Iterable[int]) -> None: ...

    def state(self) -> str:
        """Returns "in_process", "ok" or "unreachable" (for the health check)."""
        ...


class NoQueue:
    """Hands jobs to nobody: they wait in the outbox for the relay (until a queue is set)."""

    def push(self, job_ids: Iterable[int]) -> None:
        return None

    def state(self) -> str:
        return "none"


@dataclass(frozen=True)
class JobSettings:
    """How background work is retried: tries in all, the first retry's delay (doubling each
    try up to `max_backoff`), and how long a job handed to a queue may stay untaken before
    the relay hands it over again."""

    max_attempts: int = 8
    backoff: timedelta = timedelta(seconds=2)
    max_backoff: timedelta = timedelta(minutes=10)
    lease: timedelta = timedelta(seconds=30)

    def delay(self, attempts: int) -> timedelta:
        """Returns the wait before the next try, after `attempts` failed tries."""
        return min(self.backoff * (2 ** max(attempts - 1, 0)), self.max_backoff)


class Runtime:
    """What a process keeps between operations: the clock, the calendar, caches, and the
    queue committed jobs are handed to."""

    def __init__(
        self, clock: Callable[[], datetime] = calendar_now, token_cache_seconds: float = 0
    ):
        self.clock = clock
        self.queue: Queue = NoQueue()
        self.jobs = JobSettings()
        # Fault injection points a crash test turned on (MOTCUA_FAILPOINTS); empty otherwise.
        self.failpoints: frozenset[str] = frozenset()
        self.tokens = TokenCache(token_cache_seconds)
        self.calendar = WorkingCalendar()
        self.processes = ProcessCache()
        # procedure version id → compiled process; versions are immutable once deployed.
        self.versions: dict[int, CompiledProcess] = {}
        # procedure version id → the handoff routes of the diagram it was deployed from.
        self.collaborations: dict[int, Collaboration] = {}


@dataclass(frozen=True)
class Operation:
    """One operation's instant and calendar: read once, then passed down, so every row and
    due date an operation writes agrees on when it happened and which calendar counted."""

    at: datetime
    calendar: WorkingCalendar


def init_runtime(app: Flask) -> Runtime:
    runtime = Runtime(token_cache_seconds=app.config["MOTCUA_TOKEN_CACHE_SECONDS"])
    runtime.jobs = JobSettings(
        max_attempts=app.config["MOTCUA_JOB_MAX_ATTEMPTS"],
        backoff=timedelta(seconds=app.config["MOTCUA_JOB_BACKOFF_SECONDS"]),
        lease=timedelta(seconds=app.config["MOTCUA_JOB_LEASE_SECONDS"]),
    )
    runtime.failpoints = frozenset(app.config.get("MOTCUA_FAILPOINTS", ()))
    app.extensions[EXTENSION_KEY] = runtime
    return runtime


def runtime() -> Runtime:
    """Returns the runtime of the current app."""
    return current_app.extensions[EXTENSION_KEY]


def operation() -> Operation:
    """Returns the clock's instant and the calendar, for one operation (call it once, after
    the operation holds its locks: its events then never precede what they waited for)."""
    current = runtime()
    return Operation(at=current.clock(), calendar=current.calendar)


def commit() -> None:
    """Commits the session's transaction, then hands the jobs it recorded in the outbox to
    the queue (a queue that cannot take them now loses nothing: the relay tries again)."""
    try:
        db.session.commit()
    except BaseException:
        forget_recorded_jobs()
        raise
    jobs = recorded_jobs()
    if jobs:
        runtime().queue.push(jobs)


def rollback() -> None:
    """Rolls the session's transaction back, with the jobs it recorded."""
    db.session.rollback()
    forget_recorded_jobs()


def failpoint(name: str) -> None:
    """Kills this process here when a crash test turned the point on (MOTCUA_FAILPOINTS):
    what a power cut or an OOM kill would do, at a place the test chose."""
    if name in runtime().failpoints:
        import os
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
