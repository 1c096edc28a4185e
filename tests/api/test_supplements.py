"""A supplement asked during processing: every missing item at once, the clock paused while
the applicant brings it (the office time waited is taken out of the appointment and of each
open step's due date), once only unless a leader overrides it (the dossier then counts as
late), and a dossier stopped when its window runs out."""

from __future__ import annotations

import pytest

from api.jobs import relay_due
from tests.api.test_apologies_and_outcomes import residence_dossier
from tests.conftest import receive
from tests.groups import ANSWERS

pytestmark = pytest.mark.usefixtures("group_officers")

OFFICER, LEADER, RECEPTION = "ca29.01.tham_dinh", "ca29.01.lanh_dao", "ca29.01.tiep_nhan"
MISSING = ["Bản sao sổ hộ khẩu", "Văn bản đồng ý của chủ hộ"]


def ask(as_officer, code, username=OFFICER, **extra):
    body = {"missing": MISSING, "reason": "Thiếu giấy tờ chứng minh chỗ ở"} | extra
    return as_officer(username).post(f"/api/dossiers/{code}/supplement-request", json=body)


def bring(as_officer, code):
    return as_officer(RECEPTION).post(
        f"/api/dossiers/{code}/supplement", json={"received": MISSING, "note": "Đủ"}
    )


def view(as_officer, code):
    return as_officer(RECEPTION).get(f"/api/dossiers/{code}").json


def work(as_officer, code):
    while tasks := [
        t for t in view(as_officer, code)["tasks"] if t["state"] in ("open", "claimed")
    ]:
        role, answers = ANSWERS[tasks[0]["step"]]
        officer = as_officer(f"ca29.01.{role}")
        assert officer.post(f"/api/tasks/{tasks[0]['id']}/claim").status_code == 200
        done = officer.post(f"/api/tasks/{tasks[0]['id']}/complete", json={"data": answers})
        assert done.status_code == 200, done.json


def test_the_clock_pauses_while_a_supplement_is_awaited(as_officer, clock):
    dossier = residence_dossier(as_officer)  # Monday 09:00: due Wednesday 09:00
    [task] = dossier["tasks"]
    assert task["due_at"] == "2026-03-03T09:00:00+07:00"  # appraisal: one working day
    clock.set(2026, 3, 2, 10, 0)
    asked = ask(as_officer, dossier["code"])
    assert asked.status_code == 200, asked.json
    assert asked.json["status"]["code"] == 5
    assert asked.json["supplement"] == {
        "awaited_since": "2026-03-02T10:00:00+07:00",
        "window_ends": "2026-03-11T10:00:00+07:00",  # 7 working days
    }
    [event] = [e for e in asked.json["timeline"] if e["action"] == "supplement_requested"]
    assert event["detail"]["missing"] == MISSING  # every missing item, in one request
    officer = as_officer(OFFICER)
    assert officer.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    blocked = officer.post(
        f"/api/tasks/{task['id']}/complete", json={"data": ANSWERS["thuong_tru_tham_dinh"][1]}
    )
    assert blocked.status_code == 409 and "supplement" in blocked.json["message"]

    clock.set(2026, 3, 7, 10, 0)  # brought on Saturday: the clock resumes Monday 07:30
    resumed = bring(as_officer, dossier["code"])
    assert resumed.status_code == 200, resumed.json
    state = resumed.json
    assert state["status"]["code"] == 4 and state["supplement"] is None
    # 15 h of office time were left at the request (Monday 10:00 → Wednesday 09:00).
    assert state["due_at"] == "2026-03-10T16:00:00+07:00"
    assert state["paused_office_seconds"] == 37.5 * 3600
    [moved] = [t for t in state["tasks"] if t["state"] in ("open", "claimed")]
    assert moved["due_at"] == "2026-03-09T16:00:00+07:00"  # 7 h were left of its day
    work(as_officer, dossier["code"])  # the workflow carries on, with its new due dates
    assert view(as_officer, dossier["code"])["status"]["code"] == 10


def test_a_second_request_is_refused_unless_a_leader_overrides_and_then_it_counts_late(
    as_officer, clock
):
    dossier = residence_dossier(as_officer)
    assert ask(as_officer, dossier["code"]).status_code == 200
    assert bring(as_officer, dossier["code"]).status_code == 200
    second = ask(as_officer, dossier["code"])
    assert second.status_code == 409 and "once" in second.json["message"]
    by_leader_without_reason = ask(as_officer, dossier["code"], LEADER)
    assert by_leader_without_reason.status_code == 409
    overridden = ask(as_officer, dossier["code"], LEADER, override_reason="Hồ sơ bị tẩy xóa")
    assert overridden.status_code == 200, overridden.json
    assert overridden.json["counts_late"] is True and overridden.json["supplement_requests"] == 2
    assert bring(as_officer, dossier["code"]).status_code == 200
    work(as_officer, dossier["code"])
    finished = view(as_officer, dossier["code"])
    assert finished["status"]["code"] == 10
    assert finished["outcome"] == "late"  # early by its dates, late by the national rule


def test_a_dossier_whose_window_runs_out_is_stopped(app, as_officer, clock):
    dossier = residence_dossier(as_officer)
    assert ask(as_officer, dossier["code"]).status_code == 200
    clock.set(2026, 3, 11, 8, 59)  # before the window ends (Wednesday 09:00)
    relay_due(app)
    assert view(as_officer, dossier["code"])["status"]["code"] == 5
    clock.set(2026, 3, 11, 9, 1)
    relay_due(app)
    relay_due(app)  # a second look finds nothing more to do
    stopped = view(as_officer, dossier["code"])
    assert stopped["status"]["code"] == 8 and stopped["finished_at"] is not None
    assert all(t["state"] == "cancelled" for t in stopped["tasks"])
    assert [e["action"] for e in stopped["timeline"]].count("stopped") == 1
    late = bring(as_officer, dossier["code"])
    assert late.status_code == 409


def test_a_request_is_refused_at_reception_without_items_or_the_right_role(as_officer):
    birth = receive(as_officer)  # still at reception: the reception step asks
    refused = ask(as_officer, birth["code"], "h29.01.tham_dinh")
    assert refused.status_code == 409 and "reception" in refused.json["message"]
    dossier = residence_dossier(as_officer)
    assert ask(as_officer, dossier["code"], "ca29.01.van_thu").status_code == 403
    empty = ask(as_officer, dossier["code"], missing=[])
    assert empty.status_code == 422 and "missing" in empty.json["errors"]
    assert bring(as_officer, dossier["code"]).status_code == 409  # nothing is awaited
    assert view(as_officer, dossier["code"])["status"]["code"] != 5
