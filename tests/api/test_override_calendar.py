"""The override calendar and agencies' office hours, changed by operators through the API
and the console: each change is a new version, due dates written afterwards follow it and
record it, and a due date already given to a citizen never moves."""

from __future__ import annotations

import json

import pytest

from tests.conftest import birth_declaration, birth_submission
from tests.groups import birth_group_submission

pytestmark = pytest.mark.usefixtures("group_officers")

OPERATOR = "h29.01.quan_tri"


def receive_group(as_officer, username: str = "h29.01.tiep_nhan") -> dict:
    response = as_officer(username).post(
        "/api/dossiers", json=birth_group_submission(birth_declaration())
    )
    assert response.status_code == 201, response.json
    return response.json


def add_day(as_officer, day: str, kind: str = "day_off", reason: str = "Nghỉ bù"):
    return as_officer(OPERATOR).post(
        "/api/calendar/days", json={"date": day, "kind": kind, "reason": reason}
    )


def test_a_day_off_moves_new_appointments_and_never_one_already_given(as_officer):
    national = as_officer(OPERATOR).get("/api/calendar").json
    assert national["overrides"] == [] and national["history"] == []
    assert national["office_hours"] == {
        "sessions": [["07:30", "11:30"], ["13:00", "17:00"]],
        "cutoff": "15:00",
    }
    before = receive_group(as_officer)  # Monday 09:00 + 3 working days
    assert before["due_at"] == "2026-03-05T09:00:00+07:00"

    added = add_day(as_officer, "2026-03-04", reason="Ngày nghỉ của tỉnh")
    assert added.status_code == 201, added.json
    calendar = added.json
    assert calendar["version"] != national["version"]
    assert calendar["overrides"] == [
        {"date": "2026-03-04", "kind": "day_off", "reason": "Ngày nghỉ của tỉnh"}
    ]
    [change] = calendar["history"]
    assert change["change"] == "2026-03-04 is a day off: Ngày nghỉ của tỉnh"
    assert change["version"] == calendar["version"]

    after = receive_group(as_officer)
    assert after["due_at"] == "2026-03-06T09:00:00+07:00"  # Wednesday is off now
    assert after["calendar_version"] == calendar["version"]
    kept = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{before['code']}").json
    assert kept["due_at"] == "2026-03-05T09:00:00+07:00"  # the citizen's appointment stands
    assert kept["calendar_version"] == national["version"]

    removed = as_officer(OPERATOR).delete("/api/calendar/days/2026-03-04")
    assert removed.status_code == 200 and removed.json["overrides"] == []
    assert removed.json["version"] == national["version"]  # the same days, the same calendar
    assert len(removed.json["history"]) == 2
    assert receive_group(as_officer)["due_at"] == "2026-03-05T09:00:00+07:00"


