"""Tests of the working calendar: working days, clock start, due instants and office time."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays
import pytest

from engine.calendar import TIMEZONE, OfficeHours, WorkingCalendar, now

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = UTC


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Returns an aware Vietnam-time datetime (shorthand for the tests)."""
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# --- working days -------------------------------------------------------------------------


def test_weekdays_are_working_days_and_weekends_are_not(cal):
    monday = date(2026, 3, 2)
    for offset in range(5):
        assert cal.is_working_day(monday + timedelta(days=offset))
    assert not cal.is_working_day(date(2026, 3, 7))
    assert not cal.is_working_day(date(2026, 3, 8))


def test_vietnamese_public_holidays_are_not_working_days(cal):
    for day in range(16, 21):  # Tết 2026
        assert not cal.is_working_day(date(2026, 2, day))
    assert not cal.is_working_day(date(2026, 1, 1))
    assert not cal.is_working_day(date(2026, 4, 30))
    assert not cal.is_working_day(date(2026, 5, 1))
    assert not cal.is_working_day(date(2026, 9, 2))
    assert cal.is_working_day(date(2026, 2, 13))
    assert cal.is_working_day(date(2026, 2, 23))


def test_holiday_falling_on_weekend_gives_an_observed_weekday_off(cal):
    # Hùng Kings' Day 2026 is a Sunday; Monday 27 April is the day off in lieu.
    assert not cal.is_working_day(date(2026, 4, 27))
    assert cal.is_working_day(date(2026, 4, 28))


def test_make_up_saturday_is_a_working_day_and_its_bridge_day_is_not(cal):
    assert date(2026, 8, 22).weekday() == 5
    assert cal.is_working_day(date(2026, 8, 22))
    assert not cal.is_working_day(date(2026, 8, 31))


def test_make_up_saturday_in_the_year_before_its_bridge_day_is_a_working_day():
    # 27/12/2014 was worked in exchange for 02/01/2015; a fresh calendar must see it.
    fresh = WorkingCalendar()
    assert fresh.is_working_day(date(2014, 12, 27))
    assert not fresh.is_working_day(date(2015, 1, 2))


def test_next_working_day_skips_weekends_and_tet(cal):
    assert cal.next_working_day(date(2026, 3, 2)) == date(2026, 3, 3)
    assert cal.next_working_day(date(2026, 3, 6)) == date(2026, 3, 9)
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)


def test_next_working_day_includes_make_up_saturday_and_skips_bridge_day(cal):
    assert cal.next_working_day(date(2026, 8, 21)) == date(2026, 8, 22)
    # 29-30 weekend, 31 bridge day, 1-2 September National Day.
    assert cal.next_working_day(date(2026, 8, 28)) == date(2026, 9, 3)


def test_next_working_day_is_strictly_after_a_working_day(cal):
    assert cal.next_working_day(date(2026, 3, 3)) == date(2026, 3, 4)


def test_is_working_day_rejects_datetimes_and_other_values(cal):
    with pytest.raises(ValueError, match="day"):
        cal.is_working_day(at(2026, 3, 2, 9))
    with pytest.raises(ValueError, match="day"):
        cal.is_working_day("2026-03-02")
    with pytest.raises(ValueError, match="day"):
        cal.next_working_day(None)


# --- overrides ----------------------------------------------------------------------------


def test_extra_holiday_makes_a_weekday_a_day_off():
    custom = WorkingCalendar(extra_holidays=[date(2026, 3, 3)])
    assert not custom.is_working_day(date(2026, 3, 3))
    assert custom.next_working_day(date(2026, 3, 2)) == date(2026, 3, 4)


def test_extra_workday_makes_a_sunday_a_working_day():
    custom = WorkingCalendar(extra_workdays=[date(2026, 3, 8)])
    assert custom.is_working_day(date(2026, 3, 8))
    assert custom.next_working_day(date(2026, 3, 6)) == date(2026, 3, 8)


def test_overrides_win_over_the_holidays_package():
    custom = WorkingCalendar(extra_workdays=[date(2026, 9, 2)], extra_holidays=[date(2026, 8, 22)])
    assert custom.is_working_day(date(2026, 9, 2))
    assert not custom.is_working_day(date(2026, 8, 22))


