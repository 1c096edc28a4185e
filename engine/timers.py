"""Returns timer events the platform fires, by its own clock and working-day calendar.

SpiffWorkflow computes a timer's due time from the server's clock and fires it when
`refresh_timers()` finds that clock past it; durations are calendar time. The platform has
its own clock (the operation's instant: one reading per transition, a test's clock in tests)
and counts deadlines in working days. So every timer of a compiled procedure is one of ours
(`WorkingTimeDate`, `WorkingDuration`), which reads the instant and the calendar from the
`TimerClock` the instance runs under, and records its due instant in the task's internal
data (saved with the workflow state): the platform reads it back to store the dossier's next
timer in an indexed column, so a sweep finds due timers without opening any workflow.

A timer expression, in `timeDate` or `timeDuration`, quoted or not:

- an ISO-8601 duration (`P2D`, `PT4H`, `P1DT12H`): calendar time from the instant the timer
  starts waiting (`timeDuration`);
- a number of working days (`2 ngày làm việc`, `0.5 ngày làm việc`, also `2 working days`):
  counted like a step budget, office sessions and the 15:00 cut-off included
  (`timeDuration`);
- an ISO-8601 date or date-time (`2026-12-01`, `2026-12-01T08:00:00+07:00`); without an
  offset it is Vietnam time, never the server's (`timeDate`);
- otherwise an expression over task data (checked by the restricted evaluator) whose value is
  one of the above as a string, or (for `timeDate`) a date or date-time.

Repeating timers (`timeCycle`) are refused: reminders are the platform's policies, not timers
drawn in every diagram.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from .calendar import TIMEZONE, WorkingCalendar
from .errors import EngineError

DURATION, DATE = "duration", "date"
# A timer's due instant, kept in the waiting task's internal data (SpiffWorkflow's own key,
# so its `waiting_events()` reports it too).
DUE_VALUE = "event_value"
_MAX_WORKING_DAYS = Decimal(365)

_ISO_DURATION = re.compile(
    r"P(?=\d|T\d)(\d+(?:[.,]\d+)?Y)?(\d+(?:[.,]\d+)?M)?(\d+(?:[.,]\d+)?W)?(\d+(?:[.,]\d+)?D)?"
    r"(T(?=\d)(\d+(?:[.,]\d+)?H)?(\d+(?:[.,]\d+)?M)?(\d+(?:[.,]\d+)?S)?)?",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ].*)?")
_WORKING_DAYS = re.compile(r"(\d{1,3}(?:[.,]\d+)?)\s*(ngày làm việc|working days?)")


class TimerInvalid(EngineError):
    """A timer's expression gave something that is not a due time; names the element."""

    def __init__(self, element: str, message: str):
        super().__init__(f"timer {element}: {message}")
        self.element = element


@dataclass(frozen=True)
class TimerClock:
    """The instant a workflow runs at and the calendar that counts its working days."""

    now: datetime
    calendar: WorkingCalendar


_CLOCK: ContextVar[TimerClock | None] = ContextVar("motcua_timer_clock", default=None)


@contextmanager
def running_at(clock: TimerClock | None) -> Iterator[None]:
    """Runs the block with `clock` as the instant and calendar timers read."""
    token = _CLOCK.set(clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)


@dataclass(frozen=True)
class TimerValue:
    """A timer expression's value, understood: a duration in calendar time, a number of
    working days, or an instant."""

    kind: str  # DURATION or DATE
    iso_duration: str | None = None
    working_days: Decimal | None = None
    instant: datetime | None = None

    def due(self, clock: TimerClock) -> datetime:
        """Returns the due instant of a timer that starts waiting at `clock.now`."""
        if self.instant is not None:
            return self.instant
        if self.working_days is not None:
            return clock.calendar.due_at(clock.now, self.working_days)
        parsed = TimerEventDefinition.parse_iso_duration(self.iso_duration)
        return clock.now + TimerEventDefinition.get_timedelta_from_start(parsed, clock.now)


