"""Diagrams exported from Camunda Modeler: their `camunda:` extensions understood (candidate
groups as roles, form keys, properties, `${…}` expressions, unquoted timers) or reported
precisely at their element, never silently dropped."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine import ProcessInstance, TimerClock, WorkingCalendar, check_process, compile_process
from engine.calendar import TIMEZONE
from engine.camunda import juel_to_python
from engine.dry_run import dry_run
from tests.engine.conftest import fixture_bytes

FORMS = {
    "xac_nhan/tiep_nhan": {
        "type": "object",
        "required": ["decision"],
        "properties": {"decision": {"enum": ["accept", "refuse"]}, "note": {"type": "string"}},
    },
    "xac_nhan/phe_duyet": {"type": "object", "properties": {"approved": {"type": "boolean"}}},
}
CLOCK = TimerClock(datetime(2026, 3, 2, 9, 0, tzinfo=TIMEZONE), WorkingCalendar())


def test_a_camunda_diagram_is_understood():
    source = fixture_bytes("camunda_export.bpmn")
    assert check_process(source, "xac_nhan", FORMS) == []
    process = compile_process(source, "xac_nhan", FORMS)
    steps = {
        name: (s.role, s.form_key, str(s.budget_days), int(s.dossier_status))
        for name, s in process.steps.items()
    }
    assert steps == {
        "Task_TiepNhan": ("tiep_nhan", "xac_nhan/tiep_nhan", "0.5", 2),
        # "ke_toan" is no role here; the next candidate group names the leader.
        "Task_PheDuyet": ("lanh_dao", "xac_nhan/phe_duyet", "1", 4),
    }
    assert {name: int(s) for name, s in process.end_statuses.items()} == {"End_Done": 10}
    assert process.has_timers
    assert dry_run(process, clock=CLOCK, declaration_form=None) == []

    accepted = ProcessInstance.start(process, {}, clock=CLOCK)
    accepted.complete(accepted.ready_steps()[0].task_id, {"decision": "accept", "note": "Đủ"})
    assert [r.step.name for r in accepted.ready_steps()] == ["Task_PheDuyet"]
    assert accepted.next_timer_at() == datetime(2026, 3, 3, 9, 0, tzinfo=TIMEZONE)
    refused = ProcessInstance.start(process, {}, clock=CLOCK)
    refused.complete(refused.ready_steps()[0].task_id, {"decision": "accept", "note": ""})
    assert refused.is_completed  # ${decision ne 'accept' || empty note}


def test_what_camunda_runs_and_this_platform_does_not_is_reported_at_its_element():
    forms = {"goi_dich_vu/xu_ly": {"type": "object"}}
    findings = check_process(fixture_bytes("camunda_unsupported.bpmn"), "goi_dich_vu", forms)
    assert [(f.severity, f.element, f.message) for f in findings] == [
        ("error", "StartEvent_1", "Camunda's execution listeners are not run by this platform"),
        (
            "warning",
            "Task_A",
            "camunda:assignee is not used: a task goes to the officers of its role (its lane "
            "or candidate group)",
        ),
        ("error", "Task_A", "Camunda's input/output mappings are not run by this platform"),
        (
            "error",
            "Task_Java",
            "camunda:class='vn.gov.tinh.GoiHeThong': a Java class is not run by this platform",
        ),
        (
            "error",
            "Task_External",
            "camunda:topic='in_giay': an external task topic is not run by this platform",
        ),
        (
            "error",
            "Task_External",
            "camunda:type='external': an external task is not run by this platform",
        ),
        ("error", "Task_A", "candidate groups ['ke_toan']: none names a role"),
    ]
    assert all(f.line for f in findings)


def test_an_element_named_like_the_engines_own_tasks_is_refused():
    source = fixture_bytes("camunda_export.bpmn").replace(b"StartEvent_1", b"Start")
    findings = check_process(source, "xac_nhan", FORMS)
    assert ("Start", "the id 'Start' is the engine's own: rename it") in [
        (f.element, f.message) for f in findings
    ]


@pytest.mark.parametrize(
    ("juel", "python"),
    [
        ("decision == 'accept'", "decision == 'accept'"),
        ("ok && !rejected", "ok and not rejected"),
        ('a eq "x" || b ne 1', 'a == "x" or b != 1'),
        ("empty docs", "not docs"),
        ("approved == true", "approved == True"),
        ("n gt 3 and m le 2", "n > 3 and m <= 2"),
        ("x != null", "x != None"),
        ("'a && b' == text", "'a && b' == text"),  # inside a string, nothing changes
    ],
)
def test_expression_language_becomes_python(juel, python):
    assert juel_to_python(juel) == python