def test_extra_holiday_pushes_the_deadline_back_one_day(cal):
    custom = WorkingCalendar(extra_holidays=[date(2026, 3, 4)])
    assert cal.deadline(at(2026, 3, 2, 9), 3) == at(2026, 3, 5, 9)
    assert custom.deadline(at(2026, 3, 2, 9), 3) == at(2026, 3, 6, 9)


def test_overrides_accept_iso_date_strings():
    custom = WorkingCalendar(extra_holidays=["2026-03-03"], extra_workdays=("2026-03-08",))
    assert not custom.is_working_day(date(2026, 3, 3))
    assert custom.is_working_day(date(2026, 3, 8))


def test_date_both_off_and_worked_in_overrides_is_rejected():
    with pytest.raises(ValueError, match="extra_holidays and extra_workdays.*2026-03-03"):
        WorkingCalendar(extra_holidays=[date(2026, 3, 3)], extra_workdays=["2026-03-03"])


@pytest.mark.parametrize(
    "bad",
    [
        [datetime(2026, 3, 3, tzinfo=VN)],
        ["3/3/2026"],
        [20260303],
        "2026-03-03",
        date(2026, 3, 3),
        5,
    ],
)
def test_malformed_extra_holidays_are_rejected(bad):
    with pytest.raises(ValueError, match="extra_holidays"):
        WorkingCalendar(extra_holidays=bad)


def test_malformed_extra_workdays_are_rejected():
    with pytest.raises(ValueError, match="extra_workdays"):
        WorkingCalendar(extra_workdays=["not a date"])


# --- clock start --------------------------------------------------------------------------


def test_dossier_received_in_office_hours_before_cutoff_starts_the_clock_at_receipt(cal):
    assert cal.clock_start(at(2026, 3, 2, 9, 17)) == at(2026, 3, 2, 9, 17)
    assert cal.clock_start(at(2026, 3, 2, 14, 59)) == at(2026, 3, 2, 14, 59)


def test_dossier_received_before_opening_starts_at_the_morning_session(cal):
    assert cal.clock_start(at(2026, 3, 2, 6, 45)) == at(2026, 3, 2, 7, 30)


def test_dossier_received_in_the_lunch_break_starts_at_the_afternoon_session(cal):
    assert cal.clock_start(at(2026, 3, 2, 12, 10)) == at(2026, 3, 2, 13, 0)
    assert cal.clock_start(at(2026, 3, 2, 11, 30)) == at(2026, 3, 2, 13, 0)


def test_dossier_received_after_cutoff_starts_next_working_day(cal):
    assert cal.clock_start(at(2026, 3, 2, 15, 0)) == at(2026, 3, 3, 7, 30)
    assert cal.clock_start(at(2026, 3, 2, 16, 30)) == at(2026, 3, 3, 7, 30)
    assert cal.clock_start(at(2026, 3, 2, 22, 0)) == at(2026, 3, 3, 7, 30)


def test_dossier_received_friday_after_cutoff_starts_monday_morning(cal):
    assert cal.clock_start(at(2026, 3, 6, 16, 0)) == at(2026, 3, 9, 7, 30)


def test_dossier_received_on_a_non_working_day_starts_next_working_day(cal):
    assert cal.clock_start(at(2026, 3, 7, 10, 0)) == at(2026, 3, 9, 7, 30)
    assert cal.clock_start(at(2026, 2, 17, 9, 0)) == at(2026, 2, 23, 7, 30)


def test_dossier_received_on_make_up_saturday_starts_at_receipt(cal):
    assert cal.clock_start(at(2026, 8, 22, 9, 0)) == at(2026, 8, 22, 9, 0)


def test_cutoff_is_configurable():
    late = WorkingCalendar(office_hours=OfficeHours(cutoff=time(16, 0)))
    assert late.clock_start(at(2026, 3, 2, 15, 30)) == at(2026, 3, 2, 15, 30)
    assert late.clock_start(at(2026, 3, 2, 16, 0)) == at(2026, 3, 3, 7, 30)


