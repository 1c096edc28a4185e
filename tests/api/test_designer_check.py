"""The designer's check over HTTP and on the console: a report of every finding, never a
500 and never an exception's text, whatever is uploaded."""

from __future__ import annotations

import json

import pytest

from tests.engine.conftest import FIXTURES, fixture_bytes

FORMS = {"test/check": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}


def check(as_officer, **body):
    return as_officer("h29.01.tiep_nhan").post("/api/procedures/check", json=body)


def test_a_broken_diagram_gets_every_finding_in_reading_order(as_officer):
    bpmn = fixture_bytes("broken/many_errors.bpmn").decode()
    response = check(as_officer, bpmn=bpmn, process_id="p", forms=FORMS)
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["ok"], report["errors"], report["warnings"]) == (False, 12, 0)
    lines = [f["line"] for f in report["findings"]]
    assert lines == sorted(lines) and None not in lines
    first = report["findings"][0]
    assert first == {
        "severity": "error",
        "element": "gw",
        "name": "Hợp lệ?",
        "line": 21,
        "message": "its default 'nowhere' is not one of its outgoing flows",
    }
    assert not any(
        "Traceback" in f["message"] or "Error:" in f["message"] for f in report["findings"]
    )


def test_the_shipped_birth_diagram_checks_with_its_forms_and_deadline(as_officer):
    bpmn = (FIXTURES.parent.parent.parent / "bpmn/groups/lien_thong_khai_sinh.bpmn").read_text()
    response = check(as_officer, bpmn=bpmn, procedure="1.001193")
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["ok"], report["process_id"], report["errors"]) == (True, "khai_sinh", 0)
    assert {f["element"] for f in report["findings"]} == {"nhan_bo_sung", "phe_duyet"}
    # Without naming the process, a file of several pools is asked which one.
    several = check(as_officer, bpmn=bpmn).json
    assert several["ok"] is False
    assert several["findings"][0]["message"].startswith("name the process to check")


def test_entity_tricks_and_garbage_are_reports_not_errors(as_officer):
    for name in ("billion_laughs.bpmn", "external_entity.bpmn"):
        report = check(as_officer, bpmn=fixture_bytes(name).decode(), process_id="p").json
        assert report["ok"] is False
        assert [f["element"] for f in report["findings"]] == ["document"]
        assert "DOCTYPE" in report["findings"][0]["message"]
    for garbage in ("x", "<a>", "<bpmn:definitions/>", "\u0000"):
        response = check(as_officer, bpmn=garbage, process_id="p")
        assert response.status_code in (200, 422), response.json


def test_bad_requests_name_their_field(app, as_officer):
    assert check(as_officer).status_code == 422
    assert "bpmn" in check(as_officer).json["errors"]
    unknown = check(as_officer, bpmn="<x/>", procedure="9.999999")
    assert unknown.status_code == 422 and "procedure" in unknown.json["errors"]
    large = check(as_officer, bpmn="x" * (2 * 1024 * 1024 + 1), process_id="p")
    assert large.status_code == 422 and "bpmn" in large.json["errors"]
    anonymous = app.test_client().post("/api/procedures/check", json={"bpmn": "<x/>"})
    assert anonymous.status_code == 401


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_the_console_check_prints_file_lines_and_exits_1_on_an_error(app, officers, tmp_path):
    path = FIXTURES / "broken" / "many_errors.bpmn"
    forms = tmp_path / "test"
    forms.mkdir()
    (forms / "check.json").write_text(json.dumps(FORMS["test/check"]))
    code, out = run(app, "procedures", "check", str(path), "--process", "p", "--forms", str(forms))
    assert code == 1, out
    assert "many_errors.bpmn:21: error: gw (Hợp lệ?): its default 'nowhere'" in out
    assert out.strip().endswith("12 error(s), 0 warning(s): it would not deploy")
    code, out = run(app, "procedures", "check", str(path), "--process", "p", "--json")
    assert code == 1 and json.loads(out)["errors"] >= 12
    shipped = FIXTURES.parent.parent.parent / "bpmn/groups/lien_thong_khai_tu.bpmn"
    code, out = run(app, "procedures", "check", str(shipped), "--procedure", "1.000656")
    assert code == 0 and "0 error(s), 0 warning(s)" in out


def test_a_diagram_that_would_fail_at_run_time_is_refused_by_the_check_and_at_deploy(
    app, as_officer, clock, monkeypatch
):
    from engine import DiagramRejected
    from processes import CATALOGUE, read_sources
    from tests.conftest import deploy_test_procedure

    birth = CATALOGUE["1.001193"]
    sources = read_sources(birth)
    broken = sources.bpmn.replace(b"approved == False", b"duyet == False")
    report = check(as_officer, bpmn=broken.decode(), procedure="1.001193").json
    assert report["ok"] is False
    [finding] = [f for f in report["findings"] if f["severity"] == "error"]
    assert finding["element"] == "gw_phe_duyet" and "duyet" in finding["message"]
    assert finding["name"] and finding["line"]
    with pytest.raises(DiagramRejected) as rejected:
        deploy_test_procedure(app, clock, monkeypatch, birth, broken, sources.forms)
    assert [f.element for f in rejected.value.findings] == ["gw_phe_duyet"]
