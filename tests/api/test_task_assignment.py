"""POST /api/tasks/{id}/assign: a leader gives a task to an officer of the agency."""

from __future__ import annotations

from api.services import operation
from api.store import Officer, db
from tests.conftest import receive

LEADER = "h29.01.lanh_dao"


def assign(as_officer, task_id, username, by=LEADER):
    return as_officer(by).post(f"/api/tasks/{task_id}/assign", json={"username": username})


def test_a_leader_assigns_an_open_task_and_the_timeline_says_so(as_officer, officers):
    dossier = receive(as_officer)
    task_id = dossier["tasks"][0]["id"]
    response = assign(as_officer, task_id, "h29.01.tiep_nhan2")
    assert response.status_code == 200, response.json
    assert response.json["state"] == "claimed"
    assert response.json["assignee"] == "h29.01.tiep_nhan2"
    # The assignee finds it in their own inbox and completes it.
    mine = as_officer("h29.01.tiep_nhan2").get("/api/tasks", query_string={"assignee": "me"})
    assert [t["id"] for t in mine.json["items"]] == [task_id]
    done = as_officer("h29.01.tiep_nhan2").post(
        f"/api/tasks/{task_id}/complete", json={"data": {"decision": "accept"}}
    )
    assert done.status_code == 200, done.json
    timeline = as_officer(LEADER).get(f"/api/dossiers/{dossier['code']}").json["timeline"]
    assigned = [e for e in timeline if e["action"] == "assigned"]
    assert len(assigned) == 1
    assert assigned[0]["officer"] == LEADER
    assert assigned[0]["detail"]["assignee"] == "h29.01.tiep_nhan2"
    assert "holder" not in assigned[0]["detail"]


def test_a_claimed_task_changes_hands(as_officer, officers):
    dossier = receive(as_officer)
    task_id = dossier["tasks"][0]["id"]
    assert as_officer("h29.01.tiep_nhan").post(f"/api/tasks/{task_id}/claim").status_code == 200
    response = assign(as_officer, task_id, "h29.01.tiep_nhan2")
    assert response.status_code == 200 and response.json["assignee"] == "h29.01.tiep_nhan2"
    former = as_officer("h29.01.tiep_nhan").post(
        f"/api/tasks/{task_id}/complete", json={"data": {"decision": "accept"}}
    )
    assert former.status_code == 409
    again = assign(as_officer, task_id, "h29.01.tiep_nhan2")  # already theirs: no new event
    assert again.status_code == 200
    timeline = as_officer(LEADER).get(f"/api/dossiers/{dossier['code']}").json["timeline"]
    [event] = [e for e in timeline if e["action"] == "assigned"]
    assert event["detail"]["holder"] == "h29.01.tiep_nhan"


def test_who_may_assign_and_to_whom(app, as_officer, officers):
    dossier = receive(as_officer)
    task_id = dossier["tasks"][0]["id"]
    # Not a leader: 403; a leader of another agency: 404, as for anything of another agency.
    assert assign(as_officer, task_id, "h29.01.tiep_nhan2", by="h29.01.tiep_nhan").status_code == (
        403
    )
    assert assign(as_officer, task_id, "h29.01.tiep_nhan2", by="h29.02.lanh_dao").status_code == (
        404
    )
    assert assign(as_officer, "not-a-task", "h29.01.tiep_nhan2").status_code == 404
    with app.app_context():
        db.session.scalars(
            db.select(Officer).filter_by(username="h29.01.tiep_nhan2")
        ).one().active = False
        operation()
        db.session.commit()
    for username, problem in (
        ("h29.01.tham_dinh", "does not hold role tiep_nhan"),
        ("h29.02.tiep_nhan", "no officer"),
        ("nobody.here", "no officer"),
        ("h29.01.tiep_nhan2", "inactive"),
    ):
        response = assign(as_officer, task_id, username)
        assert response.status_code == 422, (username, response.json)
        assert problem in response.json["errors"]["username"][0]
    missing = as_officer(LEADER).post(f"/api/tasks/{task_id}/assign", json={})
    assert missing.status_code == 422 and "username" in missing.json["errors"]
    task = as_officer(LEADER).get(f"/api/tasks/{task_id}").json
    assert task["state"] == "open" and task["assignee"] is None  # nothing changed


def test_a_finished_task_is_not_assigned(as_officer, officers):
    dossier = receive(as_officer)
    task_id = dossier["tasks"][0]["id"]
    officer = as_officer("h29.01.tiep_nhan")
    assert officer.post(f"/api/tasks/{task_id}/claim").status_code == 200
    done = officer.post(f"/api/tasks/{task_id}/complete", json={"data": {"decision": "accept"}})
    assert done.status_code == 200
    response = assign(as_officer, task_id, "h29.01.tiep_nhan2")
    assert response.status_code == 409 and "completed" in response.json["message"]
