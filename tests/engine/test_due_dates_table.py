"""Due dates as the law counts them, one row per case: received at, budget in working days,
the calendar's overrides, an optional supplement pause, and the due instant expected.

The rows cover Tết 2026 (16–20 February off), Hùng Kings' day 2026 (Sunday 26 April, the
Monday off, then 30 April and 1 May), the 2025 swap (Saturday 26 April worked, Friday 2 May
off), the 15:00 cut-off, half-day budgets, an administrator's override day, and a supplement
awaited over a weekend, whose paused office time is added back."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.calendar import TIMEZONE, WorkingCalendar


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TIMEZONE)


# (case, received at, budget, extra days off, extra working days, pause, due instant)
ROWS = [
    ("ordinary week, 3 days", "2026-03-02 09:00", "3", (), (), None, "2026-03-05 09:00"),
    ("Tết 2026: Thursday before it", "2026-02-12 10:00", "3", (), (), None, "2026-02-24 10:00"),
    (
        "Tết 2026: received on a day off",
        "2026-02-17 09:00",
        "0.5",
        (),
        (),
        None,
        "2026-02-23 11:30",
    ),
    (
        "Hùng Kings 2026: Friday, Sunday's day off is Monday",
        "2026-04-24 09:00",
        "1",
        (),
        (),
        None,
        "2026-04-28 09:00",
    ),
    (
        "Hùng Kings then 30/4 and 1/5 2026",
        "2026-04-24 14:00",
        "3",
        (),
        (),
        None,
        "2026-05-04 14:00",
    ),
    (
        "2025 swap: Friday, the Saturday after is worked",
        "2025-04-25 09:00",
        "1",
        (),
        (),
        None,
        "2025-04-26 09:00",
    ),
    ("2025 swap: Friday 2 May is off", "2025-04-29 10:00", "1", (), (), None, "2025-05-05 10:00"),
    (
        "cut-off: 14:59 counts from receipt",
        "2026-03-02 14:59",
        "0",
        (),
        (),
        None,
        "2026-03-02 17:00",
    ),
    (
        "cut-off: 15:00 counts from the next working day",
        "2026-03-02 15:00",
        "0",
        (),
        (),
        None,
        "2026-03-03 17:00",
    ),
    # A walk that ends as a session closes is due at that close, not when the next opens.
    ("cut-off on a Friday: Monday", "2026-03-06 16:00", "1", (), (), None, "2026-03-09 17:00"),
    ("half a day in the morning", "2026-03-02 08:00", "0.5", (), (), None, "2026-03-02 13:30"),
    ("half a day over lunch", "2026-03-02 10:00", "0.5", (), (), None, "2026-03-02 15:30"),
    ("one and a half days", "2026-03-02 13:00", "1.5", (), (), None, "2026-03-03 17:00"),
    ("an override day off", "2026-03-02 09:00", "3", ("2026-03-04",), (), None, "2026-03-06 09:00"),
    (
        "an override working Saturday",
        "2026-03-06 09:00",
        "1",
        (),
        ("2026-03-07",),
        None,
        "2026-03-07 09:00",
    ),
    # Due Thursday 09:00; a supplement asked Tuesday 09:00 (two days left) and brought the
    # next Saturday: counted again from Monday 07:30: due Tuesday 17:00.
    (
        "supplement awaited over a weekend",
        "2026-03-02 09:00",
        "3",
        (),
        (),
        ("2026-03-03 09:00", "2026-03-07 10:00"),
        "2026-03-10 17:00",
    ),
    (
        "supplement asked after the due instant moves nothing",
        "2026-03-02 09:00",
        "1",
        (),
        (),
        ("2026-03-04 09:00", "2026-03-05 09:00"),
        "2026-03-03 09:00",
    ),
]


@pytest.mark.parametrize(
    "received, budget, days_off, working_days, pause, expected",
    [row[1:] for row in ROWS],
    ids=[row[0] for row in ROWS],
)
def test_due_instant(received, budget, days_off, working_days, pause, expected):
    calendar = WorkingCalendar(extra_holidays=days_off, extra_workdays=working_days)
    due = calendar.deadline(at(received), budget)
    if pause is not None:
        due = calendar.due_after_pause(due, at(pause[0]), at(pause[1]))
    assert due == at(expected)
    assert due.tzinfo is not None and due.utcoffset().total_seconds() == 7 * 3600


def test_a_pause_cannot_end_before_it_begins():
    calendar = WorkingCalendar()
    due = calendar.deadline(at("2026-03-02 09:00"), 3)
    with pytest.raises(ValueError, match="resumed_at"):
        calendar.due_after_pause(due, at("2026-03-03 09:00"), at("2026-03-02 09:00"))