# --- due instants -------------------------------------------------------------------------


def test_three_day_budget_from_monday_morning_is_due_thursday_same_time(cal):
    assert cal.due_at(at(2026, 3, 2, 9), 3) == at(2026, 3, 5, 9)
    assert cal.deadline(at(2026, 3, 2, 9), 3) == at(2026, 3, 5, 9)


def test_three_day_budget_skips_tet(cal):
    assert cal.deadline(at(2026, 2, 12, 10), 3) == at(2026, 2, 24, 10)


def test_half_day_budget_started_late_afternoon_is_due_next_morning(cal):
    assert cal.due_at(at(2026, 3, 2, 16, 0), "0.5") == at(2026, 3, 3, 10, 30)


def test_one_eighth_of_a_day_is_one_office_hour(cal):
    assert cal.due_at(at(2026, 3, 2, 9, 0), "0.125") == at(2026, 3, 2, 10, 0)
    # The lunch break does not count.
    assert cal.due_at(at(2026, 3, 2, 11, 0), "0.125") == at(2026, 3, 2, 13, 30)


def test_zero_budget_is_due_at_close_of_the_same_working_day(cal):
    assert cal.due_at(at(2026, 3, 2, 9, 0), 0) == at(2026, 3, 2, 17, 0)
    assert cal.due_at(at(2026, 3, 2, 16, 59), "0") == at(2026, 3, 2, 17, 0)


def test_zero_budget_started_outside_office_time_is_due_at_close_of_next_working_day(cal):
    assert cal.due_at(at(2026, 3, 7, 10, 0), 0) == at(2026, 3, 9, 17, 0)
    assert cal.due_at(at(2026, 3, 2, 17, 0), 0) == at(2026, 3, 3, 17, 0)


def test_zero_budget_deadline_for_dossier_received_after_cutoff_is_next_day_close(cal):
    assert cal.deadline(at(2026, 3, 2, 15, 30), 0) == at(2026, 3, 3, 17, 0)


def test_walk_ending_exactly_at_session_end_is_due_at_that_end(cal):
    assert cal.due_at(at(2026, 3, 2, 7, 30), "0.5") == at(2026, 3, 2, 11, 30)
    assert cal.due_at(at(2026, 3, 2, 7, 30), 1) == at(2026, 3, 2, 17, 0)
    assert cal.due_at(at(2026, 3, 2, 13, 0), 1) == at(2026, 3, 3, 11, 30)
    assert cal.due_at(at(2026, 3, 2, 7, 30), 2) == at(2026, 3, 3, 17, 0)
    # Friday close: not Monday 07:30.
    assert cal.due_at(at(2026, 3, 6, 13, 0), "0.5") == at(2026, 3, 6, 17, 0)


def test_start_outside_office_time_is_moved_forward_before_walking(cal):
    assert cal.due_at(at(2026, 3, 7, 10, 0), 1) == at(2026, 3, 9, 17, 0)
    assert cal.due_at(at(2026, 3, 2, 12, 0), "0.125") == at(2026, 3, 2, 14, 0)
    assert cal.due_at(at(2026, 3, 2, 5, 0), "0.125") == at(2026, 3, 2, 8, 30)
    assert cal.due_at(at(2026, 3, 2, 18, 0), "0.125") == at(2026, 3, 3, 8, 30)


def test_due_instant_lands_on_make_up_saturday_and_skips_bridge_day(cal):
    assert cal.due_at(at(2026, 8, 21, 9, 0), 1) == at(2026, 8, 22, 9, 0)
    assert cal.due_at(at(2026, 8, 28, 9, 0), 1) == at(2026, 9, 3, 9, 0)


def test_long_budget_crosses_into_the_next_year(cal):
    due = cal.deadline(at(2026, 12, 1, 9, 0), 60)
    assert due.year == 2027
    assert cal.working_time_between(at(2026, 12, 1, 9, 0), due) == timedelta(hours=8 * 60)


