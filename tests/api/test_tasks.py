"""Claim, release, complete and the inbox, through HTTP."""

from __future__ import annotations

from tests.conftest import appraisal_task, receive


def test_claim_by_a_second_officer_is_409_naming_the_holder(as_officer):
    _, task_id = appraisal_task(as_officer)
    assert as_officer("h29.01.tham_dinh").post(f"/api/tasks/{task_id}/claim").status_code == 200
    response = as_officer("h29.01.tham_dinh2").post(f"/api/tasks/{task_id}/claim")
    assert response.status_code == 409
    assert response.json["code"] == 409
    assert "h29.01.tham_dinh" in response.json["message"]


def test_claim_is_idempotent_for_the_holder(as_officer):
    _, task_id = appraisal_task(as_officer)
    first = as_officer("h29.01.tham_dinh").post(f"/api/tasks/{task_id}/claim")
    second = as_officer("h29.01.tham_dinh").post(f"/api/tasks/{task_id}/claim")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json["assignee"] == "h29.01.tham_dinh"


def test_claimed_task_leaves_other_officers_inboxes(as_officer):
    _, task_id = appraisal_task(as_officer)
    as_officer("h29.01.tham_dinh").post(f"/api/tasks/{task_id}/claim")
    assert as_officer("h29.01.tham_dinh2").get("/api/tasks").json["items"] == []
    mine = as_officer("h29.01.tham_dinh").get("/api/tasks?assignee=me").json["items"]
    assert [t["id"] for t in mine] == [task_id]


def test_release_only_by_holder_or_leader(as_officer):
    _, task_id = appraisal_task(as_officer)
    as_officer("h29.01.tham_dinh").post(f"/api/tasks/{task_id}/claim")
    assert as_officer("h29.01.tham_dinh2").post(f"/api/tasks/{task_id}/release").status_code == 403
    released = as_officer("h29.01.lanh_dao").post(f"/api/tasks/{task_id}/release")
    assert released.status_code == 200
    assert released.json["state"] == "open" and released.json["assignee"] is None
    assert as_officer("h29.01.tham_dinh2").post(f"/api/tasks/{task_id}/claim").status_code == 200
    assert as_officer("h29.01.tham_dinh2").post(f"/api/tasks/{task_id}/release").status_code == 200
    assert as_officer("h29.01.tham_dinh2").post(f"/api/tasks/{task_id}/release").status_code == 409


def test_complete_without_claim_is_409(as_officer):
    _, task_id = appraisal_task(as_officer)
    response = as_officer("h29.01.tham_dinh").post(
        f"/api/tasks/{task_id}/complete", json={"data": {"assessment": "eligible", "opinion": "ok"}}
    )
    assert response.status_code == 409
    assert "claim" in response.json["message"]


def test_complete_by_another_officer_than_the_holder_is_409(as_officer):
    _, task_id = appraisal_task(as_officer)
    assert as_officer("h29.01.tham_dinh").post(f"/api/tasks/{task_id}/claim").status_code == 200
    response = as_officer("h29.01.tham_dinh2").post(
        f"/api/tasks/{task_id}/complete", json={"data": {"assessment": "eligible", "opinion": "ok"}}
    )
    assert response.status_code == 409
    task = as_officer("h29.01.tham_dinh").get(f"/api/tasks/{task_id}").json
    assert task["state"] == "claimed" and task["assignee"] == "h29.01.tham_dinh"


def test_complete_twice_is_409(as_officer):
    _, task_id = appraisal_task(as_officer)
    officer = as_officer("h29.01.tham_dinh")
    officer.post(f"/api/tasks/{task_id}/claim")
    body = {"data": {"assessment": "eligible", "opinion": "ok"}}
    assert officer.post(f"/api/tasks/{task_id}/complete", json=body).status_code == 200
    again = officer.post(f"/api/tasks/{task_id}/complete", json=body)
    assert again.status_code == 409
    assert "completed" in again.json["message"]
    assert officer.post(f"/api/tasks/{task_id}/claim").status_code == 409


def test_invalid_form_data_is_422_naming_each_field_and_changes_nothing(as_officer):
    dossier, task_id = appraisal_task(as_officer)
    officer = as_officer("h29.01.tham_dinh")
    officer.post(f"/api/tasks/{task_id}/claim")
    before = officer.get(f"/api/dossiers/{dossier['code']}").json
    response = officer.post(
        f"/api/tasks/{task_id}/complete",
        json={"data": {"assessment": "maybe", "opinion": "", "colour": "red"}},
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"assessment", "opinion", "colour"}
    after = officer.get(f"/api/dossiers/{dossier['code']}").json
    assert after == before
    task = officer.get(f"/api/tasks/{task_id}").json
    assert task["state"] == "claimed" and task["submitted"] is None


