"""The inbox through HTTP: keyset paging when many tasks share one due time (the task id breaks
the tie, so every task is listed exactly once), and whose claimed tasks an officer sees (their
own stay in their default inbox, other officers' leave it; `assignee=me` shows only theirs)."""

from __future__ import annotations

import pytest

from api.store import db
from tests.conftest import appraisal_task, receive

RECEPTIONIST = "h29.01.tiep_nhan"
SAME_INSTANT_DOSSIERS = 9


def walk_inbox(officer, limit: int) -> list[dict]:
    """Returns every item of the officer's inbox, page after page, following next_cursor."""
    items, cursor, pages = [], None, 0
    while True:
        url = f"/api/tasks?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = officer.get(url)
        assert page.status_code == 200, page.json
        items += page.json["items"]
        cursor = page.json["next_cursor"]
        pages += 1
        assert pages <= SAME_INSTANT_DOSSIERS + 1, "the cursor does not advance"
        if cursor is None:
            return items


def appraisal(as_officer) -> str:
    """Returns the id of a new dossier's open appraisal (tham_dinh) task."""
    return appraisal_task(as_officer)[1]


def ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


def drop_inbox_index(app) -> None:
    """Drops the inbox's index, so the database must sort: the order then comes from the
    query's ORDER BY alone, not from the index the planner happens to walk (PostgreSQL walks
    (agency_id, due_at, id) and would hide a missing id in the ORDER BY)."""
    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP INDEX ix_tasks_inbox")


@pytest.mark.parametrize("plan", ["inbox index", "sorted without the index"])
def test_inbox_pages_return_each_task_once_when_due_times_tie(app, as_officer, clock, plan):
    # The clock never moves: every dossier is received at the same instant, so their first
    # tasks share one due time and only the id orders them.
    created = [receive(as_officer)["tasks"][0] for _ in range(SAME_INSTANT_DOSSIERS)]
    assert len({task["due_at"] for task in created}) == 1
    if plan == "sorted without the index":
        drop_inbox_index(app)
    officer = as_officer(RECEPTIONIST)
    for limit in (1, 2, 4):
        walked = walk_inbox(officer, limit)
        assert len(walked) == len(set(ids(walked))), f"a task was listed twice (limit={limit})"
        assert sorted(ids(walked)) == sorted(ids(created)), f"a task was skipped (limit={limit})"
        # Due date, then id: the order the cursor resumes in.
        assert ids(walked) == sorted(ids(created)), f"ties are not ordered by id (limit={limit})"
    assert ids(officer.get("/api/tasks?limit=200").json["items"]) == sorted(ids(created))


def test_inbox_shows_my_claimed_tasks_and_hides_tasks_others_claimed(as_officer):
    mine, theirs, free = (appraisal(as_officer) for _ in range(3))
    me, colleague = as_officer("h29.01.tham_dinh"), as_officer("h29.01.tham_dinh2")
    assert me.post(f"/api/tasks/{mine}/claim").status_code == 200
    assert colleague.post(f"/api/tasks/{theirs}/claim").status_code == 200

    inbox = {item["id"]: item for item in me.get("/api/tasks").json["items"]}
    assert set(inbox) == {mine, free}
    assert (inbox[mine]["state"], inbox[mine]["assignee"]) == ("claimed", "h29.01.tham_dinh")
    assert (inbox[free]["state"], inbox[free]["assignee"]) == ("open", None)
    assert set(ids(colleague.get("/api/tasks").json["items"])) == {theirs, free}

    assert ids(me.get("/api/tasks?assignee=me").json["items"]) == [mine]
    assert ids(colleague.get("/api/tasks?assignee=me").json["items"]) == [theirs]
    # Another role sees none of them, claimed or not.
    assert as_officer(RECEPTIONIST).get("/api/tasks").json["items"] == []


def test_my_claimed_task_stays_in_my_inbox_across_pages(as_officer, clock):
    # Claimed tasks keep their place in due order: paging does not drop the holder's own.
    tasks = [appraisal(as_officer) for _ in range(3)]
    me = as_officer("h29.01.tham_dinh")
    assert me.post(f"/api/tasks/{tasks[1]}/claim").status_code == 200
    walked = walk_inbox(me, limit=1)
    assert sorted(ids(walked)) == sorted(tasks)
    assert [item["state"] for item in walked if item["id"] == tasks[1]] == ["claimed"]
