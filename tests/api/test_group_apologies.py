"""An apology in an interlinked group: the applicant holds one appointment, the group's, so
an agency that will be late apologises for the group. The group's appointment moves, once
per group, with the apologising agency's dossier and part; the other shares stay; the first
appointment stays shown on the group, its control slip and the citizen's lookup."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.api.test_citizen_lookup import look
from tests.api.test_interlinked_groups import child_code, parts_by_procedure, receive_group
from tests.conftest import birth_declaration
from tests.groups import birth_group_submission, work_dossier

pytestmark = pytest.mark.usefixtures("group_officers")

POLICE, INSURANCE = "1.004194", "1.011605"
REASON = "Cần xác minh nơi thường trú của chủ hộ"


def apologise(as_officer, username: str, code: str, day: str, reason: str = REASON):
    return as_officer(username).post(
        f"/api/dossiers/{code}/apology", json={"reason": reason, "new_appointment": day}
    )


@pytest.fixture
def group(as_officer, clock) -> dict:
    """A birth group received Monday 2 March 09:00 (appointment Thursday 5th, 09:00) whose
    commune part was done at 10:00: police and social insurance are each due Wednesday 4th,
    10:00 (2 working days)."""
    group = receive_group(as_officer, birth_group_submission(birth_declaration()))
    clock.set(2026, 3, 2, 10, 0)
    work_dossier(as_officer, "H29.01", child_code(as_officer, "h29.01.tiep_nhan", group["code"]))
    return as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{group['code']}").json


def test_an_agency_apologises_for_the_group_and_the_appointment_moves_once(
    app, as_officer, clock, group
):
    code = group["code"]
    police = child_code(as_officer, "ca29.01.van_thu", code)
    clock.set(2026, 3, 3, 9, 0)  # one working day before the group's appointment
    moved = apologise(as_officer, "ca29.01.lanh_dao", code, "2026-03-09")
    assert moved.status_code == 200, moved.json
    assert moved.json["kind"] == "group"
    assert moved.json["due_at"] == "2026-03-09T17:00:00+07:00"
    assert moved.json["appointment_date"] == "2026-03-09"
    assert moved.json["original_due_at"] == "2026-03-05T09:00:00+07:00"
    assert moved.json["apology"] == {
        "at": "2026-03-03T09:00:00+07:00",
        "reason": REASON,
        "agency": "CA29.01",
        "dossier": police,
        "by": "ca29.01.lanh_dao",
    }
    parts = parts_by_procedure(moved.json)
    assert parts[POLICE]["due_at"] == "2026-03-09T17:00:00+07:00"
    assert parts[INSURANCE]["due_at"] == "2026-03-04T10:00:00+07:00"  # its share stays

    # The police's own dossier carries the apology: its first due date and the event.
    own = as_officer("ca29.01.lanh_dao").get(f"/api/dossiers/{police}").json
    assert own["due_at"] == "2026-03-09T17:00:00+07:00"
    assert own["original_due_at"] == "2026-03-04T10:00:00+07:00"
    [event] = [e for e in own["timeline"] if e["action"] == "apologized"]
    assert event["detail"]["group"] == code
    assert event["detail"]["group_original_due_at"] == "2026-03-05T02:00:00+00:00"

    # At most once per group: neither another agency nor the same one by its dossier's code.
    again = apologise(as_officer, "bh29.lanh_dao", code, "2026-03-10")
    assert again.status_code == 409 and "at most once" in again.json["message"]
    again = apologise(as_officer, "ca29.01.lanh_dao", police, "2026-03-10")
    assert again.status_code == 409 and "at most once" in again.json["message"]
    kept = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
    assert kept["due_at"] == "2026-03-09T17:00:00+07:00"

    # The citizen's lookup and the control slip show both appointments.
    shown = look(app, code, group["lookup_secret"])
    assert shown.json["appointment_date"] == "2026-03-09"
    assert shown.json["apology"] == {
        "reason": REASON,
        "new_appointment_date": "2026-03-09",
        "original_appointment_date": "2026-03-05",
    }
    slip = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}/slips/kiem-soat")
    assert slip.status_code == 200
    text = " ".join(PdfReader(io.BytesIO(slip.data)).pages[0].extract_text().split())
    assert "hẹn trả kết quả (lần đầu): 09 giờ 00 phút, ngày 05/03/2026" in text
    assert "hẹn lại trả kết quả: 17 giờ 00 phút, ngày 09/03/2026" in text
    assert "xin lỗi, hẹn lại: Công an xã Tân An" in text
    # The apology slip the police print speaks of the applicant's code and appointment.
    slip = as_officer("ca29.01.lanh_dao").get(f"/api/dossiers/{police}/slips/xin-loi")
    assert slip.status_code == 200
    text = " ".join(PdfReader(io.BytesIO(slip.data)).pages[0].extract_text().split())
    assert code in text and police not in text
    assert "hẹn trả kết quả giải quyết hồ sơ: 09 giờ 00 phút, ngày 05/03/2026" in text
    assert "hẹn trả kết quả mới: 17 giờ 00 phút, ngày 09/03/2026" in text

    # Outcomes count against the new appointment: police done on Friday 6th, early.
    clock.set(2026, 3, 6, 10, 0)
    work_dossier(as_officer, "CA29.01", police)
    work_dossier(as_officer, "BH29", child_code(as_officer, "bh29.van_thu", code))
    done = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
    assert done["status"]["code"] == 10 and done["outcome"] == "early"
    parts = parts_by_procedure(done)
    assert parts[POLICE]["outcome"] == "early"
    assert parts[INSURANCE]["outcome"] == "late"  # its own share ran out on the 4th


def test_a_group_apology_follows_the_rules_of_one(as_officer, clock, group):
    code = group["code"]
    clock.set(2026, 3, 4, 9, 1)  # less than a working day before Thursday 09:00
    late = apologise(as_officer, "ca29.01.lanh_dao", code, "2026-03-09")
    assert late.status_code == 409 and "no later than 1 working day" in late.json["message"]
    clock.set(2026, 3, 3, 9, 0)
    # The new date must be a working day after the group's appointment, not the part's.
    same_day = apologise(as_officer, "ca29.01.lanh_dao", code, "2026-03-05")
    assert same_day.status_code == 422 and "new_appointment" in same_day.json["errors"]
    # An officer who is not a leader; an agency with no dossier in the group; the commune,
    # whose part is finished.
    assert apologise(as_officer, "ca29.01.tham_dinh", code, "2026-03-09").status_code == 403
    assert apologise(as_officer, "xh29.lanh_dao", code, "2026-03-09").status_code == 404
    finished = apologise(as_officer, "h29.01.lanh_dao", code, "2026-03-09")
    assert finished.status_code == 409 and "finished" in finished.json["message"]
    untouched = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
    assert untouched["due_at"] == "2026-03-05T09:00:00+07:00"
    assert untouched["original_due_at"] is None and untouched["apology"] is None
