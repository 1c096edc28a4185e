"""A claim that waited for another change to its task is never logged before that change,
even when its own clock reading came first."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import text

from api.store import db
from engine.calendar import TIMEZONE
from tests.conftest import birth_submission

RELEASED_AT = datetime(2026, 3, 2, 9, 10, tzinfo=TIMEZONE)


def test_a_claim_waiting_on_a_release_is_timed_after_it(app, as_officer, clock, backend):
    holder = as_officer("h29.01.tiep_nhan")
    dossier = holder.post("/api/dossiers", json=birth_submission()).json
    task_id = dossier["tasks"][0]["id"]
    assert holder.post(f"/api/tasks/{task_id}/claim").status_code == 200
    clock.set(2026, 3, 2, 9, 5)  # the waiting claim reads the clock before the release

    answers = []
    with app.app_context():
        with db.engine.connect() as connection:
            release = connection.begin()
            # Another transaction releases the task at 09:10 and holds the row until commit.
            connection.execute(
                text(
                    "UPDATE tasks SET state = 'open', assignee_id = NULL,"
                    " assignee_username = NULL, claimed_at = NULL, changed_at = :at"
                    " WHERE id = :id"
                ),
                {"at": RELEASED_AT, "id": task_id},
            )
            claimer = threading.Thread(
                target=lambda: answers.append(
                    as_officer("h29.01.tiep_nhan2").post(f"/api/tasks/{task_id}/claim")
                )
            )
            claimer.start()
            threading.Event().wait(0.3)  # let the claim reach the lock (it is right either way)
            release.commit()
        claimer.join(timeout=30)

    [answer] = answers
    timeline = holder.get(f"/api/dossiers/{dossier['code']}").json["timeline"]
    if backend == "postgresql" and answer.status_code == 409:
        # PostgreSQL: a claim whose snapshot still saw the task held does not wait; it is
        # refused naming the holder, and logs nothing.
        assert "h29.01.tiep_nhan" in answer.json["message"]
        assert [event["action"] for event in timeline] == ["submitted", "claimed"]
        return
    # SQLite always waits here (one writer at a time); PostgreSQL if the claim began late.
    assert answer.status_code == 200, answer.json
    assert answer.json["claimed_at"] == "2026-03-02T09:10:00+07:00"
    last = timeline[-1]
    assert (last["action"], last["at"]) == ("claimed", "2026-03-02T09:10:00+07:00")


def test_a_claim_is_never_timed_before_the_release_it_follows(as_officer, clock):
    # The claimer's clock reading (09:05) came before the release was stamped (09:10), as when
    # a claim queues behind a release: the claim is timed at the release, not before it.
    holder = as_officer("h29.01.tiep_nhan")
    dossier = holder.post("/api/dossiers", json=birth_submission()).json
    task_id = dossier["tasks"][0]["id"]
    assert holder.post(f"/api/tasks/{task_id}/claim").status_code == 200
    clock.set(2026, 3, 2, 9, 10)
    assert holder.post(f"/api/tasks/{task_id}/release").status_code == 200
    clock.set(2026, 3, 2, 9, 5)
    claimed = as_officer("h29.01.tiep_nhan2").post(f"/api/tasks/{task_id}/claim")
    assert claimed.status_code == 200
    assert claimed.json["claimed_at"] == "2026-03-02T09:10:00+07:00"
    timeline = holder.get(f"/api/dossiers/{dossier['code']}").json["timeline"]
    assert [(e["action"], e["at"][11:16]) for e in timeline] == [
        ("submitted", "09:00"),
        ("claimed", "09:00"),
        ("released", "09:10"),
        ("claimed", "09:10"),
    ]
