"""An agency that will be late apologises, with a reason and a new appointment, approved by
its leader: no later than 1 working day before the due date and at most once; the first
appointment stays shown. Every finished dossier and every completed step shows its outcome
(early, on time, late), counted by office session."""

from __future__ import annotations

import pytest

from tests.conftest import BIRTH_STEPS, receive
from tests.groups import THUONG_TRU

pytestmark = pytest.mark.usefixtures("group_officers")

LEADER = "ca29.01.lanh_dao"


def residence_dossier(as_officer) -> dict:
    """Returns a permanent residence dossier received alone at the police counter (Monday
    09:00, 2 working days: due Wednesday 09:00)."""
    body = {
        "procedure": "1.004194",
        "applicant": {"full_name": "Phạm Văn Hải"},
        "data": {
            "so_dang_ky_khai_sinh": "45/2026",
            "so_dinh_danh": "001226099999",
            "tre_em": {"ho_ten": "Phạm Gia Huy", "ngay_sinh": "2026-01-05", "gioi_tinh": "male"},
            "thuong_tru": THUONG_TRU,
        },
    }
    response = as_officer("ca29.01.tiep_nhan").post("/api/dossiers", json=body)
    assert response.status_code == 201, response.json
    assert response.json["due_at"] == "2026-03-04T09:00:00+07:00"
    return response.json


def apologise(as_officer, code: str, day: str, username: str = LEADER, reason: str = "x"):
    return as_officer(username).post(
        f"/api/dossiers/{code}/apology", json={"reason": reason, "new_appointment": day}
    )


def test_an_apology_moves_the_appointment_once_and_keeps_the_first(as_officer, clock):
    dossier = residence_dossier(as_officer)
    clock.set(2026, 3, 2, 14, 0)
    reason = "Cần xác minh nơi cư trú với Công an tỉnh"
    moved = apologise(as_officer, dossier["code"], "2026-03-06", reason=reason)
    assert moved.status_code == 200, moved.json
    assert moved.json["due_at"] == "2026-03-06T17:00:00+07:00"  # the close of that day
    assert moved.json["appointment_date"] == "2026-03-06"
    assert moved.json["original_due_at"] == "2026-03-04T09:00:00+07:00"
    assert moved.json["apology"] == {"at": "2026-03-02T14:00:00+07:00", "reason": reason}
    [event] = [e for e in moved.json["timeline"] if e["action"] == "apologized"]
    assert event["officer"] == LEADER
    assert event["detail"]["new_due_at"] == "2026-03-06T17:00:00+07:00"

    again = apologise(as_officer, dossier["code"], "2026-03-09")
    assert again.status_code == 409 and "at most once" in again.json["message"]
    kept = as_officer(LEADER).get(f"/api/dossiers/{dossier['code']}").json
    assert kept["due_at"] == "2026-03-06T17:00:00+07:00"


def test_an_apology_later_than_one_working_day_before_the_due_date_is_refused(as_officer, clock):
    dossier = residence_dossier(as_officer)
    clock.set(2026, 3, 3, 9, 1)  # 7 h 59 min of office time before Wednesday 09:00
    late = apologise(as_officer, dossier["code"], "2026-03-06")
    assert late.status_code == 409 and "no later than 1 working day" in late.json["message"]
    clock.set(2026, 3, 3, 9, 0)  # exactly one working day before: still in time
    assert apologise(as_officer, dossier["code"], "2026-03-06").status_code == 200


@pytest.mark.parametrize(
    "username, body, status, field",
    [
        ("ca29.01.tham_dinh", {"reason": "x", "new_appointment": "2026-03-06"}, 403, None),
        (LEADER, {"reason": " ", "new_appointment": "2026-03-06"}, 422, "reason"),
        (LEADER, {"reason": "x", "new_appointment": "06/03/2026"}, 422, "new_appointment"),
        (LEADER, {"reason": "x", "new_appointment": "2026-03-04"}, 422, "new_appointment"),
        (LEADER, {"reason": "x", "new_appointment": "2026-03-07"}, 422, "new_appointment"),
        (LEADER, {"new_appointment": "2026-03-06"}, 422, "reason"),
    ],
    ids=["not a leader", "no reason", "not ISO", "not later", "a Saturday", "missing reason"],
)
def test_a_bad_apology_is_refused_and_changes_nothing(as_officer, username, body, status, field):
    dossier = residence_dossier(as_officer)
    response = as_officer(username).post(f"/api/dossiers/{dossier['code']}/apology", json=body)
    assert response.status_code == status, response.json
    if field:
        assert field in response.json["errors"]
    kept = as_officer(LEADER).get(f"/api/dossiers/{dossier['code']}").json
    assert kept["original_due_at"] is None and kept["due_at"] == dossier["due_at"]
    assert as_officer("h29.01.lanh_dao").post(
        f"/api/dossiers/{dossier['code']}/apology", json=body
    ).status_code in (403, 404, 422)  # another agency's leader never reaches it


def work_birth(as_officer, code_of: dict, clock, last_step_at=None) -> dict:
    for username, step, answers, _ in BIRTH_STEPS:
        if step == "tra_ket_qua" and last_step_at:
            clock.set(*last_step_at)
        officer = as_officer(username)
        [task] = [
            t
            for t in officer.get(f"/api/dossiers/{code_of['code']}").json["tasks"]
            if t["state"] == "open"
        ]
        assert officer.post(f"/api/tasks/{task['id']}/claim").status_code == 200
        done = officer.post(f"/api/tasks/{task['id']}/complete", json={"data": answers})
        assert done.status_code == 200, done.json
    return as_officer("h29.01.van_thu").get(f"/api/dossiers/{code_of['code']}").json


def test_outcomes_of_steps_and_of_the_dossier_are_shown(as_officer, clock):
    on_time = work_birth(as_officer, receive(as_officer), clock)
    assert on_time["outcome"] == "on_time"  # finished on the due date, within its session
    assert {t["outcome"] for t in on_time["tasks"]} == {"on_time"}

    late = work_birth(as_officer, receive(as_officer), clock, last_step_at=(2026, 3, 3, 8, 0))
    assert late["status"]["code"] == 10
    assert late["outcome"] == "late"  # due Monday 17:00, returned Tuesday morning
    outcomes = {t["step"]: t["outcome"] for t in late["tasks"]}
    assert outcomes["tra_ket_qua"] == "late" and outcomes["tiep_nhan"] == "on_time"

    running = receive(as_officer)
    assert running["outcome"] is None
    assert all(t["outcome"] is None for t in running["tasks"])