@pytest.mark.parametrize("budget", [3, "3", Decimal("3"), Decimal("3.000"), " 3 "])
def test_budget_may_be_int_decimal_or_numeric_string(cal, budget):
    assert cal.due_at(at(2026, 3, 2, 9), budget) == at(2026, 3, 5, 9)


def test_budget_may_be_fractional(cal):
    # 12 office hours: 6.5 h on Monday, then 4 h and 1.5 h on Tuesday.
    assert cal.due_at(at(2026, 3, 2, 9), Decimal("1.5")) == at(2026, 3, 3, 14, 30)


@pytest.mark.parametrize("budget", [-1, "-0.5", Decimal("-0.001")])
def test_negative_budget_is_rejected(cal, budget):
    with pytest.raises(ValueError, match="budget_days.*negative"):
        cal.due_at(at(2026, 3, 2, 9), budget)


@pytest.mark.parametrize("budget", ["three", "", None, [3], True, "NaN", "Infinity", object()])
def test_non_numeric_budget_is_rejected(cal, budget):
    with pytest.raises(ValueError, match="budget_days"):
        cal.due_at(at(2026, 3, 2, 9), budget)
    with pytest.raises(ValueError, match="budget_days"):
        cal.deadline(at(2026, 3, 2, 9), budget)


def test_custom_sessions_change_the_length_of_a_working_day():
    hours = OfficeHours(sessions=((time(8, 0), time(12, 0)), (time(13, 30), time(17, 30))))
    custom = WorkingCalendar(office_hours=hours)
    assert hours.minutes_per_day == 480
    assert custom.due_at(at(2026, 3, 2, 8, 0), 1) == at(2026, 3, 2, 17, 30)
    assert custom.clock_start(at(2026, 3, 2, 12, 45)) == at(2026, 3, 2, 13, 30)
    assert custom.session_end(at(2026, 3, 2, 12, 45)) == at(2026, 3, 2, 17, 30)


def test_single_session_day_makes_half_a_day_two_hours():
    hours = OfficeHours(sessions=((time(8, 0), time(12, 0)),))
    custom = WorkingCalendar(office_hours=hours)
    assert hours.minutes_per_day == 240
    assert custom.due_at(at(2026, 3, 2, 8, 0), "0.5") == at(2026, 3, 2, 10, 0)
    assert custom.due_at(at(2026, 3, 2, 8, 0), 0) == at(2026, 3, 2, 12, 0)
    assert custom.due_at(at(2026, 3, 2, 13, 0), 1) == at(2026, 3, 3, 12, 0)


def test_default_office_hours_are_two_four_hour_sessions():
    hours = OfficeHours()
    assert hours.sessions == ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))
    assert hours.cutoff == time(15, 0)
    assert hours.minutes_per_day == 480


# --- time zones ---------------------------------------------------------------------------


def test_naive_datetimes_are_rejected_naming_the_argument(cal):
    naive = datetime(2026, 3, 2, 9, 0)
    with pytest.raises(ValueError, match="received_at.*timezone-aware"):
        cal.clock_start(naive)
    with pytest.raises(ValueError, match="received_at.*timezone-aware"):
        cal.deadline(naive, 3)
    with pytest.raises(ValueError, match="start.*timezone-aware"):
        cal.due_at(naive, 3)
    with pytest.raises(ValueError, match=r"^a must be timezone-aware"):
        cal.working_time_between(naive, at(2026, 3, 2, 10))
    with pytest.raises(ValueError, match=r"^b must be timezone-aware"):
        cal.working_time_between(at(2026, 3, 2, 10), naive)
    with pytest.raises(ValueError, match="instant.*timezone-aware"):
        cal.session_end(naive)
    with pytest.raises(ValueError, match="instant.*timezone-aware"):
        cal.next_office_instant(naive)


def test_non_datetime_instants_are_rejected(cal):
    with pytest.raises(ValueError, match="received_at"):
        cal.clock_start(date(2026, 3, 2))
    with pytest.raises(ValueError, match="start"):
        cal.due_at("2026-03-02T09:00+07:00", 1)


