"""The designer's check: every finding of a deliberately broken diagram in one report, each
with its element, name and line; only the process being checked (not another pool of the
same file); every XML Schema error, not only the last; warnings that deploy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine import DiagramRejected, check_process, compile_process, executable_processes
from processes import CATALOGUE, read_sources
from tests.engine.conftest import fixture_bytes

FORMS = {"test/check": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}


def report(source: bytes, process_id: str = "p", **kwargs) -> list[tuple]:
    return [
        (f.severity, f.element, f.name, f.line, f.message)
        for f in check_process(source, process_id, FORMS, **kwargs)
    ]


def test_every_error_of_a_broken_diagram_is_reported_at_once_with_element_name_and_line():
    found = report(fixture_bytes("broken/many_errors.bpmn"))
    expected = {
        ("script", "Tính", 33, "“import os”: line 1, col 0: imports are not allowed"),
        ("wait", "Chờ định kỳ", 30, "repeating timers (timeCycle) are not fired"),
        ("orphan", "Không ai tới", 36, "no path from a start event reaches it"),
        ("gw", "Hợp lệ?", 21, "its default 'nowhere' is not one of its outgoing flows"),
        ("f_b", None, 49, "a way out of gw with neither a condition nor being its default"),
        ("f_c", None, 50, "its condition is blank"),
        ("b", "Báo tín hiệu", 23, "signals are not delivered by the platform"),
        ("store", "Kho dữ liệu", 42, "data stores are not supported"),
        ("c", "Gọi quy trình khác", 26, "calls 'missing_process', which this file does not"),
        ("tell", "Báo tin", 27, "its message has no name"),
        ("a", "Xử lý", 22, "the user task has no form_key property"),
        ("a", "Xử lý", 22, "budget_days must be a number of working days"),
    }
    assert len(found) == len(expected), found
    for element, name, line, message in expected:
        assert any(
            f[0] == "error" and f[1:4] == (element, name, line) and f[4].startswith(message)
            for f in found
        ), (element, message, found)
    # The other pool of the same file has an unreachable task: not this procedure's finding.
    assert not any(f[1].startswith("other") for f in found)
    [other] = report(fixture_bytes("broken/many_errors.bpmn"), "other")
    assert other[1:4] == ("other_unreached", "Không thuộc quy trình được kiểm tra", 62)


def test_a_deployment_is_refused_with_the_same_findings():
    with pytest.raises(DiagramRejected) as rejected:
        compile_process(fixture_bytes("broken/many_errors.bpmn"), "p", FORMS)
    assert len(rejected.value.findings) == 12


SCHEMA_BROKEN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="maybe">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="u" colour="red" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="u" />
    <bpmn:sequenceFlow id="f2" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_every_schema_error_is_reported_each_on_its_line():
    found = report(SCHEMA_BROKEN)
    schema = [f for f in found if f[4].startswith("schema: ")]
    assert [(f[1], f[3]) for f in schema] == [("d", 2), ("p", 3), ("u", 5), ("f2", 8)]
    assert "targetNamespace" in schema[0][4] and "isExecutable" in schema[1][4]
    assert "colour" in schema[2][4] and "sourceRef" in schema[3][4]
    assert all("{http" not in f[4] for f in schema)  # namespaces written as bpmn:


def test_a_file_with_no_such_process_or_no_executable_one_says_so():
    [(severity, element, _, _, message)] = report(fixture_bytes("escalation.bpmn"), "nope")
    assert (severity, element) == ("error", "document")
    assert "no process 'nope'" in message and "chuyen_lanh_dao" in message
    assert executable_processes(fixture_bytes("escalation.bpmn")) == ["chuyen_lanh_dao"]
    assert executable_processes(b"not xml") == []
    not_executable = fixture_bytes("escalation.bpmn").replace(
        b'isExecutable="true"', b'isExecutable="false"'
    )
    forms = {"chuyen_lanh_dao/xu_ly": FORMS["test/check"]}
    findings = check_process(not_executable, "chuyen_lanh_dao", forms)
    assert [(f.element, f.message) for f in findings] == [
        ("chuyen_lanh_dao", "the process is not executable (isExecutable)")
    ]


def test_unparseable_documents_are_a_report_not_an_exception():
    for source in (b"", b"<not-closed", b"\xff\xfe", b"<!DOCTYPE x><x/>"):
        [finding] = check_process(source, "p", FORMS)
        assert finding.element == "document" and finding.is_error


def test_a_path_that_ends_without_an_end_event_is_refused():
    source = fixture_bytes("dead_end.bpmn")
    forms = {
        "tinh_phi/so_ban": {"type": "object", "properties": {"so_ban": {"type": "integer"}}},
    }
    findings = check_process(source, "cut_ngang", forms)
    assert [(f.element, f.message) for f in findings if f.is_error] == [
        ("chia_ban", "the path ends here without an end event: the dossier would stop unfinished")
    ]


def test_the_shipped_birth_registration_deploys_with_warnings_only():
    sources = read_sources(CATALOGUE["1.001193"])
    findings = check_process(sources.bpmn, "khai_sinh", sources.forms, deadline_days=Decimal("0"))
    assert [f.severity for f in findings] == ["warning", "warning"]
    assert {f.element for f in findings} == {"nhan_bo_sung", "phe_duyet"}  # its two loops
    assert all("333 rounds" in f.message for f in findings)


def test_step_budgets_over_the_legal_deadline_are_a_warning():
    forms = {"chuyen_lanh_dao/xu_ly": FORMS["test/check"]}
    source = fixture_bytes("escalation.bpmn")
    assert check_process(source, "chuyen_lanh_dao", forms, deadline_days=Decimal("1.5")) == []
    [warning] = check_process(source, "chuyen_lanh_dao", forms, deadline_days=Decimal("1"))
    assert warning.severity == "warning" and warning.element == "chuyen_lanh_dao"
    # reception 0 + appraisal 1 + the leader's 0.5 once the appraisal's timer escalated it
    assert "1.5 working days" in warning.message
    compile_process(source, "chuyen_lanh_dao", forms, deadline_days=Decimal("1"))  # deploys


def test_a_version_deployed_before_a_rule_existed_still_runs_its_dossiers():
    # An element no path reaches is refused at deploy now; a version deployed before that
    # rule compiles (not strict) so that its running dossiers go on.
    forms = {"chuyen_lanh_dao/xu_ly": FORMS["test/check"]}
    source = fixture_bytes("escalation.bpmn").replace(
        b"</bpmn:process>",
        '<bpmn:endEvent id="forgotten" name="Bị bỏ quên" /></bpmn:process>'.encode(),
    )
    with pytest.raises(DiagramRejected):
        compile_process(source, "chuyen_lanh_dao", forms)
    assert compile_process(source, "chuyen_lanh_dao", forms, strict=False).steps


def _clock():
    from datetime import datetime

    from engine import TimerClock, WorkingCalendar
    from engine.calendar import TIMEZONE

    return TimerClock(datetime(2026, 3, 2, 9, 0, tzinfo=TIMEZONE), WorkingCalendar())


def test_the_dry_run_walks_every_answer_and_finds_a_condition_that_fails_on_one_path():
    from engine.dry_run import dry_run

    sources = read_sources(CATALOGUE["1.001193"])
    # Only the refusal of the leader's approval reads a name no form gives.
    broken = sources.bpmn.replace(b"approved == False", b"duyet == False")
    process = compile_process(broken, "khai_sinh", sources.forms)
    [finding] = dry_run(process, clock=_clock(), declaration_form="khai_sinh/to_khai")
    assert finding.element == "gw_phe_duyet" and finding.is_error
    assert "phe_duyet (approved=True" in finding.message  # the way there
    assert "name 'duyet' is not defined" in finding.message
    shipped = compile_process(sources.bpmn, "khai_sinh", sources.forms)
    assert dry_run(shipped, clock=_clock(), declaration_form="khai_sinh/to_khai") == []


def test_the_dry_run_says_when_it_cannot_answer_a_form():
    from engine.dry_run import dry_run

    forms = {
        "chuyen_lanh_dao/xu_ly": {
            "type": "object",
            "required": ["code"],
            "properties": {"code": {"type": "string", "pattern": "^Z{3}$"}},
        }
    }
    process = compile_process(fixture_bytes("escalation.bpmn"), "chuyen_lanh_dao", forms)
    [warning] = dry_run(process, clock=_clock())
    assert warning.severity == "warning" and warning.element == "tiep_nhan"
    assert "could not make up answers" in warning.message


def test_messages_no_flow_carries_and_events_defined_by_reference_are_refused():
    from tests.engine.test_deploy_checks import diagram, findings

    unrouted = diagram(
        '<bpmn:intermediateThrowEvent id="tell"><bpmn:messageEventDefinition id="md" '
        'messageRef="msg" /></bpmn:intermediateThrowEvent>',
        [("check", "tell"), ("tell", "end")],
        before='<bpmn:message id="msg" name="thong_bao" />',
    )
    assert (
        "tell",
        "message 'thong_bao' has no message flow to another agency's pool: nothing would "
        "deliver it",
    ) in findings(unrouted)
    waiting = diagram(
        '<bpmn:intermediateCatchEvent id="hear"><bpmn:messageEventDefinition id="md" '
        'messageRef="msg" /></bpmn:intermediateCatchEvent>',
        [("check", "hear"), ("hear", "end")],
        before='<bpmn:message id="msg" name="ket_qua" />',
    )
    assert any(
        element == "hear" and "no message flow to it" in message
        for element, message in findings(waiting)
    )
    by_reference = diagram(
        '<bpmn:intermediateCatchEvent id="wait">'
        "<bpmn:eventDefinitionRef>t</bpmn:eventDefinitionRef></bpmn:intermediateCatchEvent>",
        [("check", "wait"), ("wait", "end")],
    )
    assert any(
        element == "wait" and "eventDefinitionRef" in message
        for element, message in findings(by_reference)
    )
