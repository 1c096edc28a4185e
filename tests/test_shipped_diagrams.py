"""Every diagram we ship opens and edits in a modeler: full DI, one lane per role, names."""

from __future__ import annotations

import pytest

from engine import compile_process, parse_bpmn_bytes, read_collaboration
from processes import (
    CATALOGUE,
    GROUPS,
    ROLES,
    SHIPPED_GROUP_PACKAGES,
    SHIPPED_PACKAGES,
    read_sources,
    role_for_lane,
)

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
FLOW_NODES = (
    "startEvent",
    "endEvent",
    "userTask",
    "task",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "sendTask",
    "receiveTask",
    "callActivity",
    "subProcess",
    "eventBasedGateway",
)

PROCEDURES = sorted(CATALOGUE)


@pytest.fixture(params=PROCEDURES)
def diagram(request):
    procedure = CATALOGUE[request.param]
    sources = read_sources(procedure)
    return procedure, sources, parse_bpmn_bytes(sources.bpmn)


def test_every_element_has_its_shape_or_edge(diagram):
    _, _, root = diagram
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    nodes = [n for tag in FLOW_NODES for n in root.iterfind(f".//bpmn:{tag}", NS)]
    for element in [
        *nodes,
        *root.iterfind(".//bpmn:lane", NS),
        *root.iterfind(".//bpmn:participant", NS),
    ]:
        shape = shapes.get(element.get("id"))
        assert shape is not None, f"{element.get('id')} has no BPMNShape"
        bounds = shape.find("dc:Bounds", {"dc": "http://www.omg.org/spec/DD/20100524/DC"})
        assert bounds is not None and float(bounds.get("width")) > 0
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        edge = edges.get(flow.get("id"))
        assert edge is not None, f"{flow.get('id')} has no BPMNEdge"
        assert len(edge.findall("di:waypoint", NS)) >= 2
    known = {e.get("id") for e in root.iter() if e.get("id")}
    assert set(shapes) | set(edges) <= known, "DI refers to elements that do not exist"


def test_one_lane_per_role_and_every_node_in_exactly_one_lane(diagram):
    _, _, root = diagram
    processes = root.findall("bpmn:process", NS)
    assert processes
    for process in processes:  # a group's diagram: each pool has its own lanes
        lanes = process.findall(".//bpmn:lane", NS)
        roles = [role_for_lane(lane.get("name")) for lane in lanes]
        assert None not in roles, [lane.get("name") for lane in lanes]
        assert len(roles) == len(set(roles)), f"two lanes of {process.get('id')} name one role"
        assert set(roles) <= set(ROLES)
        placed = [ref.text.strip() for ref in process.iterfind(".//bpmn:flowNodeRef", NS)]
        nodes = {n.get("id") for tag in FLOW_NODES for n in process.iterfind(f".//bpmn:{tag}", NS)}
        assert sorted(placed) == sorted(nodes), process.get("id")


def test_tasks_and_lanes_are_named_in_vietnamese(diagram):
    _, _, root = diagram
    for element in [*root.iterfind(".//bpmn:userTask", NS), *root.iterfind(".//bpmn:lane", NS)]:
        name = element.get("name") or ""
        assert name and not name.isascii(), (
            f"{element.get('id')} needs a Vietnamese name, has {name!r}"
        )


def test_shipped_diagram_compiles_with_its_forms(diagram):
    procedure, sources, _ = diagram
    compiled = compile_process(sources.bpmn, procedure.process_id, sources.forms)
    assert procedure.declaration_form in compiled.forms
    used = {step.form_key for step in compiled.steps.values()} | {procedure.declaration_form}
    if procedure.group_part_form:
        used.add(procedure.group_part_form)
    assert used == set(sources.forms), "every form file is used, and every used form exists"


@pytest.fixture(params=sorted(GROUPS))
def group(request):
    package = SHIPPED_GROUP_PACKAGES[request.param]
    return package, parse_bpmn_bytes(package.sources.bpmn)


def test_a_group_draws_each_handoff_as_a_named_message_flow_between_its_pools(group):
    package, root = group
    collaboration = read_collaboration(package.sources.bpmn)
    members = [CATALOGUE[m.code] for m in package.entry.members]
    assert set(collaboration.pools) == {p.process_id for p in members}
    assert all(name and not name.isascii() for name in collaboration.pools.values())
    first = members[0].process_id
    # The first agency hands over to every other member, each by its own message.
    assert {route.target for route in collaboration.routes} == {p.process_id for p in members[1:]}
    assert {route.source for route in collaboration.routes} == {first}
    assert len({route.message for route in collaboration.routes}) == len(members) - 1
    edges = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    for flow in root.iterfind(".//bpmn:messageFlow", NS):
        assert flow.get("id") in edges, f"{flow.get('id')} has no BPMNEdge"
        assert flow.get("name") and not flow.get("name").isascii()


def test_every_member_of_a_group_is_a_procedure_of_its_diagram(group):
    package, _ = group
    for member in package.entry.members:
        assert SHIPPED_PACKAGES[member.code].sources.bpmn == package.sources.bpmn