def test_inputs_in_other_time_zones_are_converted_and_outputs_are_vietnam_time(cal):
    received = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Hanoi
    due = cal.deadline(received, 3)
    assert due == at(2026, 3, 5, 9)
    assert due.tzinfo is VN
    assert due.utcoffset() == timedelta(hours=7)
    assert cal.clock_start(received).tzinfo is VN


def test_utc_sunday_evening_is_monday_morning_in_vietnam(cal):
    received = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # Monday 06:30 in Hanoi
    assert cal.clock_start(received) == at(2026, 3, 2, 7, 30)
    assert cal.clock_start(received).date() == date(2026, 3, 2)


def test_all_outputs_are_aware_in_the_calendar_zone(cal):
    start = datetime(2026, 3, 2, 1, 0, tzinfo=ZoneInfo("Europe/Paris"))
    for result in (
        cal.clock_start(start),
        cal.due_at(start, "0.5"),
        cal.deadline(start, 2),
        cal.session_end(start),
        cal.next_office_instant(start),
    ):
        assert result.tzinfo is VN


def test_calendar_exposes_its_zone(cal):
    assert cal.tz == VN
    assert TIMEZONE == VN


def test_unknown_time_zone_is_rejected():
    with pytest.raises(ValueError, match="tz"):
        WorkingCalendar(tz="Asia/Saigon-Nowhere")
    with pytest.raises(ValueError, match="tz"):
        WorkingCalendar(tz="")


def test_now_is_aware_and_in_vietnam_time():
    before = datetime.now(UTC)
    current = now()
    after = datetime.now(UTC)
    assert current.tzinfo is VN
    assert before <= current <= after
    assert now(UTC).tzinfo is UTC


# --- office time between instants ---------------------------------------------------------


def test_working_time_within_one_session(cal):
    assert cal.working_time_between(at(2026, 3, 2, 9), at(2026, 3, 2, 10)) == timedelta(hours=1)


def test_working_time_excludes_the_lunch_break(cal):
    got = cal.working_time_between(at(2026, 3, 2, 11), at(2026, 3, 2, 13, 30))
    assert got == timedelta(hours=1)


def test_working_time_excludes_nights_and_weekends(cal):
    got = cal.working_time_between(at(2026, 3, 6, 16), at(2026, 3, 9, 8, 30))
    assert got == timedelta(hours=2)


def test_working_time_excludes_public_holidays(cal):
    got = cal.working_time_between(at(2026, 2, 13, 16), at(2026, 2, 23, 8))
    assert got == timedelta(hours=1, minutes=30)


def test_working_time_of_a_full_week_is_five_working_days(cal):
    got = cal.working_time_between(at(2026, 3, 2), at(2026, 3, 7))
    assert got == timedelta(hours=40)


def test_working_time_is_zero_when_the_end_is_not_after_the_start(cal):
    assert cal.working_time_between(at(2026, 3, 2, 10), at(2026, 3, 2, 9)) == timedelta(0)
    assert cal.working_time_between(at(2026, 3, 2, 10), at(2026, 3, 2, 10)) == timedelta(0)


def test_working_time_outside_office_hours_is_zero(cal):
    assert cal.working_time_between(at(2026, 3, 7, 8), at(2026, 3, 8, 17)) == timedelta(0)
    assert cal.working_time_between(at(2026, 3, 2, 11, 30), at(2026, 3, 2, 13)) == timedelta(0)


def test_working_time_accepts_mixed_time_zones(cal):
    a = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 Hanoi
    got = cal.working_time_between(a, at(2026, 3, 2, 10))
    assert got == timedelta(hours=1)


def test_working_time_counts_make_up_saturday(cal):
    got = cal.working_time_between(at(2026, 8, 22), at(2026, 8, 23))
    assert got == timedelta(hours=8)


# --- session end --------------------------------------------------------------------------


def test_session_end_of_an_instant_in_the_morning_session_is_1130(cal):
    assert cal.session_end(at(2026, 3, 2, 9, 0)) == at(2026, 3, 2, 11, 30)
    assert cal.session_end(at(2026, 3, 2, 7, 30)) == at(2026, 3, 2, 11, 30)


