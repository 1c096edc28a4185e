"""Returns compiled procedures: a checked BPMN process spec plus what the platform reads from it.

Compiling is separate from running. `compile_process` parses a diagram safely, checks it the
way a designer deserves (every finding, each with its element id), and extracts the human
steps: role (from the lane), form, step budget and the dossier status each step stands for.
Compiled procedures are cached by content hash, so a spec is built once per process, not
once per request.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent, ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
)
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from processes import DossierStatus, role_for_lane

from . import camunda, evaluator
from .bpmn_xml import parse_bpmn_bytes
from .check import (
    cycles,
    locate,
    repaired,
    schema_findings,
    scope,
    structure_findings,
    without_drawing_extensions,
)
from .errors import WARNING, DiagramRejected, Finding, TooManyInstances
from .forms import Form, check_schema
from .timers import (
    EXPECTED,
    KIND_OF_TAG,
    literal,
    meant_literal,
    platform_timer,
    read_value,
    timer_definitions,
)

BPMN_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}

SPIFF_NS = {"spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}

# Constructs SpiffWorkflow parses but does not run (a path through them silently ends), or
# that this platform does not drive yet (nothing re-checks conditions).
_UNSUPPORTED = {
    "bpmn:linkEventDefinition": "link events are not run by the engine",
    "bpmn:compensateEventDefinition": "compensation is not supported",
    "bpmn:complexGateway": "complex gateways are not supported",
    "bpmn:conditionalEventDefinition": (
        "conditional events are not re-evaluated by the platform yet"
    ),
}

# Every place a diagram carries code the engine will run, and how it runs it.
_CODE = (
    ("bpmn:conditionExpression", BPMN_NS, "eval"),
    ("bpmn:loopCardinality", BPMN_NS, "eval"),
    ("bpmn:completionCondition", BPMN_NS, "eval"),
    ("bpmn:condition", BPMN_NS, "eval"),
    ("bpmn:script", BPMN_NS, "exec"),
    ("spiffworkflow:preScript", SPIFF_NS, "exec"),
    ("spiffworkflow:postScript", SPIFF_NS, "exec"),
    ("bpmn:loopCondition", BPMN_NS, "eval"),
    ("spiffworkflow:messagePayload", SPIFF_NS, "eval"),
    ("spiffworkflow:processVariableCorrelation/spiffworkflow:expression", SPIFF_NS, "eval"),
    ("spiffworkflow:payloadExpression", SPIFF_NS, "eval"),
)

# Sizes past which a diagram deploys and then hangs the engine (or a request) instead of
# running: each is a finding at deploy; data-dependent multi-instance sizes are bounded when
# they are evaluated (TooManyInstances).
MAX_LOOP_MAXIMUM = 100  # iterations of a standard loop, which must state its loopMaximum
MAX_INSTANCES = 100  # instances of a multi-instance activity
MAX_OUTGOING_FLOWS = 50  # sequence flows leaving one gateway or activity
MAX_FLOW_ELEMENTS = 2_000  # flow nodes and sequence flows in one process
MAX_BUDGET_DAYS = Decimal(365)  # working days of one step

# Flow nodes where the engine stops until someone (or something outside) acts: a cycle
# through none of them is a loop with no wait state.
_WAIT_NODES = {"userTask", "manualTask", "receiveTask", "intermediateCatchEvent", "callActivity"}
_WAITING_EVENTS = {
    "messageEventDefinition",
    "signalEventDefinition",
    "timerEventDefinition",
    "conditionalEventDefinition",
}
_BPMN = "{" + BPMN_NS["bpmn"] + "}"
_SHARED_DEFINITIONS = {"correlationProperty", "signal", "error", "escalation", "message"}


@dataclass(frozen=True)
class Step:
    """A human step of a procedure: who works it, on which form, with what share of the time."""

    name: str  # the BPMN element id
    title: str
    role: str
    form_key: str
    budget_days: Decimal
    dossier_status: DossierStatus | None
    documentation: str = ""


@dataclass(frozen=True)
class CompiledProcess:
    """A deployable procedure version: spec, human steps, end statuses and forms."""

    content_hash: str
    process_id: str
    spec: Any
    subprocess_specs: Mapping[str, Any]
    steps: Mapping[str, Step]
    end_statuses: Mapping[str, DossierStatus]
    forms: Mapping[str, Form] = field(repr=False)
    # The message its start event waits for (None: the process starts when received), the
    # messages it may throw to other processes and those its catch events wait for.
    start_message: str | None = None
    throws: frozenset[str] = frozenset()
    catches: frozenset[str] = frozenset()
    has_timers: bool = False  # whether any event waits for a timer (fired by the platform)

    def form(self, key: str) -> Form:
        """Returns the compiled form with this key (KeyError when the procedure has none)."""
        return self.forms[key]


def content_hash(process_id: str, bpmn: bytes, forms: Mapping[str, Mapping[str, Any]]) -> str:
    """Returns the sha256 that identifies a diagram together with its forms."""
    digest = hashlib.sha256()
    digest.update(process_id.encode())
    digest.update(b"\0")
    digest.update(bpmn)
    digest.update(b"\0")
    digest.update(json.dumps(forms, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def compile_process(
    bpmn: bytes,
    process_id: str,
    forms: Mapping[str, Mapping[str, Any]],
    *,
    resolve_role: Callable[[str | None], str | None] = role_for_lane,
    deadline_days: Decimal | None = None,
    strict: bool = True,
) -> CompiledProcess:
    """Returns the compiled procedure, or raises DiagramRejected with every finding (errors
    and warnings) when the check finds any error.

    `strict=False` compiles a version deployed already (to run its dossiers): the rules a
    diagram needs to run safely still hold, but not the designer's rules added since it was
    deployed (reachability, gateway branches, message routes, the XML Schema read in full),
    which must never stop its running dossiers."""
    findings, compiled = _analyse(
        bpmn, process_id, forms, resolve_role, deadline_days, strict=strict
    )
    if compiled is None or any(finding.is_error for finding in findings):
        raise DiagramRejected(findings)
    return compiled


def check_process(
    bpmn: bytes,
    process_id: str,
    forms: Mapping[str, Mapping[str, Any]],
    *,
    resolve_role: Callable[[str | None], str | None] = role_for_lane,
    deadline_days: Decimal | None = None,
    dry_run: Callable[[CompiledProcess], list[Finding]] | None = None,
) -> list[Finding]:
    """Returns every finding of the designer's check, errors and warnings, each with its
    element, name and line (findings about the whole document name "document"). Never
    raises for anything the document holds. `dry_run` (engine.dry_run, set up by the
    caller) runs when the diagram compiles without an error."""
    try:
        findings, compiled = _analyse(bpmn, process_id, forms, resolve_role, deadline_days)
    except DiagramRejected as rejected:  # not a BPMN document at all
        return rejected.findings
    if dry_run is not None and compiled is not None and not any(f.is_error for f in findings):
        findings += locate(dry_run(compiled), parse_bpmn_bytes(bpmn))
    return findings


def _analyse(bpmn, process_id, forms, resolve_role, deadline_days, *, strict=True):
    """Returns (every finding, the compiled process or None when it cannot be built)."""
    root = parse_bpmn_bytes(bpmn)
    findings: list[Finding] = camunda.translate(root)  # Camunda Modeler's extensions, ours
    findings += schema_findings(root) if strict else []
    processes = scope(root, process_id)
    if not processes:
        ids = [p.get("id") for p in root.iterfind("bpmn:process", BPMN_NS)]
        findings.append(
            Finding("document", f"no process {process_id!r} in the file (it has: {ids or 'none'})")
        )
        return locate(findings, root), None
    if processes[0].get("isExecutable") == "false":
        findings.append(Finding(process_id, "the process is not executable (isExecutable)"))
    timer_expressions: dict[str, str] = {}
    for process in processes:
        findings += _unsupported_constructs(process, {f.element for f in findings})
        findings += _unsafe_code(process)
        findings += _oversized(process)
        findings += _loops_without_wait(process)
        timer_findings, expressions = _timers(process)
        findings += timer_findings
        timer_expressions.update(expressions)
    for shared in root:
        # Document-level definitions (correlation properties; signals', errors' and
        # escalations' payloads) that any process of the file may evaluate.
        if isinstance(shared.tag, str) and shared.tag[len(_BPMN) :] in _SHARED_DEFINITIONS:
            findings += _unsafe_code(shared)
    if strict:
        findings += structure_findings(root, processes)
    compiled_forms: dict[str, Form] = {}
    for key, schema in forms.items():
        problems = check_schema(key, schema, forms)
        findings += problems
        if not problems:
            compiled_forms[key] = Form(key, schema, forms)
    invalid = any(finding.message.startswith("schema: ") for finding in findings)
    # Past schema errors (already reported), SpiffWorkflow's parser reads the document
    # without its own validation, so the findings behind them are reported too.
    parser = SpiffBpmnParser(validator=None if invalid else VALIDATOR)
    errors = [finding for finding in findings if finding.is_error]
    parsed = without_drawing_extensions(repaired(root, errors) if errors else root)
    try:
        parser.add_bpmn_xml(etree.ElementTree(parsed), filename=f"{process_id}.bpmn")
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except (SpiffWorkflowException, RecursionError) as exc:
        findings += _engine_finding(exc, process_id, findings)
        return locate(findings, root), None
    except Exception:  # noqa: BLE001 - a document the schema refused may confuse the parser
        if not invalid:
            raise
        return locate(findings, root), None
    if invalid:
        return locate(findings, root), None

    for task_spec in _all_task_specs(spec, subprocess_specs):
        _bound_instances(task_spec)
    has_timers = _use_platform_timers(spec, subprocess_specs, timer_expressions)

    steps: dict[str, Step] = {}
    end_statuses: dict[str, DossierStatus] = {}
    start_message, throws, catches = None, set(), set()
    for task_spec in _all_task_specs(spec, subprocess_specs):
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition):
            if isinstance(task_spec, ThrowingEvent):
                throws.add(definition.name)
            elif isinstance(task_spec, CatchingEvent):
                catches.add(definition.name)
                if isinstance(task_spec, StartEvent) and task_spec in spec.task_specs.values():
                    start_message = definition.name
    for task_spec in _all_task_specs(spec, subprocess_specs):
        element = getattr(task_spec, "bpmn_id", None) or task_spec.name
        properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
        if task_spec.manual:
            step, problems = _read_step(
                task_spec, element, properties, compiled_forms, resolve_role
            )
            findings += problems
            if step:
                steps[task_spec.name] = step
        elif isinstance(task_spec, EndEvent) and "dossier_status" in properties:
            status, problem = _read_status(element, properties["dossier_status"])
            if problem:
                findings.append(problem)
            else:
                end_statuses[task_spec.name] = status
    if not steps and not any(finding.is_error for finding in findings):
        findings.append(Finding(process_id, "the process has no user task for an officer to work"))
    if deadline_days is not None and steps:
        findings += _budgets_over_deadline(processes[0], steps, deadline_days)
    compiled = CompiledProcess(
        content_hash=content_hash(process_id, bpmn, forms),
        process_id=process_id,
        spec=spec,
        subprocess_specs=subprocess_specs,
        steps=steps,
        end_statuses=end_statuses,
        forms=compiled_forms,
        start_message=start_message,
        throws=frozenset(throws),
        catches=frozenset(catches),
        has_timers=has_timers,
    )
    return locate(findings, root), compiled


def _without_back_edges(edges: Mapping[str, list[str]], starts: list[str]) -> dict:
    """Returns the edges that a depth-first walk from the starts finds going forward (the
    ones closing a loop left out), so the graph left has no cycle."""
    forward: dict[str, list[str]] = {}
    state: dict[str, int] = {}  # 1: on the walk's path, 2: done
    for start in starts:
        if start in state:
            continue
        state[start] = 1
        work = [(start, iter(edges.get(start, ())))]
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is None:
                state[node] = 2
                work.pop()
                continue
            if state.get(target) == 1:
                continue  # back to a node on the path: a loop
            forward.setdefault(node, []).append(target)
            if target not in state:
                state[target] = 1
                work.append((target, iter(edges.get(target, ()))))
    return forward


def _budgets_over_deadline(process, steps: Mapping[str, Step], deadline: Decimal) -> list:
    """Returns a warning when the step budgets on the longest path from the start add up to
    more than the legal deadline allows (a deadline of 0 days is the same working day)."""
    budgets = {  # waiting for the applicant's supplement is not the agency's time
        name: step.budget_days
        for name, step in steps.items()
        if step.dossier_status is not DossierStatus.SUPPLEMENT_REQUESTED
    }
    edges: dict[str, list[str]] = {}
    for flow in process.iterfind(".//bpmn:sequenceFlow", BPMN_NS):
        edges.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    for event in process.iterfind(".//bpmn:boundaryEvent", BPMN_NS):
        edges.setdefault(event.get("attachedToRef"), []).append(event.get("id"))
    starts = [e.get("id") for e in process.iterfind("bpmn:startEvent", BPMN_NS)]
    forward = _without_back_edges(edges, starts)  # a loop back (a rework, a supplement)
    best: dict[str, Decimal] = {}  # is not the path the deadline is planned on

    def longest(node: str) -> Decimal:
        if node not in best:
            best[node] = budgets.get(node, Decimal(0)) + max(
                (longest(target) for target in forward.get(node, ())), default=Decimal(0)
            )
        return best[node]

    total = max((longest(start) for start in starts), default=Decimal(0))
    allowed = deadline if deadline > 0 else Decimal(1)
    if total <= allowed:
        return []
    return [
        Finding(
            process.get("id"),
            f"the step budgets on the longest path add up to {total} working days, more than "
            f"the legal deadline of {deadline} allows",
            severity=WARNING,
        )
    ]


class ProcessCache:
    """Returns compiled procedures by content hash, compiling each at most once (LRU-bounded)."""

    def __init__(self, max_entries: int = 256):
        self._entries: OrderedDict[str, CompiledProcess] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get(
        self,
        digest: str,
        sources: Callable[[], tuple[bytes, str, Mapping[str, Mapping[str, Any]]]],
    ) -> CompiledProcess:
        """Returns the compiled process for a digest; `sources()` gives (bpmn, process id,
        forms) and is called only when the digest has not been compiled yet."""
        with self._lock:
            if digest in self._entries:
                self._entries.move_to_end(digest)
                return self._entries[digest]
        compiled = compile_process(*sources(), strict=False)  # deployed: it runs
        with self._lock:
            self._entries[digest] = compiled
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return compiled


def _all_task_specs(spec, subprocess_specs):
    yield from spec.task_specs.values()
    for sub in subprocess_specs.values():
        yield from sub.task_specs.values()


def _unsupported_constructs(root, reported: set[str]) -> list[Finding]:
    """Returns findings for what the engine parses but the platform does not run (`reported`:
    elements already refused, e.g. by the Camunda translation)."""
    findings = []
    for xpath, message in _UNSUPPORTED.items():
        for node in root.iterfind(f".//{xpath}", BPMN_NS):
            owner = node if "Gateway" in node.tag else node.getparent()
            findings.append(Finding(_owner_id(owner), message))
    for kind in ("serviceTask", "businessRuleTask"):
        for node in root.iterfind(f".//bpmn:{kind}", BPMN_NS):
            if node.get("id") not in reported:
                findings.append(
                    Finding(
                        node.get("id", "?"),
                        "the platform calls no services: an officer's work is a user task, "
                        "another agency's a message",
                    )
                )
    for node in root.iterfind(".//bpmn:scriptTask", BPMN_NS):
        language = (node.get("scriptFormat") or "python").lower()
        if language not in {"python", "text/python", "text/x-python"}:
            findings.append(
                Finding(node.get("id", "?"), f"script format {language!r}: only Python")
            )
    return findings


def _code(root):
    """Yields (node, source, mode) for every place a diagram carries code SpiffWorkflow runs."""
    for xpath, namespaces, mode in _CODE:
        for node in root.iterfind(f".//{xpath}", namespaces):
            yield node, node.text, mode
    # SpiffWorkflow takes the first child of a retrieval expression, whatever it is (a
    # bpmn:formalExpression or bpmn:messagePath; even a comment).
    for node in root.iterfind(".//bpmn:correlationPropertyRetrievalExpression", BPMN_NS):
        for child in node:
            yield node, child.text, "eval"
    # A script task runs the text of its last child whose tag ends with "script".
    for node in root.iterfind(".//bpmn:scriptTask", BPMN_NS):
        for child in node:
            if isinstance(child.tag, str) and child.tag.endswith("script"):
                yield node, child.text, "exec"
    # Service-task parameters are evaluated before the call (the finding names the task).
    for task in root.iterfind(".//bpmn:serviceTask", BPMN_NS):
        for node in task.iterfind(".//spiffworkflow:parameter", SPIFF_NS):
            yield task, node.get("value"), "eval"


def _timers(root) -> tuple[list[Finding], dict[str, str]]:
    """Returns findings for timers the platform cannot fire, and each timer's expression as
    the engine will evaluate it, by element id: a literal (an ISO-8601 duration or date, or a
    number of working days, quoted or not, as designers write them) becomes a quoted string;
    anything else is an expression the restricted evaluator must accept."""
    findings, expressions = [], {}
    for node in root.iterfind(".//bpmn:timerEventDefinition", BPMN_NS):
        owner = node.getparent()
        where = _owner_id(owner)
        if where in expressions:
            findings.append(Finding(where, "an event may wait for one timer only"))
            continue
        if owner.tag == f"{{{BPMN_NS['bpmn']}}}startEvent" and not _in_event_subprocess(owner):
            findings.append(
                Finding(where, "a procedure starts when a dossier is received, not on a timer")
            )
            continue
        if node.find("bpmn:timeCycle", BPMN_NS) is not None:
            findings.append(
                Finding(
                    where,
                    "repeating timers (timeCycle) are not fired: reminders are the "
                    "platform's policies; use timeDuration or timeDate",
                )
            )
            continue
        times = [child for child in node if _local_name(child) in KIND_OF_TAG]
        if len(times) != 1:
            findings.append(Finding(where, "a timer needs exactly one timeDuration or timeDate"))
            continue
        kind = KIND_OF_TAG[_local_name(times[0])]
        text = (times[0].text or "").strip()
        if not text:
            findings.append(Finding(where, f"the timer has no expression: write {EXPECTED[kind]}"))
            continue
        spelled = literal(text)
        if spelled is not None:
            if read_value(spelled).kind != kind:
                tag = _local_name(times[0])
                findings.append(Finding(where, f"{tag} {text!r}: write {EXPECTED[kind]}"))
                continue
            expressions[where] = repr(spelled)
            continue
        if meant_literal(text):
            tag = _local_name(times[0])
            findings.append(Finding(where, f"{tag} {text!r}: write {EXPECTED[kind]}"))
            continue
        try:
            evaluator.check(text, mode="eval")
        except evaluator.UnsafeCodeError as exc:
            findings += [
                Finding(where, f"{text!r} is not {EXPECTED[kind]}; as an expression: {problem}")
                for problem in exc.findings
            ]
            continue
        expressions[where] = text
    return findings, expressions


def _in_event_subprocess(node) -> bool:
    parent = node.getparent()
    return (
        parent is not None
        and _local_name(parent) == "subProcess"
        and parent.get("triggeredByEvent") == "true"
    )


def _local_name(node) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _use_platform_timers(spec, subprocess_specs, expressions: Mapping[str, str]) -> bool:
    """Puts the platform's timers in place of SpiffWorkflow's (which fire by the server's
    clock, in calendar time); returns whether the process has any."""
    found = False
    for task_spec in _all_task_specs(spec, subprocess_specs):
        definition = getattr(task_spec, "event_definition", None)
        timers = list(timer_definitions(definition))
        if not timers:
            continue
        found = True
        element = getattr(task_spec, "bpmn_id", None) or task_spec.name
        if element not in expressions:
            continue  # refused: its finding is reported with the others
        replacement = platform_timer(timers[0], expressions[element])
        if definition is timers[0]:
            task_spec.event_definition = replacement
        else:
            inner = definition.event_definitions
            inner[inner.index(timers[0])] = replacement
    return found


def _unsafe_code(root) -> list[Finding]:
    """Returns findings for every expression or script the restricted evaluator refuses,
    read from the XML itself so that no place a diagram can carry code is missed."""
    findings = []
    seen = set()
    for node, text, mode in _code(root):
        source = (text or "").strip()
        key = (_owner_id(node), source, mode)
        if not source or key in seen:
            continue
        seen.add(key)
        try:
            evaluator.check(source, mode=mode)
        except evaluator.UnsafeCodeError as exc:
            where = _owner_id(node)
            findings += [Finding(where, f"{quoted(source)}: {problem}") for problem in exc.findings]
    return findings


def _oversized(root) -> list[Finding]:
    """Returns findings for loops, fan-outs and processes too large to run in one request."""
    findings = []
    for loop in root.iterfind(".//bpmn:standardLoopCharacteristics", BPMN_NS):
        where = _owner_id(loop)
        maximum = loop.get("loopMaximum")
        if maximum is None:
            findings.append(Finding(where, "a standard loop must state its loopMaximum"))
        elif not _is_int(maximum) or not 0 <= int(maximum) <= MAX_LOOP_MAXIMUM:
            findings.append(
                Finding(where, f"loopMaximum {maximum!r} must be from 0 to {MAX_LOOP_MAXIMUM}")
            )
    for node in root.iterfind(".//bpmn:loopCardinality", BPMN_NS):
        source = (node.text or "").strip()
        value = _constant(source)
        if isinstance(value, int) and not 0 <= value <= MAX_INSTANCES:
            findings.append(
                Finding(
                    _owner_id(node),
                    f"loopCardinality {source!r} must be from 0 to {MAX_INSTANCES}",
                )
            )
    outgoing: dict[str, int] = {}
    for flow in root.iterfind(".//bpmn:sequenceFlow", BPMN_NS):
        source = flow.get("sourceRef")
        outgoing[source] = outgoing.get(source, 0) + 1
    for element, count in outgoing.items():
        if count > MAX_OUTGOING_FLOWS:
            findings.append(
                Finding(
                    element,
                    f"{count} outgoing sequence flows: at most {MAX_OUTGOING_FLOWS}",
                )
            )
    processes = (
        [root] if root.tag == f"{_BPMN}process" else root.iterfind(".//bpmn:process", BPMN_NS)
    )
    for process in processes:
        count = sum(1 for node in process.iter() if _flow_kind(node))
        if count > MAX_FLOW_ELEMENTS:
            findings.append(
                Finding(
                    process.get("id", "document"),
                    f"{count} flow elements: a process may have at most {MAX_FLOW_ELEMENTS}",
                )
            )
    return findings


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _constant(source: str) -> Any:
    """Returns the value of an expression that reads no data, or None when it needs data."""
    try:
        return evaluator.evaluate(source, {})
    except Exception:  # noqa: BLE001 - data-dependent or unsafe (reported elsewhere)
        return None


def _flow_kind(node) -> str | None:
    """Returns the BPMN local name of a flow element (node or sequence flow), else None."""
    tag = node.tag
    if not isinstance(tag, str) or not tag.startswith(_BPMN):
        return None
    name = tag[len(_BPMN) :]
    if (
        name in {"sequenceFlow", "task", "callActivity", "subProcess", "transaction"}
        or name == "adHocSubProcess"
        or name.endswith(("Task", "Event", "Gateway"))
    ):
        return name
    return None


def _loops_without_wait(root) -> list[Finding]:
    """Returns a finding per cycle of flow nodes none of which waits for a person or event:
    the engine would run it until SpiffWorkflow loses track of the task tree."""
    nodes: dict[str, bool] = {}  # flow node id -> waits
    order: dict[str, int] = {}
    for node in root.iter():
        kind = _flow_kind(node)
        if kind is None or kind == "sequenceFlow" or not node.get("id"):
            continue
        order.setdefault(node.get("id"), len(order))
        nodes[node.get("id")] = _waits(node, kind)
    edges: dict[str, list[str]] = {}

    def connect(source, target):
        if source in nodes and target in nodes and not nodes[source] and not nodes[target]:
            edges.setdefault(source, []).append(target)

    for flow in root.iterfind(".//bpmn:sequenceFlow", BPMN_NS):
        connect(flow.get("sourceRef"), flow.get("targetRef"))
    for event in root.iterfind(".//bpmn:boundaryEvent", BPMN_NS):
        connect(event.get("attachedToRef"), event.get("id"))
    findings = []
    for component in cycles(edges):
        members = sorted(component, key=order.__getitem__)
        shown = ", ".join(members[:5]) + (", …" if len(members) > 5 else "")
        findings.append(
            Finding(
                members[0],
                f"a cycle of automatic steps ({shown}) has no user task or other wait state",
            )
        )
    return findings


def _waits(node, kind: str) -> bool:
    if kind in _WAIT_NODES:
        return True
    if kind == "boundaryEvent":
        return any(
            isinstance(child.tag, str) and child.tag[len(_BPMN) :] in _WAITING_EVENTS
            for child in node
        )
    if kind in {"subProcess", "adHocSubProcess", "transaction"}:
        return any(_flow_kind(child) in _WAIT_NODES for child in node.iter() if child is not node)
    return False


def _bound_instances(task_spec) -> None:
    """Makes a multi-instance activity refuse, before creating any instance, a cardinality or
    collection above MAX_INSTANCES (TooManyInstances) instead of building them all."""
    if isinstance(task_spec, ParallelMultiInstanceTask):
        create_children = task_spec.create_children

        def bounded_create_children(my_task):
            _check_instances(task_spec, my_task, _parallel_size(task_spec, my_task))
            return create_children(my_task)

        task_spec.create_children = bounded_create_children
    elif isinstance(task_spec, SequentialMultiInstanceTask):
        add_next_child = task_spec.add_next_child

        def bounded_add_next_child(my_task):
            internal = my_task.internal_data
            if task_spec.data_input is not None:
                size = len(internal.get("remaining", ())) + len(internal.get("merged", ()))
            else:
                size = internal.get("cardinality")
            _check_instances(task_spec, my_task, size)
            return add_next_child(my_task)

        task_spec.add_next_child = bounded_add_next_child


def _parallel_size(task_spec, my_task) -> Any:
    if task_spec.data_input is None:
        return my_task.workflow.script_engine.evaluate(my_task, task_spec.cardinality)
    if not task_spec.data_input.exists(my_task):
        return None  # SpiffWorkflow reports the missing input itself
    collection = task_spec.data_input.get(my_task)
    try:
        return len(collection)
    except TypeError:
        return None


def _check_instances(task_spec, my_task, size) -> None:
    if isinstance(size, int) and size > MAX_INSTANCES:
        element = getattr(task_spec, "bpmn_id", None) or task_spec.name
        raise TooManyInstances(
            f"{element}: {size} instances, more than the {MAX_INSTANCES} the platform runs"
        )


def _owner_id(node) -> str:
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node.get("id") if node is not None else "document"


def _read_step(task_spec, element, properties, forms, resolve_role):
    findings: list[Finding] = []
    role = resolve_role(task_spec.lane)
    groups = [g for g in properties.get("candidate_groups", "").split(",") if g]
    if role is None and groups:  # a diagram from Camunda Modeler: its candidate groups
        role = next((found for g in groups if (found := resolve_role(g))), None)
        if role is None:
            findings.append(Finding(element, f"candidate groups {groups}: none names a role"))
    elif role is None:
        where = f"lane {task_spec.lane!r}" if task_spec.lane else "no lane"
        findings.append(Finding(element, f"{where}: the lane must name a role"))
    form_key = properties.get("form_key")
    if not form_key:
        findings.append(Finding(element, "the user task has no form_key property"))
    elif form_key not in forms:
        findings.append(Finding(element, f"form {form_key!r} is missing or invalid"))
    try:
        budget = Decimal(properties.get("budget_days", ""))
        if not budget.is_finite() or not 0 <= budget <= MAX_BUDGET_DAYS:
            raise InvalidOperation
    except InvalidOperation:
        budget = None
        findings.append(
            Finding(
                element,
                f"budget_days must be a number of working days from 0 to {MAX_BUDGET_DAYS}",
            )
        )
    status = None
    if "dossier_status" in properties:
        status, problem = _read_status(element, properties["dossier_status"])
        if problem:
            findings.append(problem)
    if findings:
        return None, findings
    step = Step(
        name=task_spec.name,
        title=task_spec.bpmn_name or task_spec.name,
        role=role,
        form_key=form_key,
        budget_days=budget,
        dossier_status=status,
        documentation=(task_spec.documentation or "").strip(),
    )
    return step, []


def _read_status(element: str, value: str) -> tuple[DossierStatus | None, Finding | None]:
    try:
        return DossierStatus(int(value)), None
    except ValueError:
        return None, Finding(element, f"dossier_status {value!r} is not a status code 1–10")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


# What SpiffWorkflow's parser says, as a designer should read it (its own words otherwise).
_ENGINE_MESSAGES = (
    ("Multiple outgoing flows are not supported", "only one way out: branch with a gateway"),
    ("A Service Task must have an operator", "service tasks are not run by the platform"),
    ("Exactly one start event is required", "a subprocess needs exactly one start event"),
    ("Data Store name is missing", "data stores are not supported"),
    ("Unknown Time Specification", "a timer needs exactly one timeDuration or timeDate"),
)
_ELEMENT_REPR = re.compile(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-f]+>")


def _engine_finding(exc: Exception, process_id: str, found: list[Finding]) -> list[Finding]:
    """Returns the finding for what stopped SpiffWorkflow's parser, in words a designer reads
    (no exception names, no Python reprs); nothing when the check already said it there."""
    chain, cause = [], exc
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(error, RecursionError) for error in chain) or "RecursionError" in str(exc):
        return [
            Finding(
                process_id,
                "a path of several hundred steps in a row is longer than the engine follows: "
                "split it into subprocesses",
            )
        ]
    element = getattr(exc, "id", None) or "document"
    message = _ELEMENT_REPR.sub(r"<\1>", _first_line(exc))
    for said, meant in _ENGINE_MESSAGES:
        if said in message:
            message = meant
            break
    if any(f.element == element and f.message == message for f in found):
        return []
    return [Finding(element, message)]


def quoted(source: str, limit: int = 120) -> str:
    """Returns an expression as a finding shows it: one line, in quotes, shortened."""
    text = " ".join(source.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"
