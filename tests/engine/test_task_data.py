"""Task data is what the saved state gives back exactly: unsavable values fail their step."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.util.task import TaskState

from engine import ProcessInstance, compile_process
from engine.errors import TaskDataInvalid
from engine.task_data import MAX_DEPTH, MAX_VALUES, check

FORMS = {"test/free": {"type": "object"}}
YES = "pair == [1, 2] and rows[0] == [1, 'a'] and rows[1] == [2, 'b']"


def diagram(script: str, condition: str = "True") -> bytes:
    """Returns a diagram: `first` (a form) → `script` → `middle` (a form) → a gateway whose
    flow to `end_yes` carries `condition` (else `end_no`)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://motcua.test">
  <bpmn:process id="data" name="Dữ liệu" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="Lane_tiep_nhan" name="Cán bộ tiếp nhận">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>first</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>script</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>middle</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>gw</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_yes</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_no</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="first" name="Tiếp nhận">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="form_key" value="test/free" />
        <spiffworkflow:property name="budget_days" value="1" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="script" scriptFormat="python">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="middle" name="Thẩm định">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="form_key" value="test/free" />
        <spiffworkflow:property name="budget_days" value="1" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" default="f6">
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:outgoing>f6</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="end_yes"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_no"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first" />
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="script" />
    <bpmn:sequenceFlow id="f3" sourceRef="script" targetRef="middle" />
    <bpmn:sequenceFlow id="f4" sourceRef="middle" targetRef="gw" />
    <bpmn:sequenceFlow id="f5" sourceRef="gw" targetRef="end_yes">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"
        >{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f6" sourceRef="gw" targetRef="end_no" />
  </bpmn:process>
</bpmn:definitions>
""".encode()


def process(script: str, condition: str = "True"):
    return compile_process(diagram(script, condition), "data", FORMS)


def round_trip(instance: ProcessInstance) -> ProcessInstance:
    """Returns the instance as production sees it next time: through JSON text."""
    return ProcessInstance.restore(instance.process, instance.state())


def complete(instance: ProcessInstance, name: str, data: dict) -> None:
    [ready] = [r for r in instance.ready_steps() if r.step.name == name]
    instance.complete(ready.task_id, data)


def data_of(instance: ProcessInstance, name: str) -> dict:
    [ready] = [r for r in instance.ready_steps() if r.step.name == name]
    return instance.task_data(ready.task_id)


def ended_at(instance: ProcessInstance) -> str:
    assert instance.is_completed
    [end] = {
        task.task_spec.name
        for task in instance.workflow.get_tasks()
        if task.task_spec.name in ("end_yes", "end_no") and task.state == TaskState.COMPLETED
    }
    return end


def refuse_at_step(instance: ProcessInstance, name: str, data: dict) -> TaskDataInvalid:
    """Completes a step that must fail; the state the caller holds is unchanged and still works."""
    saved = instance.state()
    with pytest.raises(TaskDataInvalid) as refused:
        complete(instance, name, data)
    # The caller saves nothing when the step raises: what it holds restores to the same state,
    # with the same step still open.
    again = ProcessInstance.restore(instance.process, saved)
    assert again.state() == saved
    assert [r.step.name for r in again.ready_steps()] == [name]
    return refused.value


@pytest.mark.parametrize(
    ("script", "path", "words"),
    [
        ("pairs = zip([1, 2], [3, 4])", "data.pairs", "zip iterator"),
        ("numbered = enumerate(['a'])", "data.numbered", "enumerate iterator"),
        ("items = [1, 2, 3, zip([1], [2])]", "data.items[3]", "zip iterator"),
        ("a = [1]\na.append(a)", "data.a[1]", "contains itself"),
        ("d = {'ok': {1: 'one'}}", "data.d.ok", "key 1 is not a string"),
        ("fee = Decimal('sNaN')", "data.fee", "only finite"),
        ("fee = {'total': Decimal('Infinity')}", "data.fee.total", "only finite"),
        ("ratio = float('nan')", "data.ratio", "only finite"),
        ("seen = set([1, 2])", "data.seen", "set is not task data"),
        ("huge = 2 ** 100", "data.huge", "64 bits"),
        ("t = {'k': [(1, range(3))]}", "data.t.k[0][1]", "range is not task data"),
    ],
)
def test_a_script_leaving_an_unsavable_value_fails_its_step_naming_step_and_path(
    script, path, words
):
    instance = ProcessInstance.start(process(script), {})
    refused = refuse_at_step(instance, "first", {"ok": True})
    assert refused.element == "script"
    assert refused.path == path
    assert words in refused.reason
    assert "script" in str(refused) and path in str(refused)


def test_nesting_deeper_than_the_limit_is_refused_at_the_script():
    script = f"x = []\nfor i in range({MAX_DEPTH + 5}):\n    x = [x]"
    refused = refuse_at_step(ProcessInstance.start(process(script), {}), "first", {})
    assert refused.element == "script"
    assert f"deeper than {MAX_DEPTH}" in refused.reason


def test_nesting_within_the_limit_round_trips():
    script = f"x = []\nfor i in range({MAX_DEPTH - 1}):\n    x = [x]"
    instance = ProcessInstance.start(process(script), {})
    complete(instance, "first", {})
    before = data_of(instance, "middle")
    assert data_of(round_trip(instance), "middle") == before


def test_too_many_values_are_refused():
    with pytest.raises(TaskDataInvalid) as refused:
        check({"many": list(range(MAX_VALUES + 1))}, "step")
    assert f"more than {MAX_VALUES} values" in refused.value.reason


def test_unsavable_form_answers_are_refused_at_their_step():
    instance = ProcessInstance.start(process("y = 1"), {})
    refused = refuse_at_step(instance, "first", {"amount": float("inf")})
    assert (refused.element, refused.path) == ("first", "data.amount")
    instance = ProcessInstance.start(process("y = 1"), {})
    refused = refuse_at_step(instance, "first", {"pair": (1, 2)})
    assert (refused.element, refused.path) == ("first", "data.pair")


def test_unsavable_start_data_is_refused():
    with pytest.raises(TaskDataInvalid) as refused:
        ProcessInstance.start(process("y = 1"), {"tags": {"a", "b"}})
    assert refused.value.path == "data.tags"


def test_tuples_from_a_script_decide_a_condition_the_same_before_and_after_a_save():
    script = "pair = (1, 2)\nrows = list(zip([1, 2], ['a', 'b']))"
    compiled = process(script, YES)
    # Without a save between the script and the condition...
    kept = ProcessInstance.start(compiled, {})
    complete(kept, "first", {})
    complete(kept, "middle", {})
    # ...and with one, as production runs.
    saved = round_trip(ProcessInstance.start(compiled, {}))
    complete(saved, "first", {})
    saved = round_trip(saved)
    complete(saved, "middle", {})
    assert ended_at(kept) == ended_at(saved) == "end_yes"


def test_a_script_result_is_the_same_before_and_after_a_save():
    script = "pair = (1, (2, [3]))\nwhen = date(2026, 3, 2)\nfee = Decimal('8000.50')"
    instance = ProcessInstance.start(process(script), {})
    complete(instance, "first", {})
    before = data_of(instance, "middle")
    after = data_of(round_trip(instance), "middle")
    assert (
        before
        == after
        == {
            "pair": [1, [2, [3]]],
            "when": date(2026, 3, 2),
            "fee": Decimal("8000.50"),
        }
    )
    assert type(after["fee"]) is Decimal and type(after["when"]) is date


TYPENAME_ANSWERS = {
    "typename": "UUID",  # at the top level of the task data too
    "looks_like_a_date": {"typename": "date", "value": "2026-01-01"},
    "unknown": {"typename": "Nope"},
    "nested": [{"typename": "Decimal", "value": "1"}, {"typename": "motcua:dict", "value": {}}],
    "broken": {"typename": "datetime", "value": "not a date"},
    "inner": {"typename": {"typename": "date"}},
}


def test_a_typename_dict_from_a_form_answer_is_kept_as_data_through_save_and_restore():
    instance = round_trip(ProcessInstance.start(process("y = 1"), {}))
    complete(instance, "first", TYPENAME_ANSWERS)
    restored = round_trip(instance)
    assert data_of(restored, "middle") == {**TYPENAME_ANSWERS, "y": 1}
    assert data_of(round_trip(restored), "middle") == {**TYPENAME_ANSWERS, "y": 1}


def test_a_typename_dict_from_a_script_is_kept_as_data_through_save_and_restore():
    script = (
        "doc = {'typename': 'Decimal', 'value': '1'}\n"
        "odd = [{'typename': 'BpmnEvent'}, {'x': {'typename': 'timedelta', 'days': 1}}]"
    )
    instance = ProcessInstance.start(process(script, "doc['value'] == '1'"), {})
    complete(instance, "first", {})
    restored = round_trip(instance)
    assert data_of(restored, "middle") == {
        "doc": {"typename": "Decimal", "value": "1"},
        "odd": [{"typename": "BpmnEvent"}, {"x": {"typename": "timedelta", "days": 1}}],
    }
    complete(restored, "middle", {})
    assert ended_at(restored) == "end_yes"


def test_escaping_leaves_the_saved_state_readable_and_the_data_unchanged():
    answers = {"meta": {"typename": "date", "value": "2026-01-01"}}
    instance = ProcessInstance.start(process("y = 1"), {})
    complete(instance, "first", answers)
    json.loads(instance.state())  # plain JSON
    assert data_of(instance, "middle")["meta"] == answers["meta"]  # not changed by saving


def test_the_birth_procedure_runs_unchanged_with_dates_and_decimals(birth_process):
    start = {"fee": Decimal("8000.50"), "received_on": date(2026, 3, 2), "declaration": {}}
    instance = round_trip(ProcessInstance.start(birth_process, start))
    complete(instance, "tiep_nhan", {"decision": "accept"})
    data = data_of(round_trip(instance), "tham_dinh")
    assert data["fee"] == Decimal("8000.50") and data["received_on"] == date(2026, 3, 2)
