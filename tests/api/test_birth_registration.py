"""A birth dossier from submission to status 10 over HTTP, each step by the right role."""

from __future__ import annotations

from tests.conftest import BIRTH_STEPS, birth_submission

STEPS = BIRTH_STEPS


def submit(as_officer) -> dict:
    response = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=birth_submission())
    assert response.status_code == 201, response.json
    return response.json


def open_task(dossier: dict, step: str) -> dict:
    [task] = [
        t for t in dossier["tasks"] if t["step"] == step and t["state"] in ("open", "claimed")
    ]
    return task


def work(as_officer, username: str, task_id: str, data: dict):
    officer = as_officer(username)
    claimed = officer.post(f"/api/tasks/{task_id}/claim")
    assert claimed.status_code == 200, claimed.json
    return officer.post(f"/api/tasks/{task_id}/complete", json={"data": data})


def test_birth_dossier_goes_from_submission_to_delivered(as_officer):
    dossier = submit(as_officer)
    assert dossier["code"].startswith("H29.01-260302-")
    assert dossier["status"] == {"code": 1, "label": "Mới đăng ký"}
    assert dossier["due_at"] == "2026-03-02T17:00:00+07:00"  # same working day
    assert dossier["appointment_date"] == "2026-03-02"
    statuses = [1]
    for index, (username, step, data, status) in enumerate(STEPS):
        task = open_task(dossier, step)
        response = work(as_officer, username, task["id"], data)
        assert response.status_code == 200, response.json
        assert response.json["state"] == "completed"
        expected_next = [STEPS[index + 1][1]] if index + 1 < len(STEPS) else []
        assert [t["step"] for t in response.json["next_tasks"]] == expected_next
        dossier = as_officer(username).get(f"/api/dossiers/{dossier['code']}").json
        assert dossier["status"]["code"] == status
        statuses.append(status)
    assert statuses == [1, 2, 4, 4, 9, 10]
    assert dossier["finished_at"] is not None
    assert all(t["state"] == "completed" for t in dossier["tasks"])
    actions = [(e["action"], e["step"]) for e in dossier["timeline"]]
    assert actions[0] == ("submitted", None)
    assert actions.count(("completed", "ky_so")) == 1
    completed = [e for e in dossier["timeline"] if e["action"] == "completed"]
    assert [e["officer"] for e in completed] == [s[0] for s in STEPS]
    assert completed[-1]["status_before"]["code"] == 9
    assert completed[-1]["status_after"]["code"] == 10


def test_each_step_opens_in_the_inbox_of_its_role_only(as_officer):
    dossier = submit(as_officer)
    reception_inbox = as_officer("h29.01.tiep_nhan").get("/api/tasks").json["items"]
    assert [t["dossier_code"] for t in reception_inbox] == [dossier["code"]]
    assert as_officer("h29.01.tham_dinh").get("/api/tasks").json["items"] == []
    task = open_task(dossier, "tiep_nhan")
    work(as_officer, "h29.01.tiep_nhan", task["id"], {"decision": "accept"})
    appraisal_inbox = as_officer("h29.01.tham_dinh").get("/api/tasks").json["items"]
    assert [t["step"] for t in appraisal_inbox] == ["tham_dinh"]
    assert appraisal_inbox[0]["due_at"] == "2026-03-02T11:00:00+07:00"  # 0.25 day from 09:00
    assert as_officer("h29.01.tiep_nhan").get("/api/tasks").json["items"] == []


def test_officer_without_the_role_cannot_claim(as_officer):
    dossier = submit(as_officer)
    task = open_task(dossier, "tiep_nhan")
    response = as_officer("h29.01.tham_dinh").post(f"/api/tasks/{task['id']}/claim")
    assert response.status_code == 403
    assert "tiep_nhan" in response.json["message"]


def test_refusal_at_reception_ends_with_status_3(as_officer):
    dossier = submit(as_officer)
    task = open_task(dossier, "tiep_nhan")
    response = work(
        as_officer,
        "h29.01.tiep_nhan",
        task["id"],
        {"decision": "refuse", "refusal_reason": "Không thuộc thẩm quyền"},
    )
    assert response.status_code == 200
    dossier = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{dossier['code']}").json
    assert dossier["status"]["code"] == 3
    assert dossier["finished_at"] is not None
    assert as_officer("h29.01.tham_dinh").get("/api/tasks").json["items"] == []


def test_supplement_request_waits_with_status_5_then_returns_to_reception(as_officer):
    dossier = submit(as_officer)
    task = open_task(dossier, "tiep_nhan")
    missing = ["Giấy chứng sinh (bản chính)", "Giấy chứng nhận kết hôn của cha mẹ"]
    work(
        as_officer,
        "h29.01.tiep_nhan",
        task["id"],
        {"decision": "supplement", "missing_documents": missing},
    )
    dossier = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{dossier['code']}").json
    assert dossier["status"]["code"] == 5
    waiting = open_task(dossier, "nhan_bo_sung")
    assert waiting["due_at"] == "2026-03-03T09:00:00+07:00"  # one working day
    detail = as_officer("h29.01.tiep_nhan").get(f"/api/tasks/{waiting['id']}").json
    assert detail["data"]["missing_documents"] == missing
    work(as_officer, "h29.01.tiep_nhan", waiting["id"], {"supplemented_documents": missing})
    dossier = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{dossier['code']}").json
    assert dossier["status"]["code"] == 1
    again = open_task(dossier, "tiep_nhan")
    assert again["id"] != task["id"]
    work(as_officer, "h29.01.tiep_nhan", again["id"], {"decision": "accept"})
    dossier = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{dossier['code']}").json
    assert dossier["status"]["code"] == 2


def test_leader_returning_the_dossier_sends_it_back_to_appraisal(as_officer):
    dossier = submit(as_officer)
    for username, step, data, _ in STEPS[:2]:
        work(as_officer, username, open_task(dossier, step)["id"], data)
        dossier = as_officer(username).get(f"/api/dossiers/{dossier['code']}").json
    task = open_task(dossier, "phe_duyet")
    work(
        as_officer,
        "h29.01.lanh_dao",
        task["id"],
        {"approved": False, "comment": "Kiểm tra lại nơi sinh"},
    )
    dossier = as_officer("h29.01.lanh_dao").get(f"/api/dossiers/{dossier['code']}").json
    again = open_task(dossier, "tham_dinh")
    detail = as_officer("h29.01.tham_dinh").get(f"/api/tasks/{again['id']}").json
    assert detail["data"]["comment"] == "Kiểm tra lại nơi sinh"


def test_dossier_received_after_cutoff_is_due_next_working_day(as_officer, clock):
    clock.set(2026, 3, 6, 15, 30)  # Friday after 15:00
    dossier = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=birth_submission()).json
    assert dossier["clock_started_at"] == "2026-03-09T07:30:00+07:00"
    assert dossier["due_at"] == "2026-03-09T17:00:00+07:00"
    assert dossier["code"].startswith("H29.01-260306-")


def test_dossier_codes_count_per_agency_and_day(as_officer, clock):
    first = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=birth_submission()).json
    second = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=birth_submission()).json
    other = as_officer("h29.02.tiep_nhan").post("/api/dossiers", json=birth_submission()).json
    clock.set(2026, 3, 3, 8, 0)
    next_day = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=birth_submission()).json
    assert [first["code"], second["code"], other["code"], next_day["code"]] == [
        "H29.01-260302-0001",
        "H29.01-260302-0002",
        "H29.02-260302-0001",
        "H29.01-260303-0001",
    ]
