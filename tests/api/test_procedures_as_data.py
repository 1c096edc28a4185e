"""Procedures as data: a new procedure added by upload alone (its descriptor, diagram and
forms; no code), dossiers run on it; its metadata versioned with its diagram, so a dossier
counts by the deadline it was received under; descriptors refused field by field; groups
versioned the same way; the console deploys descriptor files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.services.catalogue import latest_procedure
from processes import read_package
from processes.catalogue import GROUPS_DIR
from tests.conftest import birth_declaration
from tests.groups import birth_group_submission

PACKAGE = Path(__file__).parent.parent / "fixtures" / "procedures" / "chung_thuc"
CODE = "2.000815"
PACKAGE_NOTE = "Trong ngày tiếp nhận; nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo"
GROUP_FILE = GROUPS_DIR / "lien_thong_khai_sinh.json"


def package_body(**descriptor_changes) -> dict:
    """Returns the upload of the fixture package: its diagram, forms and descriptor."""
    package = read_package(PACKAGE / "procedure.json")
    return {
        "bpmn": package.sources.bpmn.decode(),
        "forms": package.sources.forms,
        "descriptor": {**package.entry.descriptor(), **descriptor_changes},
    }


def receive_copy(as_officer) -> dict:
    answer = as_officer("h29.01.tiep_nhan").post(
        "/api/dossiers",
        json={
            "procedure": CODE,
            "applicant": {"full_name": "Lê Văn Cường"},
            "data": {"loai_giay_to": "Bằng tốt nghiệp trung học phổ thông", "so_ban_sao": 3},
        },
    )
    assert answer.status_code == 201, answer.json
    return answer.json


ANSWERS = {
    "tiep_nhan": ("tiep_nhan", {"decision": "accept"}),
    "chung_thuc_ban_sao": ("tham_dinh", {"khop_ban_chinh": True}),
    "ky_chung_thuc": ("lanh_dao", {"signed": True}),
    "tra_ket_qua": ("van_thu", {"delivered": True}),
}


def work_to_the_end(as_officer, dossier: dict) -> list[str]:
    done = []
    reader = as_officer("h29.01.lanh_dao")
    while True:
        shown = reader.get(f"/api/dossiers/{dossier['code']}").json
        open_tasks = [t for t in shown["tasks"] if t["state"] in ("open", "claimed")]
        if not open_tasks:
            return done
        task = open_tasks[0]
        role, answers = ANSWERS[task["step"]]
        officer = as_officer(f"h29.01.{role}")
        assert officer.post(f"/api/tasks/{task['id']}/claim").status_code == 200
        completed = officer.post(f"/api/tasks/{task['id']}/complete", json={"data": answers})
        assert completed.status_code == 200, completed.json
        done.append(task["step"])


def test_a_new_procedure_is_added_by_upload_alone_and_dossiers_run_on_it(as_officer, designer):
    designer_client = as_officer(designer)
    assert designer_client.get(f"/api/procedures/{CODE}").status_code == 404
    refused = as_officer("h29.01.tiep_nhan").post(
        "/api/dossiers",
        json={"procedure": CODE, "applicant": {"full_name": "A"}, "data": {}},
    )
    assert refused.status_code == 422 and "procedure" in refused.json["errors"]

    deployed = designer_client.post(f"/api/procedures/{CODE}/versions", json=package_body())
    assert deployed.status_code == 201, deployed.json
    assert (deployed.json["version"], deployed.json["created"]) == (1, True)
    assert deployed.json["descriptor"]["name"] == "Chứng thực bản sao từ bản chính giấy tờ, văn bản"
    assert [step["step"] for step in deployed.json["steps"]] == [
        "tiep_nhan",
        "chung_thuc_ban_sao",
        "ky_chung_thuc",
        "tra_ket_qua",
    ]

    catalogue = {p["code"]: p for p in designer_client.get("/api/procedures").json}
    assert catalogue[CODE]["deadline"]["value"] == "1"
    assert catalogue[CODE]["agency_kind"] == "ubnd_xa"
    shown = designer_client.get(f"/api/procedures/{CODE}").json
    assert shown["declaration_schema"]["required"] == ["loai_giay_to", "so_ban_sao"]

    dossier = receive_copy(as_officer)
    assert dossier["procedure_code"] == CODE
    assert work_to_the_end(as_officer, dossier) == [
        "tiep_nhan",
        "chung_thuc_ban_sao",
        "ky_chung_thuc",
        "tra_ket_qua",
    ]
    finished = as_officer("h29.01.lanh_dao").get(f"/api/dossiers/{dossier['code']}").json
    assert finished["status"]["code"] == 10


def test_metadata_is_versioned_with_the_diagram(as_officer, designer, clock):
    designer_client = as_officer(designer)
    assert (
        designer_client.post(f"/api/procedures/{CODE}/versions", json=package_body()).status_code
        == 201
    )
    early = receive_copy(as_officer)
    longer = package_body(
        legal_deadline={"working_days": "3", "note": ""}, name="Chứng thực bản sao"
    )
    second = designer_client.post(f"/api/procedures/{CODE}/versions", json=longer)
    assert second.status_code == 201 and second.json["version"] == 2, second.json
    # The same diagram and forms with the same descriptor deploy nothing new.
    again = designer_client.post(f"/api/procedures/{CODE}/versions", json=longer)
    assert (again.json["version"], again.json["created"]) == (2, False)
    # Without a descriptor, the newest version's metadata stays.
    kept = dict(longer)
    kept.pop("descriptor")
    assert designer_client.post(f"/api/procedures/{CODE}/versions", json=kept).json["version"] == 2

    late = receive_copy(as_officer)
    reader = as_officer("h29.01.lanh_dao")
    first_due = reader.get(f"/api/dossiers/{early['code']}").json["due_at"]
    second_due = reader.get(f"/api/dossiers/{late['code']}").json["due_at"]
    assert first_due < second_due  # 1 working day, then 3, from the same clock
    compared = designer_client.get(f"/api/procedures/{CODE}/versions/1/compare/2").json
    assert compared["descriptor_changes"] == {
        "legal_deadline": {
            "from": {"working_days": "1", "note": PACKAGE_NOTE},
            "to": {"working_days": "3", "note": ""},
        },
        "name": {
            "from": "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
            "to": "Chứng thực bản sao",
        },
    }
    assert compared["steps_changed"] == [] and not compared["diagram_changed"]
    versions = designer_client.get(f"/api/procedures/{CODE}/versions").json["items"]
    assert [(v["version"], v["descriptor"]["name"]) for v in versions] == [
        (2, "Chứng thực bản sao"),
        (1, "Chứng thực bản sao từ bản chính giấy tờ, văn bản"),
    ]
    catalogue = {p["code"]: p for p in designer_client.get("/api/procedures").json}
    assert catalogue[CODE]["name"] == "Chứng thực bản sao"
    assert catalogue[CODE]["deadline"]["value"] == "3"


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"code": "2.000816"}, ["descriptor.code"]),
        ({"agency_kind": "toa_an"}, ["descriptor.agency_kind"]),
        ({"legal_deadline": {"working_days": "-1"}}, ["descriptor.legal_deadline.working_days"]),
        ({"legal_deadline": {"working_days": "0.3"}}, ["descriptor.legal_deadline.working_days"]),
        ({"name": "", "process_id": "1 bad"}, ["descriptor.name", "descriptor.process_id"]),
        ({"declaration_form": "khong_co"}, ["descriptor.declaration_form"]),
        ({"supplement_days": True, "extra": 1}, ["descriptor.supplement_days", "descriptor.extra"]),
        ({"kind": "group"}, None),
    ],
)
def test_a_bad_descriptor_is_refused_naming_each_field(as_officer, designer, changes, fields):
    answer = as_officer(designer).post(
        f"/api/procedures/{CODE}/versions", json=package_body(**changes)
    )
    assert answer.status_code == 422, answer.json
    if fields is not None:
        assert sorted(answer.json["errors"]) == sorted(fields)
    assert as_officer(designer).get(f"/api/procedures/{CODE}/versions").status_code == 404


def test_a_descriptor_must_fit_its_diagram_and_forms(as_officer, designer):
    client = as_officer(designer)
    no_form = client.post(
        f"/api/procedures/{CODE}/versions",
        json=package_body(declaration_form="chung_thuc/khong_co"),
    )
    assert no_form.status_code == 422 and "forms" in no_form.json["errors"]
    no_process = client.post(
        f"/api/procedures/{CODE}/versions", json=package_body(process_id="khac")
    )
    assert no_process.status_code == 422 and "document" in no_process.json["errors"]
    group_code = client.post("/api/procedures/LT-KS/versions", json={**package_body(code="LT-KS")})
    assert group_code.status_code == 422
    assert client.get(f"/api/procedures/{CODE}/versions").status_code == 404


def test_the_check_takes_a_descriptor_of_a_procedure_not_yet_deployed(as_officer, designer):
    body = package_body()
    report = as_officer(designer).post(
        "/api/procedures/check",
        json={"bpmn": body["bpmn"], "forms": body["forms"], "descriptor": body["descriptor"]},
    )
    assert report.status_code == 200, report.json
    assert (report.json["ok"], report.json["process_id"]) == (True, "chung_thuc")
    tight = {**body["descriptor"], "legal_deadline": {"working_days": "0.5"}}
    over = as_officer(designer).post(
        "/api/procedures/check",
        json={"bpmn": body["bpmn"], "forms": body["forms"], "descriptor": tight},
    )
    assert over.json["warnings"] == 1 and over.json["findings"][0]["element"] == "chung_thuc"


def test_a_group_is_checked_and_versioned_and_its_dossiers_keep_their_version(
    as_officer, designer, group_officers, clock
):
    package = read_package(GROUP_FILE)
    client = as_officer(designer)
    report = client.post(
        "/api/procedures/check", json={"bpmn": package.sources.bpmn.decode(), "procedure": "LT-KS"}
    )
    assert report.status_code == 200, report.json
    assert report.json["ok"] and report.json["process_ids"] == [
        "khai_sinh",
        "thuong_tru",
        "bhyt_tre_em",
    ]

    listed = client.get("/api/procedures/LT-KS/versions").json["items"]
    assert [(v["kind"], v["version"], v["in_force"]) for v in listed] == [("group", 1, True)]
    assert {m["procedure"] for m in listed[0]["members"]} == {"1.001193", "1.004194", "1.011605"}

    before = (
        as_officer("h29.01.tiep_nhan")
        .post("/api/dossiers", json=birth_group_submission(birth_declaration()))
        .json
    )
    descriptor = package.entry.descriptor()
    descriptor["members"][1]["share_days"] = "3"
    descriptor["legal_deadline"] = {"working_days": "4", "note": ""}
    deployed = client.post(
        "/api/procedures/LT-KS/versions",
        json={
            "bpmn": package.sources.bpmn.decode(),
            "forms": package.sources.forms,
            "descriptor": descriptor,
        },
    )
    assert deployed.status_code == 201, deployed.json
    assert (deployed.json["kind"], deployed.json["version"]) == ("group", 2)
    after = (
        as_officer("h29.01.tiep_nhan")
        .post("/api/dossiers", json=birth_group_submission(birth_declaration()))
        .json
    )
    reader = as_officer("h29.01.lanh_dao")
    old, new = (reader.get(f"/api/dossiers/{d['code']}").json for d in (before, after))
    assert (old["group_version"], new["group_version"]) == (1, 2)
    shares = {p["procedure"]: p["share_days"] for p in new["parts"]}
    assert shares["1.004194"] == "3"
    assert {p["procedure"]: p["share_days"] for p in old["parts"]}["1.004194"] == "2"
    assert old["due_at"] < new["due_at"]
    assert client.get("/api/procedures/LT-KS").json["version"] == 2
    compared = client.get("/api/procedures/LT-KS/versions/1/compare/2")
    assert compared.status_code == 200, compared.json
    assert compared.json["descriptor_changes"] == {
        "legal_deadline": {
            "from": {"working_days": "3", "note": ""},
            "to": {"working_days": "4", "note": ""},
        }
    }
    assert compared.json["members_changed"] == [
        {"procedure": "1.004194", "changes": {"share_days": {"from": "2", "to": "3"}}}
    ]
    assert compared.json["members_added"] == compared.json["members_removed"] == []
    assert compared.json["member_versions"] == []  # the same diagram and forms: same members
    assert compared.json["diagram_changed"] is False


def test_the_console_deploys_descriptor_files(app, officers, tmp_path):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["procedures", "deploy", str(PACKAGE / "procedure.json")])
    assert first.exit_code == 0, first.output
    assert f"{CODE} v1" in first.output and "(new version)" in first.output
    again = runner.invoke(args=["procedures", "deploy", str(PACKAGE / "procedure.json")])
    assert "(unchanged)" in again.output
    shipped = runner.invoke(args=["procedures", "deploy", str(GROUP_FILE)])
    assert shipped.exit_code == 0 and "LT-KS v1" in shipped.output and "unchanged" in shipped.output

    bad = tmp_path / "procedure.json"
    descriptor = json.loads((PACKAGE / "procedure.json").read_text("utf-8"))
    descriptor.update(agency_kind="toa_an", diagram=str(PACKAGE / "chung_thuc.bpmn"))
    bad.write_text(json.dumps(descriptor), "utf-8")
    refused = runner.invoke(args=["procedures", "deploy", str(bad)])
    assert refused.exit_code != 0 and "agency_kind" in refused.output
    with app.app_context():
        assert latest_procedure(CODE).agency_kind.value == "ubnd_xa"
