"""Both interlinked groups end to end through the API: one submission at the commune, one
code and one appointment; each chosen agency receives its handoff and only its data, works
its own tasks, and the group dossier reaches 10 only when every chosen procedure returned
its result. Background work runs in-process here (no REDIS_URL); tests/integration runs it
on rq workers."""

from __future__ import annotations

import pytest

from tests.conftest import birth_declaration
from tests.groups import (
    BHYT,
    THUONG_TRU,
    birth_group_submission,
    death_group_submission,
    work_dossier,
)

pytestmark = pytest.mark.usefixtures("group_officers")


def receive_group(as_officer, body) -> dict:
    response = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=body)
    assert response.status_code == 201, response.json
    return response.json


def parts_by_procedure(group: dict) -> dict[str, dict]:
    return {part["procedure"]: part for part in group["parts"]}


def child_code(as_officer, username: str, group_code: str) -> str | None:
    """Returns the code of the agency's own dossier in the group, as it sees the group."""
    response = as_officer(username).get(f"/api/dossiers/{group_code}")
    assert response.status_code == 200, response.json
    codes = [p["dossier_code"] for p in response.json["parts"] if p["dossier_code"]]
    return codes[0] if codes else None


def test_the_birth_group_runs_end_to_end_and_returns_only_when_every_agency_has(as_officer, clock):
    group = receive_group(as_officer, birth_group_submission(birth_declaration()))
    code = group["code"]
    assert group["kind"] == "group" and group["group_code"] == "LT-KS"
    assert group["status"]["code"] == 1
    # Received Monday 09:00 with 3 working days: one appointment for the whole group.
    assert group["due_at"] == "2026-03-05T09:00:00+07:00"
    assert group["appointment_date"] == "2026-03-05"
    parts = parts_by_procedure(group)
    assert list(parts) == ["1.001193", "1.004194", "1.011605"]
    assert parts["1.001193"]["taken_over_at"] == "2026-03-02T09:00:00+07:00"
    assert parts["1.001193"]["due_at"] == "2026-03-02T17:00:00+07:00"  # same working day
    assert parts["1.004194"]["taken_over_at"] is None and parts["1.004194"]["agency"] is None

    commune = child_code(as_officer, "h29.01.tiep_nhan", code)
    # Nobody downstream hears of it before the commune signs.
    assert as_officer("ca29.01.tham_dinh").get("/api/tasks").json["items"] == []
    clock.set(2026, 3, 2, 10, 0)
    assert work_dossier(as_officer, "H29.01", commune) == [
        "tiep_nhan",
        "tham_dinh",
        "phe_duyet",
        "ky_so",
        "tra_ket_qua",
    ]
    group = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
    parts = parts_by_procedure(group)
    # The commune returned its own result; the group is not returned until the others have.
    assert parts["1.001193"]["status"]["code"] == 10
    assert parts["1.001193"]["outcome"] == "on_time"
    assert group["status"]["code"] == 4 and group["finished_at"] is None
    for procedure, agency in (("1.004194", "CA29.01"), ("1.011605", "BH29")):
        assert parts[procedure]["agency"]["code"] == agency
        assert parts[procedure]["handed_over_at"] == "2026-03-02T10:00:00+07:00"
        assert parts[procedure]["taken_over_at"] == "2026-03-02T10:00:00+07:00"
        assert parts[procedure]["due_at"] == "2026-03-04T10:00:00+07:00"  # 2 working days

    # After the signature, police and social insurance both have their first task.
    [police_task] = as_officer("ca29.01.tham_dinh").get("/api/tasks").json["items"]
    [insurance_task] = as_officer("bh29.tham_dinh").get("/api/tasks").json["items"]
    assert police_task["step"] == "thuong_tru_tham_dinh"
    assert insurance_task["step"] == "bhyt_tre_em_tham_dinh"
    # Each receives only what its message declares: no other agency's part.
    police = as_officer("ca29.01.tham_dinh").get(f"/api/tasks/{police_task['id']}").json
    assert police["data"]["ho_so"]["thuong_tru"] == THUONG_TRU
    assert police["data"]["ho_so"]["so_dinh_danh"] == "001226012345"
    assert "bhyt" not in police["data"]["ho_so"] and "declaration" not in police["data"]
    assert "parts" not in police["data"]["group"]
    insurance = as_officer("bh29.tham_dinh").get(f"/api/tasks/{insurance_task['id']}").json
    assert insurance["data"]["ho_so"]["bhyt"] == BHYT
    assert "thuong_tru" not in insurance["data"]["ho_so"]

    # Each agency sees the group's control slip, its own dossier, and nobody else's data.
    police_view = as_officer("ca29.01.tham_dinh").get(f"/api/dossiers/{code}").json
    assert police_view["declaration"] is None
    assert police_view["applicant"] == {"full_name": "Trần Thị Bình"}
    assert [p["dossier_code"] is not None for p in police_view["parts"]] == [False, True, False]
    assert as_officer("ca29.01.tham_dinh").get(f"/api/dossiers/{commune}").status_code == 404
    assert as_officer("xh29.tham_dinh").get(f"/api/dossiers/{code}").status_code == 404
    assert as_officer("h29.02.tiep_nhan").get(f"/api/dossiers/{code}").status_code == 404

    police_code = child_code(as_officer, "ca29.01.van_thu", code)
    clock.set(2026, 3, 3, 14, 0)
    work_dossier(as_officer, "CA29.01", police_code)
    group = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
    assert group["status"]["code"] == 4 and group["finished_at"] is None  # BHXH has not

    clock.set(2026, 3, 4, 13, 30)
    work_dossier(as_officer, "BH29", child_code(as_officer, "bh29.van_thu", code))
    group = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
    assert group["status"]["code"] == 10
    assert group["finished_at"] == "2026-03-04T13:30:00+07:00"
    assert group["outcome"] == "early"  # the 4th, before the appointment on the 5th
    parts = parts_by_procedure(group)
    assert parts["1.004194"]["finished_at"] == "2026-03-03T14:00:00+07:00"
    assert parts["1.004194"]["outcome"] == "early"
    # Due the 4th at 10:00, finished 13:30: past the morning session that held the due
    # instant, so late — the agency that caused a delay is visible on the slip.
    assert parts["1.011605"]["outcome"] == "late"


