"""Returns when an open step's officers are reminded and its agency's leader told it is late.

Reminders are a policy of the agency, not timers drawn in every diagram. A policy lists its
points, each counted on the step's own office time (from when it opened to when it is due,
by the agency's calendar):

- `"50%"`: when that share of the step's office time is used;
- `"1d"`, `"0.5d"`: that many working days of office time before the step is due (a point
  that would fall at or before the step opened is left out: the step is that short);
- and, when `overdue` is on, the end of the office session that holds the due instant (a
  step done by then is on time), when the agency's leaders are told.

The platform's default is half the time used, one working day before due, and the leaders
told when it is overdue. Nothing here reads a clock or a database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .calendar import WorkingCalendar

REMINDER, OVERDUE = "reminder", "overdue"
MAX_POINTS = 5
_SHARE = re.compile(r"(\d{1,2}(?:\.\d+)?)%")
_DAYS = re.compile(r"(\d{1,2}(?:\.\d+)?)d")


class PolicyInvalid(ValueError):
    """A reminder policy that cannot be followed; `field` names what is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class ReminderPoint:
    """One instant of a step's schedule: a reminder (its point, e.g. "50%") or overdue."""

    at: datetime
    kind: str  # REMINDER or OVERDUE
    point: str  # "50%", "1d", "overdue"


@dataclass(frozen=True)
class ReminderPolicy:
    """Points at which the officers of an open step are reminded, and whether its
    agency's leaders are told when it is overdue."""

    points: tuple[str, ...] = ("50%", "1d")
    overdue: bool = True

    @classmethod
    def read(cls, value: Mapping[str, Any] | None) -> ReminderPolicy:
        """Returns the policy a stored or submitted value describes (the default for None);
        PolicyInvalid names what is wrong."""
        if value is None:
            return cls()
        if not isinstance(value, Mapping) or set(value) - {"points", "overdue"}:
            raise PolicyInvalid("policy", "an object with `points` and `overdue` only")
        points = value.get("points", [])
        if not isinstance(points, list) or len(points) > MAX_POINTS:
            raise PolicyInvalid("points", f"a list of at most {MAX_POINTS} points")
        for index, point in enumerate(points):
            if not isinstance(point, str) or _offset(point) is None:
                raise PolicyInvalid(
                    f"points.{index}",
                    'a share of the step\'s time used ("50%", under 100%) or working days '
                    'before due ("1d", "0.5d")',
                )
        overdue = value.get("overdue", True)
        if not isinstance(overdue, bool):
            raise PolicyInvalid("overdue", "true or false")
        return cls(tuple(dict.fromkeys(points)), overdue)

    def to_json(self) -> dict[str, Any]:
        return {"points": list(self.points), "overdue": self.overdue}

    def schedule(
        self, opened_at: datetime, due_at: datetime, calendar: WorkingCalendar
    ) -> list[ReminderPoint]:
        """Returns the step's reminder instants, oldest first (at most one per instant)."""
        total = calendar.working_time_between(opened_at, due_at)
        found: dict[datetime, ReminderPoint] = {}
        for point in self.points:
            used = _offset(point)(total, calendar.day_length)
            if used is None or used <= timedelta(0) or used >= total:
                continue
            at = calendar.after_office_time(opened_at, used)
            found.setdefault(at, ReminderPoint(at, REMINDER, point))
        if self.overdue:
            # Late is after the office session that holds the due instant (the counting
            # rule): the leaders hear of it then, never "late by two minutes".
            late = calendar.session_end(due_at)
            found[late] = ReminderPoint(late, OVERDUE, OVERDUE)
        return sorted(found.values(), key=lambda p: p.at)


def first_reminder(
    policy: ReminderPolicy, opened_at: datetime, due_at: datetime, calendar: WorkingCalendar
) -> datetime | None:
    """Returns a step's first reminder instant after it opened (None: the policy has nothing
    to say about it): what an opened task's `remind_at` starts from, so the sweep looks at it
    first when there is something to tell."""
    points = policy.schedule(opened_at, due_at, calendar)
    return next((point.at for point in points if point.at > opened_at), None)


def _offset(point: str):
    """Returns a function of (the step's office time, a day's) giving the office time used
    when the point is reached, or None when the point is not one."""
    share = _SHARE.fullmatch(point)
    if share:
        fraction = _decimal(share.group(1))
        if fraction is None or not 0 < fraction < 100:
            return None
        return lambda total, day: total * float(fraction / 100)
    days = _DAYS.fullmatch(point)
    if days:
        before = _decimal(days.group(1))
        if before is None or before <= 0:
            return None
        return lambda total, day: total - day * float(before)
    return None


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None
