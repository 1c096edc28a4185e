"""Races on one task: twenty simultaneous claims, repeated completes, a release during a
complete. Run on both databases: PostgreSQL's row locks and SQLite's serialized writers."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from api.services import create_officer, issue_token, operation
from api.store import Agency, Event, Task, db
from tests.conftest import birth_submission

CLAIMANTS = 20


def test_twenty_simultaneous_claims_yield_one_holder(app, officers, as_officer):
    with app.app_context():
        agency = db.session.scalars(select(Agency).where(Agency.code == "H29.01")).one()
        tokens = []
        for n in range(CLAIMANTS):
            officer = create_officer(
                operation(), agency=agency, username=f"h29.01.race{n:02d}", roles=["tiep_nhan"]
            )
            tokens.append(issue_token(operation(), officer)[0])
        db.session.commit()
    dossier = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=birth_submission()).json
    task_id = dossier["tasks"][0]["id"]

    barrier = threading.Barrier(CLAIMANTS)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def claim(token: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/tasks/{task_id}/claim", headers={"Authorization": f"Bearer {token}"}
        )
        with lock:
            results.append((response.status_code, response.json))

    threads = [threading.Thread(target=claim, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    codes = sorted(code for code, _ in results)
    assert codes == [200] + [409] * (CLAIMANTS - 1)
    winner = next(body for code, body in results if code == 200)
    losers = [body for code, body in results if code == 409]
    assert all(winner["assignee"] in body["message"] for body in losers)
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task.state == "claimed"
        assert task.assignee_username == winner["assignee"]
        assert task.assignee_id is not None
        claims = db.session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.task_id == task_id, Event.action == "claimed")
        )
        assert claims == 1


def test_simultaneous_completes_of_one_task_apply_once(app, officers, as_officer):
    dossier = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=birth_submission()).json
    task_id = dossier["tasks"][0]["id"]
    assert as_officer("h29.01.tiep_nhan").post(f"/api/tasks/{task_id}/claim").status_code == 200
    token = officers["h29.01.tiep_nhan"]
    barrier = threading.Barrier(5)
    codes: list[int] = []

    def complete() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/tasks/{task_id}/complete",
            json={"data": {"decision": "accept"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        codes.append(response.status_code)

    threads = [threading.Thread(target=complete) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(codes) == [200, 409, 409, 409, 409]
    after = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{dossier['code']}").json
    assert sorted(t["step"] for t in after["tasks"]) == ["tham_dinh", "tiep_nhan"]
    assert [e["action"] for e in after["timeline"]].count("completed") == 1


def test_release_during_a_complete_waits_for_it_and_finds_the_task_completed(
    app, officers, as_officer, monkeypatch
):
    import api.services.tasks as task_service

    dossier = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=birth_submission()).json
    task_id = dossier["tasks"][0]["id"]
    assert as_officer("h29.01.tiep_nhan").post(f"/api/tasks/{task_id}/claim").status_code == 200
    restore = task_service.restore
    inside = threading.Event()

    def slow_restore(locked_dossier, op):
        inside.set()  # the completing request now holds its locks
        threading.Event().wait(0.5)
        return restore(locked_dossier, op)

    monkeypatch.setattr(task_service, "restore", slow_restore)
    results = {}

    def complete():
        client = app.test_client()
        results["complete"] = client.post(
            f"/api/tasks/{task_id}/complete",
            json={"data": {"decision": "accept"}},
            headers={"Authorization": f"Bearer {officers['h29.01.tiep_nhan']}"},
        ).status_code

    worker = threading.Thread(target=complete)
    worker.start()
    assert inside.wait(10)
    released = as_officer("h29.01.lanh_dao").post(f"/api/tasks/{task_id}/release")
    reclaimed = as_officer("h29.01.tiep_nhan").post(f"/api/tasks/{task_id}/claim")
    worker.join(timeout=30)
    assert results["complete"] == 200
    assert released.status_code == 409 and "completed" in released.json["message"]
    assert reclaimed.status_code == 409
