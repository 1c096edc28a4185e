"""A dossier's timeline (GET /api/dossiers/{code}): a release is logged, by the officer who
released, after the claim it undoes; events come oldest first, and events that share one
instant keep the order they were written in, wherever their rows lie on disk."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select

from api.store import Dossier, Event, db
from tests.conftest import appraisal_task, receive

RECEPTIONIST = "h29.01.tiep_nhan"
EVENTS = Event.__table__


def timeline(as_officer, code: str) -> list[dict]:
    response = as_officer(RECEPTIONIST).get(f"/api/dossiers/{code}")
    assert response.status_code == 200, response.json
    return response.json["timeline"]


def appraisal(as_officer) -> tuple[str, str]:
    """Returns a new dossier's code and its open appraisal task."""
    dossier, task_id = appraisal_task(as_officer)
    return dossier["code"], task_id


def events_of(entries: list[dict], task_id: str) -> list[tuple[str, str | None]]:
    return [(e["action"], e["officer"]) for e in entries if e["task_id"] == task_id]


@pytest.mark.parametrize(
    "releaser", ["h29.01.tham_dinh", "h29.01.lanh_dao"], ids=["holder", "leader"]
)
def test_a_release_is_logged_by_the_releasing_officer_after_the_claim(as_officer, clock, releaser):
    code, task_id = appraisal(as_officer)
    clock.set(2026, 3, 2, 10, 0)
    assert as_officer("h29.01.tham_dinh").post(f"/api/tasks/{task_id}/claim").status_code == 200
    clock.set(2026, 3, 2, 10, 15)
    released = as_officer(releaser).post(f"/api/tasks/{task_id}/release")
    assert released.status_code == 200, released.json

    entries = timeline(as_officer, code)
    assert events_of(entries, task_id) == [("claimed", "h29.01.tham_dinh"), ("released", releaser)]
    [event] = [e for e in entries if e["action"] == "released"]
    assert event["step"] == "tham_dinh"
    assert event["at"] == "2026-03-02T10:15:00+07:00"
    assert event["detail"]["holder"] == "h29.01.tham_dinh"
    assert event["status_before"] is None and event["status_after"] is None
    assert entries.index(event) == len(entries) - 1  # the newest entry


def test_a_release_and_a_claim_by_another_officer_at_one_instant_read_in_order(as_officer, clock):
    code, task_id = appraisal(as_officer)
    for username in ("h29.01.tham_dinh", "h29.01.tham_dinh2"):
        officer = as_officer(username)
        assert officer.post(f"/api/tasks/{task_id}/claim").status_code == 200
        assert officer.post(f"/api/tasks/{task_id}/release").status_code == 200
    assert events_of(timeline(as_officer, code), task_id) == [
        ("claimed", "h29.01.tham_dinh"),
        ("released", "h29.01.tham_dinh"),
        ("claimed", "h29.01.tham_dinh2"),
        ("released", "h29.01.tham_dinh2"),
    ]


def store_events_in_reverse(app, code: str) -> None:
    """Rewrites a dossier's event rows, same ids and values, newest first: a table scan then
    meets them in the reverse of the order they were written (on PostgreSQL; SQLite keeps
    rows in id order whatever happens). Only the ORDER BY may decide the timeline."""
    with app.app_context():
        with db.engine.begin() as connection:
            dossier_id = connection.execute(
                select(Dossier.id).where(Dossier.code == code)
            ).scalar_one()
            rows = (
                connection.execute(
                    select(EVENTS)
                    .where(EVENTS.c.dossier_id == dossier_id)
                    .order_by(EVENTS.c.id.desc())
                )
                .mappings()
                .all()
            )
            connection.execute(delete(EVENTS).where(EVENTS.c.dossier_id == dossier_id))
            for row in rows:
                connection.execute(insert(EVENTS).values(**row))


@pytest.mark.parametrize("storage", ["as written", "rows stored in reverse"])
def test_timeline_is_oldest_first_and_keeps_the_written_order_within_an_instant(
    app, as_officer, clock, storage
):
    dossier = receive(as_officer)  # 09:00
    code, task_id = dossier["code"], dossier["tasks"][0]["id"]
    clock.set(2026, 3, 2, 9, 20)  # claim, release and a claim by another officer: one instant
    assert as_officer(RECEPTIONIST).post(f"/api/tasks/{task_id}/claim").status_code == 200
    assert as_officer(RECEPTIONIST).post(f"/api/tasks/{task_id}/release").status_code == 200
    second = as_officer("h29.01.tiep_nhan2")
    assert second.post(f"/api/tasks/{task_id}/claim").status_code == 200
    clock.set(2026, 3, 2, 9, 40)
    done = second.post(f"/api/tasks/{task_id}/complete", json={"data": {"decision": "accept"}})
    assert done.status_code == 200, done.json
    if storage == "rows stored in reverse":
        store_events_in_reverse(app, code)

    entries = timeline(as_officer, code)
    assert [(e["action"], e["officer"], e["at"][11:16]) for e in entries] == [
        ("submitted", RECEPTIONIST, "09:00"),
        ("claimed", RECEPTIONIST, "09:20"),
        ("released", RECEPTIONIST, "09:20"),
        ("claimed", "h29.01.tiep_nhan2", "09:20"),
        ("completed", "h29.01.tiep_nhan2", "09:40"),
    ]
