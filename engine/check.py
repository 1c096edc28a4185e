"""Returns what the designer's check finds in a diagram beyond what SpiffWorkflow parses: every
XML Schema error (not only the last), the scope of one process, and the structural rules a
diagram must follow to run on this platform (reachability, gateway branches, events the
platform delivers, references that resolve), each finding with its element, name and line.

`engine.procedure.compile_process` runs these with its own checks: a deployment is refused
on any error, and a check report (`check_process`) lists errors and warnings alike.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping

from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from .errors import WARNING, Finding

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN}
_B = "{" + BPMN + "}"
# At most this many findings of the XML Schema: a document that breaks every rule is told
# so without a report the size of the document.
MAX_SCHEMA_FINDINGS = 100
# Task spec names SpiffWorkflow gives its own tasks: an element with one is lost in the spec.
_RESERVED_IDS = {"Start", "End", "Root"}
_NOT_RUN = {"textAnnotation", "association", "group", "dataObject", "dataObjectReference"}


def schema_findings(root: etree._Element) -> list[Finding]:
    """Returns every error of the BPMN XML Schema (with SpiffWorkflow's extensions), each at
    the element nearest its line."""
    document = etree.ElementTree(without_drawing_extensions(root))  # lines are kept
    VALIDATOR.preprocess(document)
    validator = VALIDATOR.validator
    if validator.validate(document):
        return []
    by_line = _elements_by_line(root)
    findings = []
    for error in list(validator.error_log)[:MAX_SCHEMA_FINDINGS]:
        element = by_line.get(error.line, "document")
        findings.append(Finding(element, f"schema: {_schema_message(error.message)}"))
    return findings


_DI_EXTENSION = "{http://www.omg.org/spec/DD/20100524/DI}extension"


def without_drawing_extensions(root: etree._Element) -> etree._Element:
    """Returns a copy of the document without the modelling tools' own drawing hints
    (`di:extension`: presentation only, in namespaces no schema of ours knows)."""
    document = copy.deepcopy(root)
    for extension in list(document.iter(_DI_EXTENSION)):
        extension.getparent().remove(extension)
    return document


def _schema_message(message: str) -> str:
    # "Element '{http://…/MODEL}userTask', attribute 'x': …" → "userTask, attribute 'x': …"
    return message.replace(_B, "bpmn:").replace("Element 'bpmn:", "'bpmn:")[:300]


def _elements_by_line(root: etree._Element) -> dict[int, str]:
    """Returns, for each line, the id of the innermost element with an id that starts there
    or encloses it."""
    found: dict[int, str] = {}
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        owner = node
        while owner is not None and not owner.get("id"):
            owner = owner.getparent()
        if owner is not None and node.sourceline is not None:
            found[node.sourceline] = owner.get("id")
    return found


def scope(root: etree._Element, process_id: str) -> list[etree._Element]:
    """Returns the process and the processes its call activities reach, in this file: what
    deploying `process_id` runs (another pool of the same file is not its concern)."""
    processes = {p.get("id"): p for p in root.iterfind("bpmn:process", NS)}
    found, todo = [], [process_id]
    while todo:
        current = todo.pop()
        process = processes.get(current)
        if process is None or process in found:
            continue
        found.append(process)
        todo += [call.get("calledElement") for call in process.iterfind(".//bpmn:callActivity", NS)]
    return found


def structure_findings(root: etree._Element, processes: list[etree._Element]) -> list[Finding]:
    """Returns the structural findings of the processes in scope."""
    findings: list[Finding] = []
    defined = {p.get("id") for p in root.iterfind("bpmn:process", NS)}
    messages = {m.get("id"): m for m in root.iterfind("bpmn:message", NS)}
    flows = list(root.iterfind(".//bpmn:messageFlow", NS))
    for process in processes:
        findings += [
            Finding(node.get("id"), f"the id {node.get('id')!r} is the engine's own: rename it")
            for node in process.iter()
            if isinstance(node.tag, str) and node.get("id") in _RESERVED_IDS
        ]
        findings += _unreachable(process)
        findings += _gateways(process)
        findings += _references(process, defined, messages, flows)
        findings += _loops_through_people(process)
    return findings


def _children(container) -> Iterator[etree._Element]:
    for node in container:
        if isinstance(node.tag, str) and node.tag.startswith(_B):
            yield node


def _local(node) -> str:
    return node.tag[len(_B) :]


def _is_flow_node(node) -> bool:
    name = _local(node)
    return name not in _NOT_RUN and (
        name in {"task", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
        or name.endswith(("Task", "Event", "Gateway"))
    )


def _unreachable(container) -> list[Finding]:
    """Returns a finding per flow node that no path from a start event reaches (in the
    process and in each sub-process, which starts when it is reached)."""
    nodes = {n.get("id"): n for n in _children(container) if _is_flow_node(n) and n.get("id")}
    edges: dict[str, list[str]] = {}
    for flow in container.iterfind("bpmn:sequenceFlow", NS):
        edges.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    for node in nodes.values():
        if _local(node) == "boundaryEvent":
            edges.setdefault(node.get("attachedToRef"), []).append(node.get("id"))
    roots = [
        node_id
        for node_id, node in nodes.items()
        if _local(node) == "startEvent"
        or (_local(node) == "subProcess" and node.get("triggeredByEvent") == "true")
    ]
    seen, todo = set(roots), list(roots)
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target in nodes and target not in seen:
                seen.add(target)
                todo.append(target)
    findings = []
    if not roots and nodes:
        findings.append(Finding(container.get("id", "document"), "it has no start event"))
    for node_id, node in nodes.items():
        if node_id not in seen and roots:
            findings.append(Finding(node_id, "no path from a start event reaches it"))
        elif _local(node) != "endEvent" and not edges.get(node_id) and not _event_subprocess(node):
            findings.append(
                Finding(
                    node_id,
                    "the path ends here without an end event: the dossier would stop unfinished",
                )
            )
        if _local(node) in {"subProcess", "transaction", "adHocSubProcess"}:
            findings += _unreachable(node)
    return findings


def _event_subprocess(node) -> bool:
    return _local(node) == "subProcess" and node.get("triggeredByEvent") == "true"


def _gateways(container) -> list[Finding]:
    """Returns findings for gateway branches the engine cannot choose between: with more
    than one way out, each needs a condition unless it is the gateway's default, a condition
    may not be blank, and the default must be one of its ways out."""
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in container.iterfind(".//bpmn:sequenceFlow", NS):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    findings = []
    for tag in ("exclusiveGateway", "inclusiveGateway"):
        for gateway in container.iterfind(f".//bpmn:{tag}", NS):
            gateway_id = gateway.get("id", "?")
            ways = outgoing.get(gateway_id, [])
            default = gateway.get("default")
            if default and default not in {flow.get("id") for flow in ways}:
                findings.append(
                    Finding(gateway_id, f"its default {default!r} is not one of its outgoing flows")
                )
            for flow in ways:
                condition = flow.find("bpmn:conditionExpression", NS)
                flow_id = flow.get("id", "?")
                if condition is not None and not (condition.text or "").strip():
                    findings.append(Finding(flow_id, "its condition is blank"))
                elif condition is None and len(ways) > 1 and flow_id != default:
                    findings.append(
                        Finding(
                            flow_id,
                            f"a way out of {gateway_id} with neither a condition nor being "
                            "its default",
                        )
                    )
    return findings


def _references(container, defined, messages, flows) -> list[Finding]:
    """Returns findings for events the platform does not deliver and references that do not
    resolve: signals, `eventDefinitionRef`, messages without a name or without a route, call
    activities to processes the file does not define, data stores."""
    findings = []
    for node in container.iterfind(".//bpmn:signalEventDefinition", NS):
        findings.append(
            Finding(
                _owner(node.getparent()),
                "signals are not delivered by the platform: use a message",
            )
        )
    for node in container.iterfind(".//bpmn:eventDefinitionRef", NS):
        findings.append(
            Finding(
                _owner(node),
                "an event defined by reference (eventDefinitionRef) is not run: define it inline",
            )
        )
    for node in container.iterfind(".//bpmn:dataStoreReference", NS):
        findings.append(Finding(node.get("id", "?"), "data stores are not supported"))
    for call in container.iterfind(".//bpmn:callActivity", NS):
        target = call.get("calledElement")
        if not target or target not in defined:
            findings.append(
                Finding(
                    call.get("id", "?"),
                    f"calls {target!r}, which this file does not define"
                    if target
                    else "names no process to call (calledElement)",
                )
            )
    routed_from = {flow.get("sourceRef") for flow in flows}
    routed_to = {flow.get("targetRef") for flow in flows}
    for definition in container.iterfind(".//bpmn:messageEventDefinition", NS):
        event = definition.getparent()
        event_id = event.get("id", "?")
        message = messages.get(definition.get("messageRef") or "")
        if message is None or not (message.get("name") or "").strip():
            findings.append(Finding(event_id, "its message has no name"))
            continue
        kind = _local(event)
        if kind in {"intermediateThrowEvent", "endEvent"} and event_id not in routed_from:
            findings.append(
                Finding(
                    event_id,
                    f"message {message.get('name')!r} has no message flow to another "
                    "agency's pool: nothing would deliver it",
                )
            )
        if kind in {"intermediateCatchEvent", "boundaryEvent", "receiveTask"} and not (
            {event_id, container.get("id")} & routed_to
        ):
            findings.append(
                Finding(
                    event_id,
                    f"message {message.get('name')!r} has no message flow to it: the step "
                    "would wait for ever",
                )
            )
    return findings


def _loops_through_people(container) -> list[Finding]:
    """Returns a warning per loop through a user task: SpiffWorkflow stops following the task
    tree 1,000 levels down, so such a loop stalls after about 333 rounds."""
    edges: dict[str, list[str]] = {}
    users = {n.get("id") for n in container.iterfind(".//bpmn:userTask", NS)}
    for flow in container.iterfind(".//bpmn:sequenceFlow", NS):
        edges.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    findings = []
    for component in cycles(edges):
        people = sorted(component & users)
        if people:
            findings.append(
                Finding(
                    people[0],
                    "a loop through user tasks: after about 333 rounds the engine cannot "
                    "follow it further and the dossier stops with an error",
                    severity=WARNING,
                )
            )
    return findings


def _owner(node) -> str:
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node.get("id") if node is not None else "document"


def locate(findings: Iterable[Finding], root: etree._Element | None) -> list[Finding]:
    """Returns the findings with their element's name and line filled in."""
    if root is None:
        return list(findings)
    by_id = {}
    for node in root.iter():
        if isinstance(node.tag, str) and node.get("id"):
            by_id.setdefault(node.get("id"), node)
    located = []
    for finding in findings:
        node = by_id.get(finding.element)
        if node is None or (finding.name and finding.line):
            located.append(finding)
            continue
        located.append(
            Finding(
                finding.element,
                finding.message,
                severity=finding.severity,
                name=finding.name or node.get("name"),
                line=finding.line or node.sourceline,
            )
        )
    return located


def executable_processes(bpmn: bytes) -> list[str]:
    """Returns the ids of the executable processes of a document (none when it cannot be
    read: the check says why)."""
    from .bpmn_xml import parse_bpmn_bytes
    from .errors import DiagramRejected

    try:
        root = parse_bpmn_bytes(bpmn)
    except DiagramRejected:
        return []
    return [
        process.get("id")
        for process in root.iterfind("bpmn:process", NS)
        if process.get("id") and process.get("isExecutable") != "false"
    ]


def repaired(root: etree._Element, findings: Iterable[Finding]) -> etree._Element:
    """Returns a copy of the document with what these findings refuse made harmless (a way
    out without a condition gets `False`; a call to a missing process, or a task that calls
    out, becomes a none event; a data store goes), so that SpiffWorkflow's parser, which
    stops at the first such thing, gets to report the rest. Only ever parsed to find more:
    never run."""
    flagged = {finding.element for finding in findings if finding.is_error}
    fixed = copy.deepcopy(root)
    removed_stores: set[str] = set()
    for node in list(fixed.iter()):
        if not isinstance(node.tag, str) or node.get("id") not in flagged:
            continue
        kind = _local(node) if node.tag.startswith(_B) else ""
        if kind == "sequenceFlow":
            condition = node.find("bpmn:conditionExpression", NS)
            if condition is None:
                condition = etree.SubElement(node, _B + "conditionExpression")
            condition.text = "False"
        elif kind in {"callActivity", "serviceTask", "sendTask", "businessRuleTask"}:
            node.tag = _B + "intermediateThrowEvent"  # passes through, asks nobody
            for name in list(node.attrib):  # what only an activity may carry
                if name not in {"id", "name"}:
                    del node.attrib[name]
            for child in list(node):
                if not isinstance(child.tag, str) or _local(child) not in _EVENT_CHILDREN:
                    node.remove(child)
        elif kind == "dataStoreReference":
            node.getparent().remove(node)
            removed_stores.add(node.get("id"))
        elif kind == "process":
            node.set("isExecutable", "true")
    if removed_stores:  # and what pointed at them, and the stores they referred to
        for association in list(
            fixed.iter(_B + "dataInputAssociation", _B + "dataOutputAssociation")
        ):
            refs = {(ref.text or "").strip() for ref in association}
            if refs & removed_stores:
                association.getparent().remove(association)
        for store in list(fixed.iter(_B + "dataStore")):
            store.getparent().remove(store)
    return fixed


# What a none intermediate event may hold when a refused activity is turned into one.
_EVENT_CHILDREN = {"documentation", "extensionElements", "incoming", "outgoing"}


def cycles(edges: Mapping[str, list[str]]) -> list[set[str]]:
    """Returns the strongly connected components that contain a cycle (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in list(edges):
        if root in index:
            continue
        work = [(root, iter(edges.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(edges.get(succ, ()))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    found.append(component)
    return found