def test_task_detail_carries_its_form_and_data(as_officer):
    dossier, task_id = appraisal_task(as_officer)
    task = as_officer("h29.01.tham_dinh").get(f"/api/tasks/{task_id}").json
    assert task["form"]["title"] == "Thẩm định hồ sơ"
    assert task["data"]["declaration"]["child"]["full_name"] == "Nguyễn Minh An"
    assert task["data"]["decision"] == "accept"
    assert task["dossier_status"]["code"] == 2
    assert task["documentation"]


def test_inbox_sorts_by_due_date_and_pages_with_a_cursor(as_officer, clock):
    codes = []
    for hour in (9, 10, 11, 14):
        clock.set(2026, 3, 2, hour, 0)
        codes.append(receive(as_officer)["code"])
    officer = as_officer("h29.01.tiep_nhan")
    first = officer.get("/api/tasks?limit=3").json
    assert [t["dossier_code"] for t in first["items"]] == codes[:3]
    second = officer.get(f"/api/tasks?limit=3&cursor={first['next_cursor']}").json
    assert [t["dossier_code"] for t in second["items"]] == codes[3:]
    assert second["next_cursor"] is None


def test_inbox_filters_overdue_and_procedure(as_officer, clock):
    receive(as_officer)
    officer = as_officer("h29.01.tiep_nhan")
    assert officer.get("/api/tasks?overdue=true").json["items"] == []
    clock.set(2026, 3, 3, 9, 0)  # the reception step (1 hour) is long overdue
    overdue = officer.get("/api/tasks?overdue=true").json["items"]
    assert len(overdue) == 1 and overdue[0]["overdue"] is True
    assert officer.get("/api/tasks?overdue=false").json["items"] == []
    assert len(officer.get("/api/tasks?procedure=1.001193").json["items"]) == 1
    assert officer.get("/api/tasks?procedure=2.000000").json["items"] == []


def test_inbox_rejects_bad_arguments(as_officer):
    officer = as_officer("h29.01.tiep_nhan")
    response = officer.get("/api/tasks?limit=0&assignee=you")
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"query.limit", "query.assignee"}
    garbage = officer.get("/api/tasks?cursor=garbage")
    assert garbage.status_code == 422 and set(garbage.json["errors"]) == {"query.cursor"}
    assert set(officer.get("/api/tasks?limit=201").json["errors"]) == {"query.limit"}


def test_a_forged_cursor_is_422_not_500(as_officer):
    import base64
    import json

    forged = (
        ["2026-03-02T09:00:00", "x"],
        ["2026-03-02T09:00:00+07:00", 5],
        {"a": 1},
        ["9999-12-31T23:59:59-23:59", "x"],  # its UTC instant overflows the year 9999
        ["0001-01-01T00:00:00+23:59", "x"],
        ["2026-03-02T09:00:00+07:00", "\u0000"],  # the id reaches no query: NUL and
        ["2026-03-02T09:00:00+07:00", "\ud800"],  # surrogates made both databases fail
    )
    for payload in forged:
        cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
        response = as_officer("h29.01.tiep_nhan").get(f"/api/tasks?cursor={cursor}")
        assert response.status_code == 422, payload
        assert set(response.json["errors"]) == {"query.cursor"}


def test_writes_survive_a_column_added_to_the_tasks_table(app, as_officer):
    # A later migration appends columns; hand-written SQL must name its columns, not use `*`
    # (which would shift results by position and write NULL over the new column's default).
    from api.store import db

    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "ALTER TABLE tasks ADD COLUMN priority VARCHAR(8) DEFAULT 'normal'"
            )
    dossier, task_id = appraisal_task(as_officer)  # claims and completes the first step
    officer = as_officer("h29.01.tham_dinh")
    claimed = officer.post(f"/api/tasks/{task_id}/claim")
    assert claimed.status_code == 200 and claimed.json["step"] == "tham_dinh"
    done = officer.post(
        f"/api/tasks/{task_id}/complete", json={"data": {"assessment": "eligible", "opinion": "ok"}}
    )
    assert done.status_code == 200 and [t["step"] for t in done.json["next_tasks"]] == ["phe_duyet"]
    with app.app_context():
        priorities = (
            db.session.execute(db.text("SELECT DISTINCT priority FROM tasks")).scalars().all()
        )
    assert priorities == ["normal"]
