"""Procedure versions deployed by designers: a changed birth diagram uploaded, checked and put
in force from an effective date; dossiers received before keep the old version to the end,
new ones use the new; versions listed, shown and downloaded; only designers deploy."""

from __future__ import annotations

import re

from processes import CATALOGUE, read_sources
from tests.conftest import receive
from tests.groups import work_dossier


def changed_birth_diagram() -> str:
    """The shipped birth diagram with its appraisal given half a day instead of a quarter."""
    source = read_sources(CATALOGUE["1.001193"]).bpmn.decode()
    start = source.index('<bpmn:userTask id="tham_dinh"')
    end = source.index("</bpmn:userTask>", start)
    task = re.sub(
        r'name="budget_days" value="[^"]+"', 'name="budget_days" value="0.5"', source[start:end]
    )
    return source[:start] + task + source[end:]


def upload(as_officer, username, **body):
    return as_officer(username).post("/api/procedures/1.001193/versions", json=body)


def test_a_new_version_takes_effect_on_its_date_and_running_dossiers_keep_theirs(
    as_officer, designer, clock
):
    before = receive(as_officer)  # v1, received Monday 2 March
    deployed = upload(
        as_officer,
        designer,
        bpmn=changed_birth_diagram(),
        effective_from="2026-03-03T00:00:00+07:00",
    )
    assert deployed.status_code == 201, deployed.json
    body = deployed.json
    assert (body["version"], body["created"], body["in_force"]) == (2, True, False)
    assert [f["severity"] for f in body["findings"]] == ["warning", "warning"]  # the two loops
    assert receive(as_officer)["procedure_version"] == 1  # still Monday: v1 in force

    clock.set(2026, 3, 3, 8, 0)
    after = receive(as_officer)
    assert after["procedure_version"] == 2
    appraisal = {s["step"]: s["budget_days"] for s in body["steps"]}["tham_dinh"]
    assert appraisal == "0.5"
    listed = as_officer(designer).get("/api/procedures/1.001193/versions").json["items"]
    assert [(v["version"], v["in_force"]) for v in listed] == [(2, True), (1, False)]

    reader = as_officer("h29.01.tiep_nhan")
    assert reader.get(f"/api/dossiers/{before['code']}").json["procedure_version"] == 1
    work_dossier(as_officer, "H29.01", before["code"])  # the old dossier runs to its end on v1
    assert reader.get(f"/api/dossiers/{before['code']}").json["status"]["code"] == 10

    shown = as_officer(designer).get("/api/procedures/1.001193/versions/2").json
    assert shown["effective_from"] == "2026-03-03T00:00:00+07:00"
    download = as_officer(designer).get("/api/procedures/1.001193/versions/2/bpmn")
    assert download.status_code == 200 and download.mimetype == "application/xml"
    assert download.data.decode() == changed_birth_diagram()
    compared = as_officer(designer).get("/api/procedures/1.001193/versions/1/compare/2").json
    assert compared == {
        "procedure": "1.001193",
        "from": 1,
        "to": 2,
        "diagram_changed": True,
        "steps_added": [],
        "steps_removed": [],
        "steps_changed": [
            {"step": "tham_dinh", "changes": {"budget_days": {"from": "0.25", "to": "0.5"}}}
        ],
        "forms_added": [],
        "forms_removed": [],
        "forms_changed": [],
        "descriptor_changes": {},
    }
    missing = as_officer(designer).get("/api/procedures/1.001193/versions/1/compare/9")
    assert missing.status_code == 404
    again = upload(as_officer, designer, bpmn=changed_birth_diagram())
    assert again.status_code == 201 and (again.json["version"], again.json["created"]) == (2, False)


def test_only_designers_deploy_and_bad_uploads_are_refused_with_their_findings(
    as_officer, designer
):
    refused = upload(as_officer, "h29.01.lanh_dao", bpmn=changed_birth_diagram())
    assert refused.status_code == 403
    past = upload(
        as_officer,
        designer,
        bpmn=changed_birth_diagram(),
        effective_from="2026-03-01T09:00:00+07:00",
    )
    assert past.status_code == 422 and "effective_from" in past.json["errors"]
    broken = changed_birth_diagram().replace("approved == False", "duyet == False")
    rejected = upload(as_officer, designer, bpmn=broken)
    assert rejected.status_code == 422 and list(rejected.json["errors"]) == ["gw_phe_duyet"]
    assert upload(as_officer, designer, bpmn="<x/>").status_code == 422
    missing = as_officer(designer).post("/api/procedures/9.999999/versions", json={"bpmn": "<x/>"})
    assert missing.status_code == 422 and list(missing.json["errors"]) == ["descriptor"]
    versions = as_officer(designer).get("/api/procedures/1.001193/versions").json["items"]
    assert [v["version"] for v in versions] == [1]  # nothing was deployed


def test_the_console_deploys_a_version_from_a_file(app, officers, tmp_path):
    path = tmp_path / "khai_sinh.bpmn"
    path.write_text(changed_birth_diagram(), encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=[
            "procedures",
            "deploy",
            str(path),
            "--procedure",
            "1.001193",
            "--effective",
            "2026-03-04",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "1.001193 v2" in result.output and "2026-03-04T00:00:00+07:00" in result.output
