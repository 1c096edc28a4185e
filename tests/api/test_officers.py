"""Deactivating an officer on the console (`motcua officers deactivate`): their token is
refused from the next request (the test app caches no token), the tasks they held go back to
the open pool with a `released` event each, and nobody else is affected."""

from __future__ import annotations

import json

from tests.conftest import appraisal_task

RECEPTIONIST = "h29.01.tiep_nhan"
LEAVING = "h29.01.tham_dinh"


def deactivate(app, username: str) -> dict:
    result = app.test_cli_runner().invoke(args=["officers", "deactivate", username, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def appraisal(as_officer) -> tuple[str, str]:
    """Returns a new dossier's code and its open appraisal task."""
    dossier, task_id = appraisal_task(as_officer)
    return dossier["code"], task_id


def test_a_deactivated_officers_token_is_refused(app, as_officer):
    leaving = as_officer(LEAVING)
    assert leaving.get("/api/tasks").status_code == 200
    assert deactivate(app, LEAVING)["active"] is False
    for response in (leaving.get("/api/tasks"), leaving.get("/api/dossiers/H29.01-nothing")):
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    # A colleague with the same role carries on.
    assert as_officer("h29.01.tham_dinh2").get("/api/tasks").status_code == 200


def test_tasks_a_deactivated_officer_held_go_back_to_the_pool_with_a_release_event(
    app, as_officer, clock
):
    (held_code, held), (_, untouched) = appraisal(as_officer), appraisal(as_officer)
    assert as_officer(LEAVING).post(f"/api/tasks/{held}/claim").status_code == 200
    colleague = as_officer("h29.01.tham_dinh2")
    assert colleague.post(f"/api/tasks/{untouched}/claim").status_code == 200

    clock.set(2026, 3, 2, 10, 0)
    assert deactivate(app, LEAVING)["released_tasks"] == 1
    assert as_officer(LEAVING).get("/api/tasks").status_code == 401

    task = colleague.get(f"/api/tasks/{held}").json
    assert (task["state"], task["assignee"], task["claimed_at"]) == ("open", None, None)
    assert held in [item["id"] for item in colleague.get("/api/tasks").json["items"]]
    other = colleague.get(f"/api/tasks/{untouched}").json
    assert (other["state"], other["assignee"]) == ("claimed", "h29.01.tham_dinh2")

    timeline = as_officer(RECEPTIONIST).get(f"/api/dossiers/{held_code}").json["timeline"]
    about_task = [e for e in timeline if e["task_id"] == held]
    actions = [(e["action"], e["officer"]) for e in about_task]
    assert actions == [("claimed", LEAVING), ("released", None)]  # released by the system
    released = about_task[-1]
    assert released["at"] == "2026-03-02T10:00:00+07:00"
    assert released["detail"]["holder"] == LEAVING
    assert released["detail"]["reason"] == "officer deactivated"
    # The pool takes it back: a colleague claims it.
    assert colleague.post(f"/api/tasks/{held}/claim").status_code == 200


def test_an_officer_deactivated_after_their_token_was_checked_claims_nothing(
    app, as_officer, monkeypatch
):
    # The token cache (or a request already past authentication) may still let a deactivated
    # officer's request through: the claim itself checks that the officer is active.
    _, task_id = appraisal(as_officer)
    leaving = as_officer(LEAVING)
    with app.app_context():
        from api.services import runtime

        runtime().tokens.seconds = 60  # remember who the token belongs to, as production does
    assert leaving.get("/api/tasks").status_code == 200
    deactivate(app, LEAVING)
    response = leaving.post(f"/api/tasks/{task_id}/claim")
    assert response.status_code == 403
    assert "deactivated" in response.json["message"]
    task = as_officer("h29.01.tham_dinh2").get(f"/api/tasks/{task_id}").json
    assert task["state"] == "open" and task["assignee"] is None
