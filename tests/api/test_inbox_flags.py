"""The inbox says which tasks are overdue and which are due soon (not yet due, but due within
a working day of office time), and filters by either; the dossier view says the same."""

from __future__ import annotations

import pytest

from tests.api.test_apologies_and_outcomes import residence_dossier
from tests.conftest import receive

pytestmark = pytest.mark.usefixtures("group_officers")


def inbox(as_officer, username: str, query: str = "") -> list[dict]:
    response = as_officer(username).get(f"/api/tasks{query}")
    assert response.status_code == 200, response.json
    return response.json["items"]


def flags(items: list[dict]) -> list[tuple[str, bool, bool]]:
    return [(t["step"], t["overdue"], t["due_soon"]) for t in items]


def test_due_soon_and_overdue_flags_and_filters(as_officer, clock):
    birth = receive(as_officer)  # Monday 09:00: reception's step is due at 10:00
    residence = residence_dossier(as_officer)  # its appraisal is due Tuesday 09:00
    assert flags(inbox(as_officer, "h29.01.tiep_nhan")) == [("tiep_nhan", False, True)]
    # Exactly one working day ahead is not yet "soon"; a minute later it is.
    assert flags(inbox(as_officer, "ca29.01.tham_dinh")) == [("thuong_tru_tham_dinh", False, False)]
    assert inbox(as_officer, "ca29.01.tham_dinh", "?due_soon=true") == []
    clock.set(2026, 3, 2, 9, 1)
    assert flags(inbox(as_officer, "ca29.01.tham_dinh", "?due_soon=true")) == [
        ("thuong_tru_tham_dinh", False, True)
    ]

    clock.set(2026, 3, 2, 10, 30)
    assert flags(inbox(as_officer, "h29.01.tiep_nhan")) == [("tiep_nhan", True, False)]
    assert inbox(as_officer, "h29.01.tiep_nhan", "?due_soon=true") == []
    assert len(inbox(as_officer, "h29.01.tiep_nhan", "?due_soon=false")) == 1
    assert len(inbox(as_officer, "h29.01.tiep_nhan", "?overdue=true")) == 1
    view = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{birth['code']}").json
    assert [(t["overdue"], t["due_soon"]) for t in view["tasks"]] == [(True, False)]
    view = as_officer("ca29.01.tham_dinh").get(f"/api/dossiers/{residence['code']}").json
    assert [(t["overdue"], t["due_soon"]) for t in view["tasks"]] == [(False, True)]
    assert as_officer("h29.01.tiep_nhan").get("/api/tasks?due_soon=maybe").status_code == 422
