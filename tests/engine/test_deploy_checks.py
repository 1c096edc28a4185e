"""Deploy-time checks: every place SpiffWorkflow evaluates diagram text, and sizes that hang."""

from __future__ import annotations

import pytest

from engine import DiagramRejected, compile_process

CHECK_FORM = {"test/check": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}
UNSAFE = "__import__('os').system('id')"

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
    ' id="defs" targetNamespace="http://motcua.test">'
)


def user_task(budget: str = "0.5") -> str:
    return (
        '<bpmn:userTask id="check" name="Kiểm tra"><bpmn:extensionElements>'
        "<spiffworkflow:properties>"
        '<spiffworkflow:property name="form_key" value="test/check" />'
        f'<spiffworkflow:property name="budget_days" value="{budget}" />'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
    )


def diagram(nodes: str, flows: list[tuple[str, str]], *, before: str = "", budget="0.5") -> bytes:
    """Returns a process: start -> check (a user task) -> ... as `flows` say, in one lane."""
    flows = [("start", "check"), *flows]
    body = "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{s}" targetRef="{t}" />'
        for i, (s, t) in enumerate(flows)
    )
    return (
        f"{_HEAD}{before}"
        '<bpmn:process id="p" isExecutable="true">'
        '<bpmn:laneSet id="lanes"><bpmn:lane id="lane" name="Cán bộ tiếp nhận">'
        "<bpmn:flowNodeRef>check</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
        f'<bpmn:startEvent id="start" />{user_task(budget)}{nodes}'
        '<bpmn:endEvent id="end" />'
        f"{body}</bpmn:process></bpmn:definitions>"
    ).encode()


def findings(source: bytes) -> list[tuple[str, str]]:
    with pytest.raises(DiagramRejected) as rejected:
        compile_process(source, "p", CHECK_FORM)
    return [(f.element, f.message) for f in rejected.value.findings]


def unsafe_finding_on(source: bytes, element: str) -> bool:
    return any(e == element and "__import__" in m for e, m in findings(source))


THROW_MESSAGE = (
    '<bpmn:message id="msg" name="msg" />'
    '<bpmn:correlationProperty id="cp" name="cp">'
    '<bpmn:correlationPropertyRetrievalExpression messageRef="msg">'
    "<bpmn:formalExpression>{retrieval}</bpmn:formalExpression>"
    "</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>"
)


def throw_event(definition: str) -> str:
    return f'<bpmn:intermediateThrowEvent id="throw">{definition}</bpmn:intermediateThrowEvent>'


def message_definition(extensions: str) -> str:
    return throw_event(
        '<bpmn:messageEventDefinition id="msg_def" messageRef="msg">'
        f"<bpmn:extensionElements>{extensions}</bpmn:extensionElements>"
        "</bpmn:messageEventDefinition>"
    )


def item_definition(kind: str) -> tuple[str, str]:
    """Returns (the signal/error/escalation element with an unsafe payload, its event)."""
    ref = {"signal": "signalRef", "error": "errorRef", "escalation": "escalationRef"}[kind]
    element = (
        f'<bpmn:{kind} id="{kind}_1" name="{kind}_1"><bpmn:extensionElements>'
        f"<spiffworkflow:payloadExpression>{UNSAFE}</spiffworkflow:payloadExpression>"
        f"</bpmn:extensionElements></bpmn:{kind}>"
    )
    event = f'<bpmn:{kind}EventDefinition id="{kind}_def" {ref}="{kind}_1" />'
    if kind == "error":
        return element, f'<bpmn:endEvent id="throw">{event}</bpmn:endEvent>'
    return element, throw_event(event)


SITES = {
    "loop_condition": (
        diagram(
            '<bpmn:scriptTask id="looped"><bpmn:standardLoopCharacteristics loopMaximum="3">'
            f"<bpmn:loopCondition>{UNSAFE}</bpmn:loopCondition>"
            "</bpmn:standardLoopCharacteristics><bpmn:script>x = 1</bpmn:script>"
            "</bpmn:scriptTask>",
            [("check", "looped"), ("looped", "end")],
        ),
        "looped",
    ),
    "message_payload": (
        diagram(
            message_definition(
                f"<spiffworkflow:messagePayload>{UNSAFE}</spiffworkflow:messagePayload>"
            ),
            [("check", "throw"), ("throw", "end")],
            before=THROW_MESSAGE.format(retrieval="ok"),
        ),
        "msg_def",
    ),
    "process_variable_correlation": (
        diagram(
            message_definition(
                "<spiffworkflow:processVariableCorrelation>"
                "<spiffworkflow:propertyId>cp</spiffworkflow:propertyId>"
                f"<spiffworkflow:expression>{UNSAFE}</spiffworkflow:expression>"
                "</spiffworkflow:processVariableCorrelation>"
            ),
            [("check", "throw"), ("throw", "end")],
            before=THROW_MESSAGE.format(retrieval="ok"),
        ),
        "msg_def",
    ),
    "correlation_retrieval_expression": (
        diagram(
            message_definition(""),
            [("check", "throw"), ("throw", "end")],
            before=THROW_MESSAGE.format(retrieval=UNSAFE),
        ),
        "cp",
    ),
    "correlation_message_path": (
        diagram(
            message_definition(""),
            [("check", "throw"), ("throw", "end")],
            before=THROW_MESSAGE.format(retrieval="ok").replace(
                "<bpmn:formalExpression>ok</bpmn:formalExpression>",
                f"<bpmn:messagePath>{UNSAFE}</bpmn:messagePath>",
            ),
        ),
        "cp",
    ),
    "service_task_parameter": (
        diagram(
            '<bpmn:serviceTask id="svc"><bpmn:extensionElements>'
            '<spiffworkflow:serviceTaskOperator id="http/get" resultVariable="r">'
            "<spiffworkflow:parameters>"
            f'<spiffworkflow:parameter id="url" type="str" value="{UNSAFE}" />'
            "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>"
            "</bpmn:extensionElements></bpmn:serviceTask>",
            [("check", "svc"), ("svc", "end")],
        ),
        "svc",
    ),
}
for _kind in ("signal", "error", "escalation"):
    _element, _event = item_definition(_kind)
    SITES[f"{_kind}_payload"] = (
        diagram(
            _event,
            [("check", "throw")] + ([] if _kind == "error" else [("throw", "end")]),
            before=_element,
        ),
        f"{_kind}_1",
    )


