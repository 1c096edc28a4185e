"""Returns the handoff routes an interlinked group's collaboration diagram draws.

A group is one BPMN collaboration: one pool per agency process, and a message flow for each
handoff, from the event that throws a message in one pool to the event that catches it in
another. The platform delivers messages between separate process instances by these routes:
a message that process A throws goes to every process a message flow from that throw event
reaches. Parsing is the same safe parse as every diagram's (no entities, no network).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .bpmn_xml import parse_bpmn_bytes
from .errors import DiagramRejected, Finding

_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
_THROWS = ("intermediateThrowEvent", "endEvent")
_CATCHES = ("startEvent", "intermediateCatchEvent", "boundaryEvent", "receiveTask")


@dataclass(frozen=True)
class Route:
    """One message flow: message `message` thrown by `source` reaches process `target`."""

    message: str
    source: str  # the throwing process id
    target: str  # the receiving process id
    name: str = ""  # the message flow's name, as drawn


@dataclass(frozen=True)
class Collaboration:
    """The pools (process id → participant name) and handoff routes of a group diagram."""

    pools: Mapping[str, str]
    routes: tuple[Route, ...] = ()
    by_source: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def targets(self, source: str, message: str) -> tuple[str, ...]:
        """Returns the processes a message thrown by process `source` goes to."""
        return self.by_source.get((source, message), ())


def read_collaboration(bpmn: bytes) -> Collaboration:
    """Returns the collaboration of a diagram, or DiagramRejected naming every message flow
    that does not join a message thrown in one pool to the same message caught in another."""
    root = parse_bpmn_bytes(bpmn)
    messages = {m.get("id"): m.get("name") or "" for m in root.iterfind(".//bpmn:message", _NS)}
    pools = {}
    for participant in root.iterfind(".//bpmn:participant", _NS):
        if participant.get("processRef"):
            pools[participant.get("processRef")] = participant.get("name") or ""
    owner: dict[str, str] = {}  # element id → process id
    message_of: dict[str, str] = {}  # event id → message name
    for process in root.iterfind(".//bpmn:process", _NS):
        for element in process.iter():
            element_id = element.get("id")
            if element_id:
                owner[element_id] = process.get("id")
            definition = element.find("bpmn:messageEventDefinition", _NS)
            if definition is not None and element_id:
                message_of[element_id] = messages.get(definition.get("messageRef"), "")
    participants = {
        p.get("id"): p.get("processRef") for p in root.iterfind(".//bpmn:participant", _NS)
    }

    findings, routes = [], []
    for flow in root.iterfind(".//bpmn:messageFlow", _NS):
        flow_id, source, target = flow.get("id"), flow.get("sourceRef"), flow.get("targetRef")
        source_process = owner.get(source)
        target_process = owner.get(target) or participants.get(target)
        message = message_of.get(source)
        if source_process is None or not message:
            findings.append(
                Finding(flow_id, "a handoff starts at an event of a pool that throws a message")
            )
            continue
        if target_process is None or target_process == source_process:
            findings.append(Finding(flow_id, "a handoff ends in another pool's process"))
            continue
        if target in message_of and message_of[target] != message:
            findings.append(
                Finding(
                    flow_id,
                    f"the message thrown ({message!r}) is not the one caught "
                    f"({message_of[target]!r})",
                )
            )
            continue
        routes.append(Route(message, source_process, target_process, flow.get("name") or ""))
    if findings:
        raise DiagramRejected(findings)
    by_source: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in routes:
        key = (route.source, route.message)
        if route.target not in by_source.get(key, ()):
            by_source[key] = (*by_source.get(key, ()), route.target)
    return Collaboration(pools=pools, routes=tuple(routes), by_source=by_source)
