"""The app's clock, working calendar and compiled-procedure cache, and the operation context
every service reads once at its top.

They hang on `app.extensions` so tests can swap the clock for a fixed one, and so the cache of
compiled procedures lives once per process, shared by every request and job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Protocol

from flask import Flask, current_app
from sqlalchemy import select

from engine import (
    Collaboration,
    CompiledProcess,
    OfficeHours,
    ProcessCache,
    TimerClock,
    WorkingCalendar,
)
from engine.calendar import now as calendar_now
from engine.reminders import PolicyInvalid, ReminderPolicy
from processes import Group, Procedure

from ..store import Agency, CalendarVersion, db, forget_recorded_jobs, recorded_jobs
from .channels import SmtpSettings
from .token_cache import TokenCache

EXTENSION_KEY = "motcua"

_LOG = logging.getLogger("motcua.runtime")


class Queue(Protocol):
    """Where committed outbox jobs, and dossiers whose timers are due, are handed for
    running: rq on Redis, or this process."""

    def push(self, job_ids: Iterable[int]) -> None: ...

    def room_for_timers(self) -> int:
        """Returns how many dossiers' due timers a sweep may hand over now."""
        ...

    def push_timers(self, dossier_ids: Iterable[int]) -> None: ...

    def state(self) -> str:
        """Returns "in_process", "ok" or "unreachable" (for the health check)."""
        ...


class NoQueue:
    """Hands jobs to nobody: they wait in the outbox for the relay (until a queue is set)."""

    def push(self, job_ids: Iterable[int]) -> None:
        return None

    def room_for_timers(self) -> int:
        return 0  # nobody would fire them: due timers stay unclaimed

    def push_timers(self, dossier_ids: Iterable[int]) -> None:
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
        # The calendars in force (override calendar, agencies' office hours), read from the
        # database at most every `calendar_refresh` seconds (0: every operation).
        self.calendar_refresh = 0.0
        self._book: CalendarBook | None = None
        self._book_read = 0.0
        self._calendars: dict[tuple, WorkingCalendar] = {}
        self.processes = ProcessCache()
        # procedure version id → compiled process; versions are immutable once deployed.
        self.versions: dict[int, CompiledProcess] = {}
        # procedure version id → the procedure as deployed with it (its descriptor);
        # group version id → the group likewise.
        self.procedure_entries: dict[int, Procedure] = {}
        self.group_entries: dict[int, Group] = {}
        # procedure version id → the handoff routes of the diagram it was deployed from.
        self.collaborations: dict[int, Collaboration] = {}
        # Where email notifications are sent (None: no email channel).
        self.smtp: SmtpSettings | None = None

    def calendars(self) -> CalendarBook:
        """Returns the calendars in force, read again once `calendar_refresh` has passed."""
        stale = time.monotonic() - self._book_read >= self.calendar_refresh
        if self._book is None or stale:
            self._book = self._read_calendars()
            self._book_read = time.monotonic()
        return self._book

    def forget_calendars(self) -> None:
        """Makes the next operation read the calendars again (after this process changed them)."""
        self._book = None

    def _read_calendars(self) -> CalendarBook:
        latest = db.session.execute(
            select(CalendarVersion.id, CalendarVersion.days_off, CalendarVersion.working_days)
            .order_by(CalendarVersion.id.desc())
            .limit(1)
        ).one_or_none()
        days_off = tuple(sorted(latest.days_off)) if latest else ()
        working_days = tuple(sorted(latest.working_days)) if latest else ()
        hours = db.session.execute(
            select(Agency.id, Agency.office_hours).where(Agency.office_hours.is_not(None))
        ).all()
        base = self._calendar(days_off, working_days, None)
        by_agency = {
            agency_id: self._calendar(days_off, working_days, office_hours_of(value))
            for agency_id, value in hours
            if value is not None  # a JSON null stored by older code
        }
        policies = {
            agency_id: read_reminder_policy(agency_id, value)
            for agency_id, value in db.session.execute(
                select(Agency.id, Agency.reminder_policy).where(Agency.reminder_policy.is_not(None))
            )
            if value is not None
        }
        return CalendarBook(latest.id if latest else None, base, by_agency, policies)

    def _calendar(self, days_off, working_days, hours: OfficeHours | None) -> WorkingCalendar:
        key = (days_off, working_days, hours)
        if key not in self._calendars:  # keeps each calendar's holiday tables warm
            self._calendars[key] = WorkingCalendar(
                office_hours=hours, extra_holidays=days_off, extra_workdays=working_days
            )
        return self._calendars[key]


