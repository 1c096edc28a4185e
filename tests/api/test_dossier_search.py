"""GET /api/dossiers: finding the agency's dossiers, filters, accents, keyset pages, 422s."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import receive

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "NGUYỄN  VĂN AN", "Đặng Đình Đức", "Lê Văn Ánh"]


@pytest.fixture
def received(as_officer, clock):
    """Returns the codes of five H29.01 dossiers (three on Monday, two on Tuesday) and one of
    H29.02, newest last."""
    codes = []
    for index, name in enumerate(NAMES):
        if index == 3:
            clock.now += timedelta(days=1)
        dossier = receive(as_officer, applicant={"full_name": name})
        codes.append(dossier["code"])
        clock.now += timedelta(minutes=1)
    receive(as_officer, "h29.02.tiep_nhan", applicant={"full_name": "Nguyễn Văn An"})
    return codes


def search(as_officer, username="h29.01.lanh_dao", **params):
    response = as_officer(username).get("/api/dossiers", query_string=params)
    assert response.status_code == 200, response.json
    return response.json


def codes_of(page):
    return [item["code"] for item in page["items"]]


def test_lists_the_agencys_dossiers_newest_first(as_officer, received):
    page = search(as_officer)
    assert codes_of(page) == received[::-1]
    assert page["next_cursor"] is None
    first = page["items"][-1]
    assert first == {
        "code": received[0],
        "procedure_code": "1.001193",
        "procedure_name": first["procedure_name"],
        "applicant_name": "Nguyễn Văn An",
        "status": {"code": 1, "label": first["status"]["label"]},
        "received_at": "2026-03-02T09:00:00+07:00",
        "due_at": first["due_at"],
        "appointment_date": "2026-03-02",
        "overdue": first["overdue"],
        "due_soon": first["due_soon"],
    }
    assert "khai sinh" in first["procedure_name"].lower()
    other = search(as_officer, "h29.02.lanh_dao")
    assert len(other["items"]) == 1 and other["items"][0]["code"].startswith("H29.02-")


def test_applicant_ignores_case_and_vietnamese_marks(as_officer, received):
    assert codes_of(search(as_officer, applicant="nguyen van an")) == [received[2], received[0]]
    assert codes_of(search(as_officer, applicant="NGUYỄN văn")) == [received[2], received[0]]
    assert codes_of(search(as_officer, applicant="dang dinh duc")) == [received[3]]
    assert codes_of(search(as_officer, applicant="Đức")) == [received[3]]
    assert codes_of(search(as_officer, applicant="van anh")) == [received[4]]
    assert codes_of(search(as_officer, applicant="%")) == []  # no wildcard
    assert codes_of(search(as_officer, applicant="_")) == []


def test_code_status_procedure_dates_and_overdue(as_officer, received, clock):
    assert codes_of(search(as_officer, code=received[1])) == [received[1]]
    assert codes_of(search(as_officer, code="h29.01-")) == received[::-1]
    assert codes_of(search(as_officer, code="H29.02-")) == []
    assert codes_of(search(as_officer, procedure="1.001193")) == received[::-1]
    assert codes_of(search(as_officer, procedure="9.999999")) == []
    monday = search(as_officer, received_from="2026-03-02", received_to="2026-03-02")
    assert codes_of(monday) == received[2::-1]
    assert codes_of(search(as_officer, received_from="2026-03-03")) == received[:2:-1]
    assert codes_of(search(as_officer, received_to="2026-03-01")) == []
    # Reception accepts one: status 2.
    dossier = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{received[1]}").json
    task = dossier["tasks"][0]["id"]
    officer = as_officer("h29.01.tiep_nhan")
    assert officer.post(f"/api/tasks/{task}/claim").status_code == 200
    done = officer.post(f"/api/tasks/{task}/complete", json={"data": {"decision": "accept"}})
    assert done.status_code == 200
    assert codes_of(search(as_officer, status=2)) == [received[1]]
    assert len(search(as_officer, status=1)["items"]) == 4
    # Same-day deadline: on Tuesday, Monday's dossiers are overdue; a week later, all.
    assert codes_of(search(as_officer, overdue="true")) == received[2::-1]
    assert codes_of(search(as_officer, overdue="false")) == received[:2:-1]
    # Tuesday's are due today, within a working day: due soon (the inbox's rule), not overdue.
    soon = search(as_officer, due_soon="true")
    assert codes_of(soon) == received[:2:-1]
    assert all(i["due_soon"] and not i["overdue"] for i in soon["items"])
    assert codes_of(search(as_officer, due_soon="false")) == received[2::-1]
    clock.now += timedelta(days=7)
    assert codes_of(search(as_officer, due_soon="true")) == []
    page = search(as_officer, overdue="true")
    assert codes_of(page) == received[::-1] and all(i["overdue"] for i in page["items"])
    assert codes_of(search(as_officer, overdue="false")) == []


def test_keyset_pages_cover_everything_once(as_officer, received):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = search(as_officer, **params)
        seen += codes_of(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and seen == received[::-1]
    # Filters hold across pages.
    first = search(as_officer, applicant="nguyen van an", limit=1)
    second = search(as_officer, applicant="nguyen van an", limit=1, cursor=first["next_cursor"])
    assert codes_of(first) + codes_of(second) == [received[2], received[0]]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "params, field",
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 101}, "query.limit"),
        ({"status": 11}, "query.status"),
        ({"status": "x"}, "query.status"),
        ({"received_from": "2026-13-01"}, "query.received_from"),
        ({"received_to": "yesterday"}, "query.received_to"),
        ({"received_from": "2026-03-05", "received_to": "2026-03-04"}, "query.received_to"),
        ({"overdue": "maybe"}, "query.overdue"),
        ({"cursor": "not-a-cursor"}, "query.cursor"),
        ({"cursor": "WyIyMDI2LTAzLTAyVDAyOjAwOjAwKzAwOjAwIiwgImEiXQ"}, "query.cursor"),
        ({"applicant": ""}, "query.applicant"),
    ],
)
def test_bad_parameters_are_422_naming_them(as_officer, officers, params, field):
    response = as_officer("h29.01.lanh_dao").get("/api/dossiers", query_string=params)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_needs_authentication(app, officers):
    assert app.test_client().get("/api/dossiers").status_code == 401


def test_the_migration_folds_the_names_of_dossiers_received_before_it(app, as_officer, officers):
    from flask_migrate import downgrade, upgrade

    from api.store import Dossier, db

    dossier = receive(as_officer, applicant={"full_name": "Đỗ Thị Hương"})
    with app.app_context():
        downgrade(revision="0011_people_and_documents")
        upgrade()
        folded = db.session.scalar(
            db.select(Dossier.applicant_folded).where(Dossier.code == dossier["code"])
        )
    assert folded == "do thi huong"
    assert codes_of(search(as_officer, applicant="do thi huong")) == [dossier["code"]]