@pytest.mark.parametrize("site", sorted(SITES))
def test_unsafe_code_at_every_evaluation_site_is_a_finding_on_its_element(site):
    source, element = SITES[site]
    assert unsafe_finding_on(source, element)


def test_standard_loop_without_loop_maximum_is_refused():
    source = diagram(
        '<bpmn:scriptTask id="looped"><bpmn:standardLoopCharacteristics>'
        "<bpmn:loopCondition>True</bpmn:loopCondition>"
        "</bpmn:standardLoopCharacteristics><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>",
        [("check", "looped"), ("looped", "end")],
    )
    assert ("looped", "a standard loop must state its loopMaximum") in findings(source)


def test_huge_loop_maximum_is_refused():
    source = diagram(
        '<bpmn:scriptTask id="looped">'
        '<bpmn:standardLoopCharacteristics loopMaximum="1000000" />'
        "<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>",
        [("check", "looped"), ("looped", "end")],
    )
    assert any(e == "looped" and "loopMaximum" in m for e, m in findings(source))


def test_literal_multi_instance_cardinality_in_the_thousands_is_refused():
    source = diagram(
        '<bpmn:scriptTask id="many"><bpmn:multiInstanceLoopCharacteristics>'
        "<bpmn:loopCardinality>5000</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics><bpmn:script>x = 1</bpmn:script>"
        "</bpmn:scriptTask>",
        [("check", "many"), ("many", "end")],
    )
    assert any(e == "many" and "loopCardinality" in m for e, m in findings(source))


def test_parallel_split_over_many_branches_is_refused():
    branches = range(60)
    nodes = '<bpmn:parallelGateway id="split" /><bpmn:parallelGateway id="join" />' + "".join(
        f'<bpmn:scriptTask id="b{i}"><bpmn:script>x = {i}</bpmn:script></bpmn:scriptTask>'
        for i in branches
    )
    flows = [("check", "split"), ("join", "end")]
    for i in branches:
        flows += [("split", f"b{i}"), (f"b{i}", "join")]
    assert any(e == "split" and "outgoing" in m for e, m in findings(diagram(nodes, flows)))


def test_process_with_thousands_of_flow_elements_is_refused():
    count = 1_100
    nodes = "".join(
        f'<bpmn:scriptTask id="s{i}"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
        for i in range(count)
    )
    flows = [("check", "s0"), *((f"s{i}", f"s{i + 1}") for i in range(count - 1))]
    flows.append((f"s{count - 1}", "end"))
    assert any(e == "p" and "flow elements" in m for e, m in findings(diagram(nodes, flows)))


def test_budget_days_outside_a_working_year_is_refused():
    for budget in ("1e6", "1e20", "366", "-1"):
        source = diagram("", [("check", "end")], budget=budget)
        assert any(e == "check" and "budget_days" in m for e, m in findings(source)), budget
    compile_process(diagram("", [("check", "end")], budget="365"), "p", CHECK_FORM)


def script_cycle(script_a: str, script_b: str, loop_while: str) -> bytes:
    """Returns a process where, after the user task, script tasks a -> b -> gateway loop back
    to a while `loop_while` (XML-escaped) holds: a cycle with no wait state."""
    nodes = (
        f'<bpmn:scriptTask id="a"><bpmn:script>{script_a}</bpmn:script></bpmn:scriptTask>'
        f'<bpmn:scriptTask id="b"><bpmn:script>{script_b}</bpmn:script></bpmn:scriptTask>'
        '<bpmn:exclusiveGateway id="gw" default="f4" />'
    )
    source = diagram(nodes, [("check", "a"), ("a", "b"), ("b", "gw"), ("gw", "end")])
    return source.replace(
        b'<bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="end" />',
        b'<bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="end" />'
        b'<bpmn:sequenceFlow id="back" sourceRef="gw" targetRef="a">'
        b'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
        + loop_while.encode()
        + b"</bpmn:conditionExpression></bpmn:sequenceFlow>",
    )


def test_cycle_of_automatic_tasks_without_a_wait_is_refused():
    found = findings(script_cycle("n = 1", "n = 2", "n &lt; 5"))
    assert any(e == "a" and "cycle" in m and "gw" in m for e, m in found)
    # A loop back through a user task waits for an officer each round: it deploys.
    nodes = '<bpmn:exclusiveGateway id="gw" default="f2" />'
    source = diagram(nodes, [("check", "gw"), ("gw", "end")])
    source = source.replace(
        b'<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="end" />',
        b'<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="end" />'
        b'<bpmn:sequenceFlow id="back" sourceRef="gw" targetRef="check">'
        b'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">ok == False'
        b"</bpmn:conditionExpression></bpmn:sequenceFlow>",
    )
    assert compile_process(source, "p", CHECK_FORM).steps["check"]