@dataclass(frozen=True)
class CalendarBook:
    """The calendars in force: the override calendar (its version row, None before any
    override) and each agency's, when its office hours are its own."""

    version_id: int | None
    base: WorkingCalendar
    by_agency: Mapping[int, WorkingCalendar]
    # Each agency's reminder policy, when it has its own (read with the calendars).
    policies: Mapping[int, ReminderPolicy] = field(default_factory=dict)

    def of(self, agency_id: int | None) -> WorkingCalendar:
        return self.by_agency.get(agency_id, self.base) if agency_id is not None else self.base


def read_reminder_policy(agency_id: int, value) -> ReminderPolicy:
    """Returns a stored reminder policy; the default, logged, when it cannot be read."""
    try:
        return ReminderPolicy.read(value)
    except PolicyInvalid:
        _LOG.warning(
            "stored reminder policy unreadable: the default applies",
            extra={"error": f"agency {agency_id}"},
        )
        return ReminderPolicy()


def office_hours_of(value: Mapping) -> OfficeHours:
    """Returns the OfficeHours a stored {"sessions": [[start, end], ...], "cutoff"} gives."""
    return OfficeHours(
        sessions=tuple(
            (clock_time.fromisoformat(start), clock_time.fromisoformat(end))
            for start, end in value["sessions"]
        ),
        cutoff=clock_time.fromisoformat(value["cutoff"]),
    )


@dataclass(frozen=True)
class Operation:
    """One operation's instant and calendars: read once, then passed down, so every row and
    due date an operation writes agrees on when it happened and which calendar counted.
    `calendar` is the national one (default office hours); `calendar_of(agency)` the one an
    agency's due dates are counted on (its own office hours, when it has them)."""

    at: datetime
    calendar: WorkingCalendar
    book: CalendarBook | None = None

    def calendar_of(self, agency_id: int | None) -> WorkingCalendar:
        return self.book.of(agency_id) if self.book is not None else self.calendar

    def reminders_of(self, agency_id: int | None) -> ReminderPolicy:
        """Returns the agency's reminder policy (the platform's default when it has none)."""
        if self.book is None or agency_id is None:
            return ReminderPolicy()
        return self.book.policies.get(agency_id) or ReminderPolicy()

    def clock_of(self, agency_id: int | None) -> TimerClock:
        """Returns the instant and the agency's calendar a workflow runs at (its timers)."""
        return TimerClock(self.at, self.calendar_of(agency_id))


def init_runtime(app: Flask) -> Runtime:
    runtime = Runtime(token_cache_seconds=app.config["MOTCUA_TOKEN_CACHE_SECONDS"])
    runtime.jobs = JobSettings(
        max_attempts=app.config["MOTCUA_JOB_MAX_ATTEMPTS"],
        backoff=timedelta(seconds=app.config["MOTCUA_JOB_BACKOFF_SECONDS"]),
        lease=timedelta(seconds=app.config["MOTCUA_JOB_LEASE_SECONDS"]),
    )
    runtime.failpoints = frozenset(app.config.get("MOTCUA_FAILPOINTS", ()))
    runtime.calendar_refresh = app.config["MOTCUA_CALENDAR_REFRESH_SECONDS"]
    runtime.smtp = SmtpSettings.from_config(app.config)
    app.extensions[EXTENSION_KEY] = runtime
    return runtime


def runtime() -> Runtime:
    """Returns the runtime of the current app."""
    return current_app.extensions[EXTENSION_KEY]


def operation() -> Operation:
    """Returns the clock's instant and the calendar, for one operation (call it once, after
    the operation holds its locks: its events then never precede what they waited for)."""
    current = runtime()
    book = current.calendars()
    return Operation(at=current.clock(), calendar=book.base, book=book)


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