def test_session_end_includes_the_closing_instant_itself(cal):
    assert cal.session_end(at(2026, 3, 2, 11, 30)) == at(2026, 3, 2, 11, 30)
    assert cal.session_end(at(2026, 3, 2, 17, 0)) == at(2026, 3, 2, 17, 0)


def test_session_end_outside_office_time_is_the_end_of_the_next_session(cal):
    assert cal.session_end(at(2026, 3, 2, 6, 0)) == at(2026, 3, 2, 11, 30)
    assert cal.session_end(at(2026, 3, 2, 12, 0)) == at(2026, 3, 2, 17, 0)
    assert cal.session_end(at(2026, 3, 6, 17, 30)) == at(2026, 3, 9, 11, 30)
    assert cal.session_end(at(2026, 2, 18, 9, 0)) == at(2026, 2, 23, 11, 30)


def test_session_end_of_a_due_instant_is_not_before_it(cal):
    due = cal.deadline(at(2026, 3, 2, 9), 3)
    assert cal.session_end(due) == at(2026, 3, 5, 11, 30)
    assert cal.session_end(cal.due_at(at(2026, 3, 2, 7, 30), 1)) == at(2026, 3, 2, 17, 0)


def test_next_office_instant_moves_forward_only_outside_office_time(cal):
    assert cal.next_office_instant(at(2026, 3, 2, 9)) == at(2026, 3, 2, 9)
    assert cal.next_office_instant(at(2026, 3, 2, 11, 30)) == at(2026, 3, 2, 13)
    assert cal.next_office_instant(at(2026, 3, 2, 17)) == at(2026, 3, 3, 7, 30)
    assert cal.next_office_instant(at(2026, 3, 7, 9)) == at(2026, 3, 9, 7, 30)


# --- office hours validation --------------------------------------------------------------


@pytest.mark.parametrize(
    "sessions",
    [
        ((time(7, 30), time(11, 30)), (time(11, 0), time(17, 0))),  # overlapping
        ((time(13, 0), time(17, 0)), (time(7, 30), time(11, 30))),  # unordered
        ((time(11, 30), time(7, 30)),),  # ends before it starts
        ((time(8, 0), time(8, 0)),),  # empty
        (),
        ((time(7, 30),),),
        ((time(7, 30), "11:30"),),
        ((time(7, 30, 15), time(11, 30)),),
        ((time(7, 30, tzinfo=VN), time(11, 30, tzinfo=VN)),),
        None,
    ],
)
def test_bad_sessions_are_rejected(sessions):
    with pytest.raises(ValueError, match="sessions"):
        OfficeHours(sessions=sessions)


def test_bad_cutoff_is_rejected():
    with pytest.raises(ValueError, match="cutoff"):
        OfficeHours(cutoff="15:00")


def test_office_hours_must_be_an_office_hours_instance():
    with pytest.raises(ValueError, match="office_hours"):
        WorkingCalendar(office_hours=((time(8), time(12)),))


def test_sessions_given_as_lists_equal_the_same_sessions_as_tuples():
    listed = OfficeHours(sessions=[[time(7, 30), time(11, 30)], [time(13, 0), time(17, 0)]])
    assert listed == OfficeHours()
    assert hash(listed) == hash(OfficeHours())


# --- versions -----------------------------------------------------------------------------


def test_default_calendar_version_names_the_holidays_package_version(cal):
    assert cal.version == f"VN/holidays-{holidays.__version__}"
    assert WorkingCalendar(office_hours=OfficeHours()).version == cal.version


def test_overrides_add_a_stable_hash_to_the_version(cal):
    one = WorkingCalendar(extra_holidays=[date(2026, 3, 3)])
    again = WorkingCalendar(extra_holidays=["2026-03-03", date(2026, 3, 3)])
    pattern = rf"VN/holidays-{re.escape(holidays.__version__)}\+[0-9a-f]{{12}}"
    assert re.fullmatch(pattern, one.version)
    assert one.version == again.version
    assert one.version != cal.version