def test_the_death_group_runs_only_the_chosen_procedures(as_officer, clock):
    group = receive_group(as_officer, death_group_submission("tro_cap_mai_tang"))
    assert group["procedures"] == ["1.000656", "1.011606"]
    assert list(parts_by_procedure(group)) == ["1.000656", "1.011606"]
    assert group["due_at"] == "2026-03-09T09:00:00+07:00"  # 5 working days
    commune = child_code(as_officer, "h29.01.tiep_nhan", group["code"])
    work_dossier(as_officer, "H29.01", commune)
    # Police and social protection were not chosen: they never hear of it.
    assert as_officer("ca29.01.tham_dinh").get("/api/tasks").json["items"] == []
    assert as_officer("xh29.tham_dinh").get("/api/tasks").json["items"] == []
    [task] = as_officer("bh29.tham_dinh").get("/api/tasks").json["items"]
    assert task["step"] == "tro_cap_mai_tang_tham_dinh"
    group = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{group['code']}").json
    assert group["status"]["code"] == 4
    work_dossier(as_officer, "BH29", child_code(as_officer, "bh29.van_thu", group["code"]))
    group = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{group['code']}").json
    assert group["status"]["code"] == 10


def test_the_death_group_with_every_procedure_involves_four_agencies(as_officer, clock):
    follow_ons = ("xoa_thuong_tru", "tro_cap_mai_tang", "ho_tro_mai_tang")
    group = receive_group(as_officer, death_group_submission(*follow_ons))
    code = group["code"]
    work_dossier(as_officer, "H29.01", child_code(as_officer, "h29.01.tiep_nhan", code))
    agencies = {"1.004227": "CA29.01", "1.011606": "BH29", "1.011607": "XH29"}
    for procedure, agency in agencies.items():
        state = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
        assert state["status"]["code"] == 4, procedure
        work_dossier(as_officer, agency, child_code(as_officer, f"{agency.lower()}.van_thu", code))
    state = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
    assert state["status"]["code"] == 10
    assert {p["agency"]["code"] for p in state["parts"]} == {"H29.01", *agencies.values()}


@pytest.mark.parametrize(
    "procedures, message",
    [
        (["1.000656"], "choose 2 to 4"),
        (["1.000656", "1.004227", "1.004227"], "list each once"),
        (["1.000656", "1.004194"], "not in LT-KT"),
    ],
)
def test_the_death_group_refuses_a_choice_outside_its_rules(as_officer, procedures, message):
    body = death_group_submission("xoa_thuong_tru", procedures=procedures)
    response = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=body)
    assert response.status_code == 422
    assert message in str(response.json["errors"]["procedures"])