def test_a_working_saturday_counts(as_officer, clock):
    clock.set(2026, 3, 6, 9, 0)  # a Friday
    assert receive_group(as_officer)["due_at"] == "2026-03-11T09:00:00+07:00"
    assert add_day(as_officer, "2026-03-07", "working_day", "Làm bù").status_code == 201
    assert receive_group(as_officer)["due_at"] == "2026-03-10T09:00:00+07:00"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"date": "2026-02-30", "kind": "day_off", "reason": "x"}, "date"),
        ({"date": "04/03/2026", "kind": "day_off", "reason": "x"}, "date"),
        ({"date": "2200-01-01", "kind": "day_off", "reason": "x"}, "date"),
        ({"date": "2026-03-04", "kind": "holiday", "reason": "x"}, "kind"),
        ({"date": "2026-03-04", "kind": "day_off", "reason": "  "}, "reason"),
        ({"date": "2026-03-04", "kind": "day_off", "reason": "x" * 501}, "reason"),
        ({"date": "2026-03-04", "kind": "day_off"}, "reason"),
    ],
)
def test_a_bad_override_is_refused_naming_its_field_and_nothing_changes(as_officer, body, field):
    response = as_officer(OPERATOR).post("/api/calendar/days", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert as_officer(OPERATOR).get("/api/calendar").json["history"] == []


def test_only_operators_change_the_calendar_and_repeats_are_conflicts(as_officer):
    refused = as_officer("h29.01.lanh_dao").post(
        "/api/calendar/days", json={"date": "2026-03-04", "kind": "day_off", "reason": "x"}
    )
    assert refused.status_code == 403
    assert as_officer("h29.01.lanh_dao").get("/api/calendar").status_code == 200  # reading is
    assert add_day(as_officer, "2026-03-04").status_code == 201
    assert add_day(as_officer, "2026-03-04").status_code == 409
    assert as_officer(OPERATOR).delete("/api/calendar/days/2026-03-05").status_code == 409
    assert as_officer(OPERATOR).delete("/api/calendar/days/not-a-date").status_code == 422
    # A day off can become a working day: one override per day.
    switched = add_day(as_officer, "2026-03-04", "working_day", "Đổi lại")
    assert [o["kind"] for o in switched.json["overrides"]] == ["working_day"]


def test_an_agency_with_its_own_office_hours_counts_its_due_dates_on_them(as_officer):
    hours = {"sessions": [["07:00", "11:00"], ["13:30", "17:30"]], "cutoff": "16:00"}
    response = as_officer(OPERATOR).put("/api/calendar/office-hours", json=hours)
    assert response.status_code == 200, response.json
    assert response.json["office_hours"] == hours
    # Birth registration is due the same working day: at the close of *its* last session.
    mine = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=birth_submission())
    assert mine.json["due_at"] == "2026-03-02T17:30:00+07:00"
    other = as_officer("h29.02.tiep_nhan").post("/api/dossiers", json=birth_submission())
    assert other.json["due_at"] == "2026-03-02T17:00:00+07:00"  # another commune: national
    assert mine.json["calendar_version"] != other.json["calendar_version"]

    bad = {"sessions": [["13:00", "11:00"]], "cutoff": "15:00"}
    refused = as_officer(OPERATOR).put("/api/calendar/office-hours", json=bad)
    assert refused.status_code == 422 and "sessions" in refused.json["errors"]
    assert as_officer(OPERATOR).put("/api/calendar/office-hours", json={"sessions": None}).json[
        "office_hours"
    ]["sessions"] == [["07:30", "11:30"], ["13:00", "17:00"]]


def test_the_console_changes_the_calendar_too(app, as_officer):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["calendar", "day-off", "2026-03-04", "--reason", "Ngày nghỉ của tỉnh", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["change"] == "2026-03-04 is a day off: Ngày nghỉ của tỉnh"
    assert receive_group(as_officer)["due_at"] == "2026-03-06T09:00:00+07:00"
    shown = runner.invoke(args=["calendar", "show"])
    assert "2026-03-04\tday_off\tNgày nghỉ của tỉnh" in shown.output
    again = runner.invoke(args=["calendar", "day-off", "2026-03-04", "--reason", "x"])
    assert again.exit_code == 1 and "already a day off" in again.output
    hours = runner.invoke(
        args=["calendar", "hours", "H29.02", "--sessions", "07:00-11:00,13:30-17:30"]
    )
    assert hours.exit_code == 0, hours.output
    late = as_officer("h29.02.tiep_nhan").post("/api/dossiers", json=birth_submission())
    assert late.json["due_at"] == "2026-03-02T17:30:00+07:00"
    assert runner.invoke(args=["calendar", "remove", "2026-03-04"]).exit_code == 0
    assert receive_group(as_officer)["due_at"] == "2026-03-05T09:00:00+07:00"


def test_a_process_sees_its_own_change_at_once_and_another_s_after_its_refresh(app, as_officer):
    from api.services import operation
    from api.store import CalendarVersion, db
    from engine import WorkingCalendar

    current = app.extensions["motcua"]
    current.calendar_refresh = 3600  # as in production: kept between operations
    receive_group(as_officer)  # reads the calendars in force, and keeps them
    assert add_day(as_officer, "2026-03-04").status_code == 201  # this process's own change
    assert receive_group(as_officer)["due_at"] == "2026-03-06T09:00:00+07:00"

    # Another process declares Thursday off too (a row of its own, without this process's
    # services): this process counts on what it keeps until its refresh time has passed.
    days_off = ["2026-03-04", "2026-03-05"]
    with app.app_context():
        db.session.add(
            CalendarVersion(
                version=WorkingCalendar(extra_holidays=days_off).version,
                days_off=days_off,
                working_days=[],
                reasons={day: "x" for day in days_off},
                change="2026-03-05 is a day off: x",
                created_at=operation().at,
            )
        )
        db.session.commit()
    assert receive_group(as_officer)["due_at"] == "2026-03-06T09:00:00+07:00"
    current._book_read -= 3600
    assert receive_group(as_officer)["due_at"] == "2026-03-09T09:00:00+07:00"