def test_different_overrides_give_different_versions(cal):
    versions = {
        cal.version,
        WorkingCalendar(extra_holidays=[date(2026, 3, 3)]).version,
        WorkingCalendar(extra_holidays=[date(2026, 3, 4)]).version,
        WorkingCalendar(extra_workdays=[date(2026, 3, 3)]).version,
        WorkingCalendar(extra_holidays=[date(2026, 3, 3), date(2026, 3, 4)]).version,
        WorkingCalendar(office_hours=OfficeHours(cutoff=time(16, 0))).version,
        WorkingCalendar(office_hours=OfficeHours(sessions=((time(8, 0), time(12, 0)),))).version,
        WorkingCalendar(tz="Asia/Bangkok").version,
    }
    assert len(versions) == 8


def test_override_order_does_not_change_the_version():
    a = WorkingCalendar(extra_holidays=[date(2026, 3, 3), date(2026, 3, 4)])
    b = WorkingCalendar(extra_holidays=(date(2026, 3, 4), date(2026, 3, 3)))
    assert a.version == b.version


# --- speed and caching --------------------------------------------------------------------


def test_holidays_object_is_built_once_per_year_range_not_per_call(monkeypatch):
    built = []
    original = holidays.country_holidays

    def counting(*args, **kwargs):
        built.append(kwargs.get("years"))
        return original(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting)
    fresh = WorkingCalendar()
    for _ in range(50):
        fresh.deadline(at(2026, 3, 2, 9), 3)
        fresh.working_time_between(at(2026, 3, 2, 9), at(2026, 3, 20, 9))
    assert len(built) == 1
    fresh.deadline(at(2030, 3, 4, 9), 3)  # a year not loaded yet extends the cache once
    fresh.deadline(at(2030, 3, 4, 9), 3)
    assert len(built) == 2
    assert {2029, 2030, 2031} <= set(built[-1]) and 2026 in built[-1]


# --- property: the walk spends exactly the budget -----------------------------------------


def test_due_at_spends_exactly_the_budget_in_office_time(cal):
    rng = random.Random(20260302)
    first = datetime(2014, 1, 1, tzinfo=VN)
    span_minutes = int((datetime(2027, 12, 31, tzinfo=VN) - first).total_seconds() // 60)
    zones = (VN, UTC, ZoneInfo("America/New_York"))
    minutes_per_day = cal.office_hours.minutes_per_day
    for _ in range(600):
        start = first + timedelta(minutes=rng.randrange(span_minutes), seconds=rng.randrange(60))
        start = start.astimezone(rng.choice(zones))
        budget = Decimal(rng.choice([rng.randrange(1, 1000), rng.randrange(1, 60_000)])) / 1000
        if rng.random() < 0.3:
            budget = Decimal(rng.randrange(1, 40))
        due = cal.due_at(start, budget)
        start_office = cal.next_office_instant(start)
        expected = timedelta(microseconds=int(budget * minutes_per_day * 60_000_000))
        assert cal.working_time_between(start_office, due) == expected, (start, budget)
        assert cal.working_time_between(start, due) == expected, (start, budget)
        assert due.tzinfo is VN
        assert due > start_office
        assert cal.is_working_day(due.date())
        # A due instant lies inside a session, its end included.
        assert cal.session_end(due).date() == due.date()
        assert due == cal.due_at(start_office, budget)


def test_larger_positive_budgets_are_never_due_earlier(cal):
    # Budget 0 is excluded on purpose: it means "by close of day", later than a tiny budget.
    rng = random.Random(7)
    for _ in range(100):
        start = at(2026, 1, 1) + timedelta(minutes=rng.randrange(365 * 24 * 60))
        budgets = sorted(Decimal(rng.randrange(1, 10_000)) / 1000 for _ in range(5))
        dues = [cal.due_at(start, b) for b in budgets]
        assert dues == sorted(dues)


def test_float_budget_is_read_as_its_decimal_spelling(cal):
    assert cal.due_at(at(2026, 3, 2, 9), 0.125) == cal.due_at(at(2026, 3, 2, 9), "0.125")
    assert cal.due_at(at(2026, 3, 2, 7, 30), 0.1) == cal.due_at(at(2026, 3, 2, 7, 30), "0.1")