def test_a_group_declaration_is_checked_part_by_part_and_nothing_is_kept(as_officer, app):
    body = birth_group_submission(birth_declaration())
    del body["data"]["thuong_tru"]["chu_ho"]
    body["data"]["bhyt_tre_em"]["hinh_thuc_nhan_the"] = "bồ câu"
    body["data"]["ke_khai_khac"] = {}
    response = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=body)
    assert response.status_code == 422
    errors = response.json["errors"]
    assert "data.thuong_tru.chu_ho" in errors or "data.thuong_tru" in errors
    assert any(key.startswith("data.bhyt_tre_em") for key in errors)
    assert "data.ke_khai_khac" in errors
    from api.store import GroupDossier, db

    with app.app_context():
        assert db.session.query(GroupDossier).count() == 0


def test_the_catalogue_publishes_each_group_and_procedure_declaration_schema(as_officer):
    officer = as_officer("h29.01.tiep_nhan")
    birth = officer.get("/api/procedures/LT-KS").json
    assert birth["kind"] == "group"
    schema = birth["declaration_schema"]
    assert set(schema["properties"]) == {"khai_sinh", "thuong_tru", "bhyt_tre_em"}
    assert schema["required"] == ["khai_sinh", "thuong_tru", "bhyt_tre_em"]
    assert [m["share_days"] for m in birth["members"]] == ["0", "2", "2"]
    assert birth["deadline"]["value"] == "3" and birth["deadline_verification"]["value"] == "5"
    death = officer.get("/api/procedures/LT-KT").json
    assert death["declaration_schema"]["required"] == ["khai_tu"]
    assert (death["min_procedures"], death["max_procedures"]) == (2, 4)
    police = officer.get("/api/procedures/1.004194").json
    assert police["kind"] == "procedure" and police["group"] == "LT-KS"
    assert police["starts_with"] == "message"
    assert "so_dinh_danh" in police["declaration_schema"]["properties"]
    assert officer.get("/api/procedures/9.999999").status_code == 404


def test_a_follow_on_procedure_is_received_alone_at_its_own_agency(as_officer, clock):
    # Permanent residence without a birth: the police counter receives the same declaration
    # the commune's message would carry.
    declaration = {
        "so_dang_ky_khai_sinh": "45/2026",
        "so_dinh_danh": "001226099999",
        "tre_em": {"ho_ten": "Phạm Gia Huy", "ngay_sinh": "2026-01-05", "gioi_tinh": "male"},
        "thuong_tru": THUONG_TRU,
    }
    body = {
        "procedure": "1.004194",
        "applicant": {"full_name": "Phạm Văn Hải"},
        "data": declaration,
    }
    commune = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=body)
    assert commune.status_code == 422  # a commune does not register residence
    received = as_officer("ca29.01.tiep_nhan").post("/api/dossiers", json=body)
    assert received.status_code == 201, received.json
    dossier = received.json
    assert dossier["group_code"] is None and dossier["code"].startswith("CA29.01-")
    [task] = dossier["tasks"]
    assert task["step"] == "thuong_tru_tham_dinh"
    detail = as_officer("ca29.01.tham_dinh").get(f"/api/tasks/{task['id']}").json
    assert detail["data"]["ho_so"] == declaration and detail["data"]["group"] is None
    work_dossier(as_officer, "CA29.01", dossier["code"])
    done = as_officer("ca29.01.van_thu").get(f"/api/dossiers/{dossier['code']}").json
    assert done["status"]["code"] == 10


def test_a_choice_of_procedures_belongs_to_a_group_and_the_death_group_needs_one(as_officer):
    officer = as_officer("h29.01.tiep_nhan")
    single = birth_group_submission(birth_declaration())
    single.update(procedure="1.001193", data=birth_declaration(), procedures=["1.001193"])
    response = officer.post("/api/dossiers", json=single)
    assert response.status_code == 422 and "procedures" in response.json["errors"]
    unchosen = death_group_submission("xoa_thuong_tru")
    del unchosen["procedures"]
    response = officer.post("/api/dossiers", json=unchosen)
    assert response.status_code == 422
    assert "1.000656 is always included" in str(response.json["errors"]["procedures"])


def test_a_birth_group_needing_verification_gets_five_days_and_the_police_their_five(
    as_officer, clock
):
    body = birth_group_submission(birth_declaration(), verification=True)
    group = receive_group(as_officer, body)
    assert group["verification"] is True
    assert group["due_at"] == "2026-03-09T09:00:00+07:00"  # Monday + 5 working days
    parts = parts_by_procedure(group)
    assert [parts[p]["share_days"] for p in parts] == ["0", "5", "2"]
    work_dossier(as_officer, "H29.01", child_code(as_officer, "h29.01.tiep_nhan", group["code"]))
    parts = parts_by_procedure(
        as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{group['code']}").json
    )
    assert parts["1.004194"]["due_at"] == "2026-03-09T09:00:00+07:00"
    assert parts["1.011605"]["due_at"] == "2026-03-04T09:00:00+07:00"
