"""The reminder policy's schedule: points counted on the step's own office time, a point
that would come before the step opened left out, and the overdue notice at the end of the
session that holds the due instant (the counting rule's "on time")."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine import WorkingCalendar
from engine.calendar import TIMEZONE
from engine.reminders import OVERDUE, REMINDER, PolicyInvalid, ReminderPolicy

CALENDAR = WorkingCalendar()


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TIMEZONE)


def test_the_default_policy_over_a_three_day_step_across_a_weekend():
    opened, due = at(2026, 3, 5, 9, 0), at(2026, 3, 10, 9, 0)  # Thursday → Tuesday: 3 days
    schedule = ReminderPolicy().schedule(opened, due, CALENDAR)
    assert [(p.at, p.kind, p.point) for p in schedule] == [
        (at(2026, 3, 6, 14, 30), REMINDER, "50%"),  # 12 of 24 office hours: Friday afternoon
        (at(2026, 3, 9, 9, 0), REMINDER, "1d"),  # a working day before: Monday, not Sunday
        (at(2026, 3, 10, 11, 30), OVERDUE, OVERDUE),  # the end of Tuesday morning's session
    ]


def test_a_point_before_the_step_opened_is_left_out():
    opened, due = at(2026, 3, 2, 9, 0), at(2026, 3, 2, 11, 0)  # a quarter-day step
    schedule = ReminderPolicy(points=("50%", "1d", "0.5d")).schedule(opened, due, CALENDAR)
    assert [(p.at, p.point) for p in schedule] == [
        (at(2026, 3, 2, 10, 0), "50%"),
        (at(2026, 3, 2, 11, 30), OVERDUE),
    ]


def test_no_overdue_notice_when_the_policy_says_so():
    policy = ReminderPolicy.read({"points": ["25%"], "overdue": False})
    schedule = policy.schedule(at(2026, 3, 2, 9, 0), at(2026, 3, 2, 11, 0), CALENDAR)
    assert [(p.at, p.point) for p in schedule] == [(at(2026, 3, 2, 9, 30), "25%")]


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"points": ["100%"]}, "points.0"),
        ({"points": ["50%", "soon"]}, "points.1"),
        ({"points": ["0d"]}, "points.0"),
        ({"points": "50%"}, "points"),
        ({"points": ["1d"] * 6}, "points"),
        ({"points": [], "overdue": "yes"}, "overdue"),
        ({"points": [], "escalate": True}, "policy"),
    ],
)
def test_a_policy_that_cannot_be_followed_names_its_field(value, field):
    with pytest.raises(PolicyInvalid) as refused:
        ReminderPolicy.read(value)
    assert refused.value.field == field
