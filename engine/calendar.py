"""Returns legal due dates of dossiers, counted in working time of Vietnamese public offices.

Rules (docs/domain.md#working-days, #office-sessions, #cut-off-and-the-start-of-the-clock,
#due-instant):

* A working day is Monday to Friday, minus Vietnamese public holidays (the ``holidays``
  package, country "VN"), plus the Saturdays the government declares worked in exchange for
  a bridge day off (``weekend_workdays`` of the package). An administrator's override
  calendar (``extra_holidays``, ``extra_workdays``) wins over the package.
* Everything happens in Asia/Ho_Chi_Minh. Datetimes going in must be timezone-aware (other
  zones are converted); datetimes coming out are aware and in the calendar's zone.
* Office time is a list of sessions, 07:30-11:30 and 13:00-17:00 by default; one working
  day is the total length of the sessions (8 h by default), so "0.5" day is 4 office hours.
* The clock of a dossier starts at receipt when it arrives on a working day before the
  cut-off (15:00 by default), moved forward to the next session if it arrives outside one;
  otherwise it starts when the next working day opens.
* A budget of N working days is walked in office time from the clock start, skipping
  non-working days; a walk that ends exactly at the end of a session is due at that end
  (17:00), not when the next session opens. A budget of 0 ("same working day") is due at the
  end of the last session of the day the clock starts.

Durations are measured in wall-clock time of the calendar's zone, which is elapsed time
because Vietnam has kept one UTC offset all year since 1975.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_CEILING, Decimal, InvalidOperation, localcontext
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "COUNTRY",
    "TIMEZONE",
    "OfficeHours",
    "WorkingCalendar",
    "now",
]

COUNTRY = "VN"
TIMEZONE_NAME = "Asia/Ho_Chi_Minh"
TIMEZONE = ZoneInfo(TIMEZONE_NAME)

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)


def now(tz: tzinfo = TIMEZONE) -> datetime:
    """Returns the current instant as an aware datetime in ``tz`` (Vietnam by default)."""
    return datetime.now(tz)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


@dataclass(frozen=True)
class OfficeHours:
    """Office sessions of a working day (local wall-clock times) and the receipt cut-off."""

    sessions: tuple[tuple[time, time], ...] = (
        (time(7, 30), time(11, 30)),
        (time(13, 0), time(17, 0)),
    )
    cutoff: time = time(15, 0)

    def __post_init__(self) -> None:
        try:
            sessions = tuple((start, end) for start, end in self.sessions)
        except (TypeError, ValueError):
            raise ValueError(
                "sessions must be a sequence of (start, end) pairs of datetime.time"
            ) from None
        if not sessions:
            raise ValueError("sessions must contain at least one (start, end) session")
        previous_end: time | None = None
        for index, (start, end) in enumerate(sessions):
            for bound in (start, end):
                if not isinstance(bound, time):
                    raise ValueError(f"sessions[{index}] must hold datetime.time values")
                if bound.tzinfo is not None:
                    raise ValueError(
                        f"sessions[{index}] must be naive local times; the calendar has the zone"
                    )
                # Budgets are counted in whole office minutes per day.
                if bound.second or bound.microsecond:
                    raise ValueError(f"sessions[{index}] must start and end on whole minutes")
            if not start < end:
                raise ValueError(f"sessions[{index}] must start before it ends")
            if previous_end is not None and start < previous_end:
                raise ValueError(
                    f"sessions[{index}] overlaps or precedes the session before it; "
                    "sessions must be in order and must not overlap"
                )
            previous_end = end
        if not isinstance(self.cutoff, time) or self.cutoff.tzinfo is not None:
            raise ValueError("cutoff must be a naive datetime.time")
        # Normalise lists to tuples so the instance stays hashable and comparable.
        object.__setattr__(self, "sessions", sessions)

    @property
    def minutes_per_day(self) -> int:
        """Returns the office minutes of one working day (the length of all sessions)."""
        return sum(_minutes(end) - _minutes(start) for start, end in self.sessions)


_DEFAULT_OFFICE_HOURS = OfficeHours()


@dataclass(frozen=True)
class _PackageDays:
    """Immutable snapshot of what the holidays package says for the years loaded so far."""

    years: frozenset[int]
    days_off: frozenset[date]
    weekend_workdays: frozenset[date]


def _parse_days(values: Iterable[date | str], name: str) -> frozenset[date]:
    if isinstance(values, (str, date)):
        raise ValueError(f"{name} must be an iterable of dates, not a single value")
    try:
        items = list(values)
    except TypeError:
        raise ValueError(f"{name} must be an iterable of dates") from None
    days = set()
    for item in items:
        # datetime is a date subclass; accepting it would silently drop its time and zone.
        if isinstance(item, datetime):
            raise ValueError(f"{name} must hold dates, not datetimes: {item!r}")
        if isinstance(item, date):
            days.add(item)
        elif isinstance(item, str):
            try:
                days.add(date.fromisoformat(item))
            except ValueError:
                raise ValueError(
                    f"{name} holds a string that is not an ISO date: {item!r}"
                ) from None
        else:
            raise ValueError(f"{name} must hold dates or ISO date strings, not {item!r}")
    return frozenset(days)


def _parse_budget(value: Decimal | int | float | str) -> Decimal:
    # bool is an int subclass; True as "1 day" is almost certainly a caller bug.
    if isinstance(value, bool):
        raise ValueError("budget_days must be a number of working days, not a bool")
    if isinstance(value, Decimal):
        budget = value
    elif isinstance(value, int):
        budget = Decimal(value)
    elif isinstance(value, float):
        # repr is the shortest round-tripping decimal: 0.1 means "0.1", not 0.1000000000000000055.
        budget = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            budget = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(
                f"budget_days must be a number of working days, not {value!r}"
            ) from None
    else:
        raise ValueError(f"budget_days must be a Decimal, int or numeric string, not {value!r}")
    if not budget.is_finite():
        raise ValueError(f"budget_days must be finite, not {value!r}")
    if budget < 0:
        raise ValueError(f"budget_days must not be negative, got {value!r}")
    return budget


class WorkingCalendar:
    """Working days and office time of Vietnamese public offices, with optional overrides."""

    def __init__(
        self,
        *,
        office_hours: OfficeHours | None = None,
        extra_holidays: Iterable[date | str] = (),
        extra_workdays: Iterable[date | str] = (),
        tz: str | ZoneInfo = TIMEZONE_NAME,
    ) -> None:
        if office_hours is None:
            office_hours = _DEFAULT_OFFICE_HOURS
        if not isinstance(office_hours, OfficeHours):
            raise ValueError("office_hours must be an OfficeHours instance or None")
        self._office_hours = office_hours
        self._tz = self._parse_tz(tz)
        self._extra_holidays = _parse_days(extra_holidays, "extra_holidays")
        self._extra_workdays = _parse_days(extra_workdays, "extra_workdays")
        if clash := self._extra_holidays & self._extra_workdays:
            listed = ", ".join(sorted(d.isoformat() for d in clash))
            raise ValueError(f"extra_holidays and extra_workdays both list {listed}")

        self._sessions = office_hours.sessions
        self._first_start = self._sessions[0][0]
        self._last_end = self._sessions[-1][1]
        self._day_length = timedelta(minutes=office_hours.minutes_per_day)
        self._version = self._make_version()

        self._package = _PackageDays(frozenset(), frozenset(), frozenset())
        self._lock = threading.Lock()

    @staticmethod
    def _parse_tz(tz: str | ZoneInfo) -> ZoneInfo:
        if isinstance(tz, ZoneInfo):
            return tz
        if not isinstance(tz, str) or not tz:
            raise ValueError(f"tz must be an IANA zone name, not {tz!r}")
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"tz is not a known IANA zone: {tz!r}") from None

    def _make_version(self) -> str:
        base = f"{COUNTRY}/holidays-{holidays.__version__}"
        customised = (
            self._office_hours != _DEFAULT_OFFICE_HOURS
            or self._tz.key != TIMEZONE_NAME
            or self._extra_holidays
            or self._extra_workdays
        )
        if not customised:
            return base
        # Canonical JSON (sorted, ISO) so equal configurations hash alike whatever their order.
        canonical = json.dumps(
            {
                "sessions": [[s.isoformat(), e.isoformat()] for s, e in self._sessions],
                "cutoff": self._office_hours.cutoff.isoformat(),
                "tz": self._tz.key,
                "extra_holidays": sorted(d.isoformat() for d in self._extra_holidays),
                "extra_workdays": sorted(d.isoformat() for d in self._extra_workdays),
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return f"{base}+{hashlib.sha256(canonical.encode()).hexdigest()[:12]}"

    def __repr__(self) -> str:
        return f"WorkingCalendar(version={self._version!r})"

    @property
    def version(self) -> str:
        """Returns the identifier of this calendar, to be stored next to every due date."""
        return self._version

    @property
    def tz(self) -> ZoneInfo:
        """Returns the zone in which office time is kept and results are expressed."""
        return self._tz

    @property
    def office_hours(self) -> OfficeHours:
        """Returns the office sessions and cut-off of this calendar."""
        return self._office_hours

    # --- days -----------------------------------------------------------------------------

    def _package_days(self, year: int) -> _PackageDays:
        package = self._package
        if year in package.years:
            return package
        with self._lock:
            package = self._package
            if year in package.years:
                return package
            # Neighbouring years too: a make-up Saturday can sit in the year before the
            # bridge day it pays for (27/12/2014 for 02/01/2015).
            wanted = {y for y in (year - 1, year, year + 1) if MINYEAR <= y <= MAXYEAR}
            years = package.years | wanted
            # Built once per new year range, never per call: construction costs milliseconds.
            calendar = holidays.country_holidays(COUNTRY, years=sorted(years))
            package = _PackageDays(
                years=frozenset(years),
                days_off=frozenset(calendar.keys()),
                weekend_workdays=frozenset(calendar.weekend_workdays),
            )
            self._package = package
            return package

    def is_working_day(self, day: date) -> bool:
        """Returns whether public offices work on ``day`` (overrides first, then the package)."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"day must be a datetime.date, not {day!r}")
        if day in self._extra_workdays:
            return True
        if day in self._extra_holidays:
            return False
        package = self._package_days(day.year)
        if day.weekday() >= 5:
            return day in package.weekend_workdays
        return day not in package.days_off

    def next_working_day(self, day: date) -> date:
        """Returns the first working day strictly after ``day``."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"day must be a datetime.date, not {day!r}")
        day += _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    # --- instants -------------------------------------------------------------------------
    # Internally instants are naive local wall-clock datetimes; the zone is attached on return.

    def _local(self, instant: datetime, name: str) -> datetime:
        if not isinstance(instant, datetime):
            raise ValueError(f"{name} must be a datetime, not {instant!r}")
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got naive {instant!r}")
        return instant.astimezone(self._tz).replace(tzinfo=None)

    def _aware(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self._tz)

    def _next_office(self, local: datetime) -> datetime:
        day = local.date()
        if self.is_working_day(day):
            for start, end in self._sessions:
                # Sessions are half-open here: at 11:30 the morning session has closed.
                if local < datetime.combine(day, end):
                    return max(local, datetime.combine(day, start))
        return datetime.combine(self.next_working_day(day), self._first_start)

    def next_office_instant(self, instant: datetime) -> datetime:
        """Returns ``instant`` if the office is open then, else when the office next opens."""
        return self._aware(self._next_office(self._local(instant, "instant")))

    def clock_start(self, received_at: datetime) -> datetime:
        """Returns when the legal clock of a dossier received at ``received_at`` starts."""
        local = self._local(received_at, "received_at")
        day = local.date()
        if self.is_working_day(day) and local.time() < self._office_hours.cutoff:
            return self._aware(self._next_office(local))
        return self._aware(datetime.combine(self.next_working_day(day), self._first_start))

    def _budget_delta(self, budget: Decimal) -> timedelta:
        with localcontext() as context:
            context.prec = 60
            micro = budget * self._office_hours.minutes_per_day * 60 * 1_000_000
            # Round up so a due instant never falls short of the budget.
            micro = micro.to_integral_value(rounding=ROUND_CEILING)
        return timedelta(microseconds=int(micro))

    def due_at(self, start: datetime, budget_days: Decimal | int | float | str) -> datetime:
        """Returns the instant at which ``budget_days`` working days counted from ``start`` end."""
        budget = _parse_budget(budget_days)
        cursor = self._next_office(self._local(start, "start"))
        if budget == 0:
            return self._aware(datetime.combine(cursor.date(), self._last_end))
        return self._aware(self._walk(cursor, self._budget_delta(budget)))

    def due_after_pause(
        self, due_at: datetime, paused_at: datetime, resumed_at: datetime
    ) -> datetime:
        """Returns the due instant once a pause (a supplement awaited) from ``paused_at`` to
        ``resumed_at`` is taken out: the office time that remained at the pause is counted
        again from the resumption. A pause that began at or after the due instant moves
        nothing (the dossier was late already)."""
        remaining = self.working_time_between(paused_at, due_at)
        if remaining <= _ZERO:
            return due_at.astimezone(self._tz)
        if self._local(resumed_at, "resumed_at") < self._local(paused_at, "paused_at"):
            raise ValueError("resumed_at must not precede paused_at")
        return self._aware(
            self._walk(self._next_office(self._local(resumed_at, "resumed_at")), remaining)
        )

    @property
    def day_length(self) -> timedelta:
        """Returns the office time of one working day."""
        return self._day_length

    def after_office_time(self, start: datetime, office_time: timedelta) -> datetime:
        """Returns the instant ``office_time`` of office time after ``start`` (``start``
        itself, in local time, when it is not positive)."""
        if office_time <= _ZERO:
            return self._aware(self._local(start, "start"))
        return self._aware(self._walk(self._next_office(self._local(start, "start")), office_time))

    def _walk(self, cursor: datetime, remaining: timedelta) -> datetime:
        """Returns the local instant ``remaining`` office time after ``cursor`` (an office
        instant), skipping closed hours and non-working days."""
        day = cursor.date()
        # The rest of the day the walk starts in.
        for start_t, end_t in self._sessions:
            end = datetime.combine(day, end_t)
            if end <= cursor:
                continue
            begin = max(cursor, datetime.combine(day, start_t))
            available = end - begin
            # "<=" so that a walk ending exactly at a session's end is due at that end.
            if remaining <= available:
                return begin + remaining
            remaining -= available

        # Whole days at once; only the last day is walked session by session.
        day = self.next_working_day(day)
        while remaining > self._day_length:
            remaining -= self._day_length
            day = self.next_working_day(day)
        for start_t, end_t in self._sessions:
            begin = datetime.combine(day, start_t)
            available = datetime.combine(day, end_t) - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: the remaining budget fits in one working day")

    def deadline(self, received_at: datetime, budget_days: Decimal | int | float | str) -> datetime:
        """Returns the legal due instant of a dossier received at ``received_at``."""
        budget = _parse_budget(budget_days)
        return self.due_at(self.clock_start(received_at), budget)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Returns the office time between instants ``a`` and ``b`` (zero if ``b <= a``)."""
        local_a = self._local(a, "a")
        local_b = self._local(b, "b")
        if local_b <= local_a:
            return _ZERO
        total = _ZERO
        day = local_a.date()
        last = local_b.date()
        while day <= last:
            if self.is_working_day(day):
                opens = datetime.combine(day, self._first_start)
                closes = datetime.combine(day, self._last_end)
                if local_a <= opens and closes <= local_b:
                    total += self._day_length
                else:
                    for start_t, end_t in self._sessions:
                        begin = max(local_a, datetime.combine(day, start_t))
                        end = min(local_b, datetime.combine(day, end_t))
                        if end > begin:
                            total += end - begin
            day += _ONE_DAY
        return total

    def session_end(self, instant: datetime) -> datetime:
        """Returns the end of the session containing ``instant``, else of the next session."""
        local = self._local(instant, "instant")
        day = local.date()
        if self.is_working_day(day):
            for _, end_t in self._sessions:
                end = datetime.combine(day, end_t)
                # Closed at the end: work finished at 17:00 sharp belongs to the afternoon.
                if local <= end:
                    return self._aware(end)
        return self._aware(datetime.combine(self.next_working_day(day), self._sessions[0][1]))

    def outcome(self, finished_at: datetime, due_at: datetime) -> str:
        """Returns how work finished at ``finished_at`` stands against ``due_at``: "early" when
        finished on a date before the due date, "on_time" when no later than the end of the
        office session that holds the due instant, else "late" (a few minutes past a due
        instant inside its session is on time: the counting is by session, not by second)."""
        finished = self._local(finished_at, "finished_at")
        due = self._local(due_at, "due_at")
        if finished.date() < due.date():
            return "early"
        if finished <= self._local(self.session_end(due_at), "due_at"):
            return "on_time"
        return "late"