def read_value(value: Any) -> TimerValue | None:
    """Returns what a timer expression's value means, or None when it is no due time."""
    if isinstance(value, datetime):
        return TimerValue(DATE, instant=_aware(value))
    if isinstance(value, date):
        return TimerValue(DATE, instant=_aware(datetime.combine(value, time())))
    if not isinstance(value, str) or len(value) > 100:
        return None
    text = unicodedata.normalize("NFC", value.strip())
    if _ISO_DURATION.fullmatch(text):
        try:
            TimerEventDefinition.parse_iso_duration(text)
        except Exception:  # SpiffWorkflow raises a bare Exception for what it cannot read
            return None
        return TimerValue(DURATION, iso_duration=text.upper())
    match = _WORKING_DAYS.fullmatch(text.casefold())
    if match:
        try:
            days = Decimal(match.group(1).replace(",", "."))
        except InvalidOperation:
            return None
        if days > _MAX_WORKING_DAYS or days * 2 != int(days * 2):
            return None  # step budgets count in half days, and at most a year
        return TimerValue(DURATION, working_days=days)
    if _ISO_DATE.fullmatch(text):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return TimerValue(DATE, instant=_aware(parsed))
    return None


def literal(text: str) -> str | None:
    """Returns the literal a timer's text spells, quoted or not (`PT2H`, `"PT2H"`,
    `2 ngày làm việc`), or None when the text is an expression."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        inner = stripped[1:-1]
        if stripped[0] not in inner and "\\" not in inner:
            return inner if read_value(inner) is not None else None
    return stripped if read_value(stripped) is not None else None


# What a designer meant as a literal, though it is not a valid one (`P2X`, `PT`, `2026-13-01`,
# `2 ngày`): reported as such, never taken for an expression (`P2X` would read a variable).
_MEANT_LITERAL = re.compile(
    r"""["']?("""
    r"""[Pp](T?\d[0-9A-Za-z.,]*|T)?"""  # a duration
    r"""|\d{4}-[0-9T:.+\- Z]*"""  # a date
    r"""|\d+([.,]\d+)?\s*(ngày|ngay|days?)[^"']*"""  # working days
    r""")["']?""",
    re.IGNORECASE,
)


def meant_literal(text: str) -> bool:
    """Whether a timer's text that is no valid literal was still meant as one."""
    return _MEANT_LITERAL.fullmatch(text.strip()) is not None


KIND_OF_TAG = {"timeDuration": DURATION, "timeDate": DATE}
EXPECTED = {
    DURATION: "an ISO-8601 duration (PT4H, P2D) or a number of working days (2 ngày làm việc)",
    DATE: "an ISO-8601 date or date-time (2026-12-01T08:00:00+07:00)",
}


class _PlatformTimer:
    """The platform's half of a timer: the due instant from the clock it runs under."""

    kind = DURATION

    def has_fired(self, my_task) -> bool:
        clock = _CLOCK.get()
        element = getattr(my_task.task_spec, "bpmn_id", None) or my_task.task_spec.name
        if clock is None:
            raise TimerInvalid(element, "reached without the platform's clock")
        recorded = my_task._get_internal_data(DUE_VALUE)
        if recorded is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            understood = read_value(value)
            if understood is None or understood.kind != self.kind:
                shown = repr(value)[:80]
                raise TimerInvalid(element, f"{shown} is not {EXPECTED[self.kind]}")
            due = understood.due(clock).astimezone(UTC)
            my_task._set_internal_data(**{DUE_VALUE: due.isoformat()})
        else:
            due = datetime.fromisoformat(recorded)
        if due <= clock.now:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class WorkingTimeDate(_PlatformTimer, TimeDateEventDefinition):
    """A `timeDate` timer fired by the platform's clock."""

    kind = DATE


class WorkingDuration(_PlatformTimer, DurationTimerEventDefinition):
    """A `timeDuration` timer fired by the platform's clock, in calendar or working time."""

    kind = DURATION


def platform_timer(definition: TimerEventDefinition, expression: str) -> TimerEventDefinition:
    """Returns the platform's timer in place of SpiffWorkflow's, with the checked expression."""
    kind = WorkingTimeDate if isinstance(definition, TimeDateEventDefinition) else WorkingDuration
    return kind(definition.name, expression, description=definition.description)


def timer_definitions(definition) -> Iterator[TimerEventDefinition]:
    """Yields the timers an event definition holds (itself, or inside a multiple event)."""
    if isinstance(definition, TimerEventDefinition):
        yield definition
    elif isinstance(definition, MultipleEventDefinition):
        for inner in definition.event_definitions:
            yield from timer_definitions(inner)


def due_of(task) -> datetime | None:
    """Returns the due instant a waiting timer task recorded, if it has one."""
    recorded = task._get_internal_data(DUE_VALUE)
    if isinstance(recorded, str):
        try:
            return datetime.fromisoformat(recorded)
        except ValueError:
            return None
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=TIMEZONE)
