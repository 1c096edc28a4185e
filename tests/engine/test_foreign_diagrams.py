"""Diagrams as other modelling tools write them (reduced from what exporters produce:
Confluence, BIC, OMNITRACKER, Signavio, Yaoqiang, bpmn.io…): every answer is a report whose
findings name their element and read as sentences, never as Python (no exception names,
reprs or None), and one refused element does not hide the findings behind it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import check_process
from engine.procedure import MAX_FLOW_ELEMENTS

FOREIGN = Path(__file__).parent.parent / "fixtures" / "bpmn" / "foreign"
PYTHON_TEXT = re.compile(
    r"Traceback|Error\b|Exception\b|object has no attribute|NoneType|\bNone\b|<Element|"
    r"\{http[^}]*\}|lxml|SpiffWorkflow|\.py\b|'\w+' object|Perhaps you forgot"
)


def report(name: str) -> list:
    source = (FOREIGN / name).read_bytes()
    process_id = re.search(rb'<process id="([^"]+)"', source).group(1).decode()
    findings = check_process(source, process_id, {})
    ids = set(re.findall(rb'id="([^"]+)"', source))
    for finding in findings:
        assert not PYTHON_TEXT.search(finding.message), finding
        assert finding.element == "document" or finding.element.encode() in ids, finding
    return findings


@pytest.mark.parametrize("name", sorted(p.name for p in FOREIGN.glob("*.bpmn")))
def test_every_finding_reads_as_a_sentence_at_an_element_of_the_file(name):
    assert report(name)


def messages(name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in report(name):
        found.setdefault(finding.element, []).append(finding.message)
    return found


def test_a_call_activity_naming_no_process_says_so():
    assert messages("callactivity_without_calledElement.bpmn")["call"] == [
        "names no process to call (calledElement)"
    ]


def test_a_condition_that_is_not_python_is_quoted_and_explained():
    [message] = messages("condition_not_python.bpmn")["f2"]
    assert message.startswith('“[Vacation Approval] = "Approved"”: line 1')
    assert "does not parse as Python" in message


def test_a_data_store_and_its_associations_do_not_hide_the_task_behind_them():
    found = messages("datastore_association_element_repr.bpmn")
    assert found["store"] == ["data stores are not supported"]
    assert "the user task has no form_key property" in found["u"]


def test_a_drawing_hint_of_another_tool_is_not_an_error():
    found = messages("di_vendor_extension.bpmn")
    assert set(found) == {"u"}  # the task's own findings, nothing about the drawing


@pytest.mark.parametrize(
    "name",
    [
        "repaired_attr_isForCompensation.bpmn",
        "repaired_attr_startQuantity.bpmn",
        "repaired_child_loop.bpmn",
    ],
)
def test_a_refused_task_made_harmless_brings_no_finding_of_its_own(name):
    assert not any("intermediateThrowEvent" in m for ms in messages(name).values() for m in ms)


def test_a_service_task_is_refused_and_the_rest_is_still_reported():
    found = messages("service_task_plain.bpmn")
    assert found["svc"][0].startswith("the platform calls no services")
    assert "no lane: the lane must name a role" in found["u"]


def test_engine_messages_are_put_in_the_designers_words():
    assert messages("task_with_two_outgoing.bpmn")["split"] == [
        "only one way out: branch with a gateway"
    ]
    assert messages("empty_subprocess.bpmn")["sub"] == [
        "a subprocess needs exactly one start event"
    ]
    assert messages("timer_without_definition.bpmn")["wait"] == [
        "a timer needs exactly one timeDuration or timeDate"
    ]


def test_a_path_longer_than_the_engine_follows_is_a_finding_not_a_recursion_error():
    count = 490
    assert 2 * count < MAX_FLOW_ELEMENTS
    tasks = "".join(f'<userTask id="t{i}" name="Bước {i}"/>' for i in range(count))
    nodes = ["s", *(f"t{i}" for i in range(count)), "e"]
    flows = "".join(
        f'<sequenceFlow id="f{i}" sourceRef="{nodes[i]}" targetRef="{nodes[i + 1]}"/>'
        for i in range(len(nodes) - 1)
    )
    source = (
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        'targetNamespace="t"><process id="P" isExecutable="true"><startEvent id="s"/>'
        f'{tasks}<endEvent id="e"/>{flows}</process></definitions>'
    ).encode()
    findings = check_process(source, "P", {})
    assert [f.element for f in findings if "split it into subprocesses" in f.message] == ["P"]
    assert not any(PYTHON_TEXT.search(f.message) for f in findings)
