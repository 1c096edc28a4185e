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
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from processes import DossierStatus, role_for_lane

from . import evaluator
from .bpmn_xml import parse_bpmn_bytes
from .errors import DiagramRejected, Finding
from .forms import Form, check_schema

BPMN_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}

SPIFF_NS = {"spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}

# Constructs SpiffWorkflow parses but does not run (a path through them silently ends), or
# that this platform does not drive yet (nothing fires timers or re-checks conditions).
_UNSUPPORTED = {
    "bpmn:linkEventDefinition": "link events are not run by the engine",
    "bpmn:compensateEventDefinition": "compensation is not supported",
    "bpmn:complexGateway": "complex gateways are not supported",
    "bpmn:timerEventDefinition": "timer events are not fired by the platform yet",
    "bpmn:conditionalEventDefinition": (
        "conditional events are not re-evaluated by the platform yet"
    ),
}

# Every place a diagram carries code the engine will run, and how it runs it.
_CODE = (
    ("bpmn:conditionExpression", BPMN_NS, "eval"),
    ("bpmn:loopCardinality", BPMN_NS, "eval"),
    ("bpmn:completionCondition", BPMN_NS, "eval"),
    ("bpmn:timeDuration", BPMN_NS, "eval"),
    ("bpmn:timeDate", BPMN_NS, "eval"),
    ("bpmn:timeCycle", BPMN_NS, "eval"),
    ("bpmn:condition", BPMN_NS, "eval"),
    ("bpmn:script", BPMN_NS, "exec"),
    ("spiffworkflow:preScript", SPIFF_NS, "exec"),
    ("spiffworkflow:postScript", SPIFF_NS, "exec"),
)


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
) -> CompiledProcess:
    """Returns the compiled procedure, or raises DiagramRejected with every finding."""
    root = parse_bpmn_bytes(bpmn)
    findings: list[Finding] = []
    findings += _unsupported_constructs(root)
    findings += _unsafe_code(root)
    compiled_forms: dict[str, Form] = {}
    for key, schema in forms.items():
        problems = check_schema(key, schema)
        findings += problems
        if not problems:
            compiled_forms[key] = Form(key, schema)

    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(etree.ElementTree(root), filename=f"{process_id}.bpmn")
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise DiagramRejected(
            [*findings, Finding(exc.id or "document", _first_line(exc))]
        ) from None
    except SpiffWorkflowException as exc:
        raise DiagramRejected([*findings, Finding("document", _first_line(exc))]) from None

    steps: dict[str, Step] = {}
    end_statuses: dict[str, DossierStatus] = {}
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
    if not steps and not findings:
        findings.append(Finding(process_id, "the process has no user task for an officer to work"))
    if findings:
        raise DiagramRejected(findings)
    return CompiledProcess(
        content_hash=content_hash(process_id, bpmn, forms),
        process_id=process_id,
        spec=spec,
        subprocess_specs=subprocess_specs,
        steps=steps,
        end_statuses=end_statuses,
        forms=compiled_forms,
    )


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
        compiled = compile_process(*sources())
        with self._lock:
            self._entries[digest] = compiled
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return compiled


def _all_task_specs(spec, subprocess_specs):
    yield from spec.task_specs.values()
    for sub in subprocess_specs.values():
        yield from sub.task_specs.values()


def _unsupported_constructs(root) -> list[Finding]:
    findings = []
    for xpath, message in _UNSUPPORTED.items():
        for node in root.iterfind(f".//{xpath}", BPMN_NS):
            owner = node if "Gateway" in node.tag else node.getparent()
            findings.append(Finding(_owner_id(owner), message))
    for node in root.iterfind(".//bpmn:scriptTask", BPMN_NS):
        language = (node.get("scriptFormat") or "python").lower()
        if language not in {"python", "text/python", "text/x-python"}:
            findings.append(
                Finding(node.get("id", "?"), f"script format {language!r}: only Python")
            )
    return findings


def _unsafe_code(root) -> list[Finding]:
    """Returns findings for every expression or script the restricted evaluator refuses,
    read from the XML itself so that no place a diagram can carry code is missed."""
    findings = []
    for xpath, namespaces, mode in _CODE:
        for node in root.iterfind(f".//{xpath}", namespaces):
            source = (node.text or "").strip()
            if not source:
                continue
            try:
                evaluator.check(source, mode=mode)
            except evaluator.UnsafeCodeError as exc:
                where = _owner_id(node)
                findings += [Finding(where, f"{source!r}: {problem}") for problem in exc.findings]
    return findings


def _owner_id(node) -> str:
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node.get("id") if node is not None else "document"


def _read_step(task_spec, element, properties, forms, resolve_role):
    findings: list[Finding] = []
    role = resolve_role(task_spec.lane)
    if role is None:
        where = f"lane {task_spec.lane!r}" if task_spec.lane else "no lane"
        findings.append(Finding(element, f"{where}: the lane must name a role"))
    form_key = properties.get("form_key")
    if not form_key:
        findings.append(Finding(element, "the user task has no form_key property"))
    elif form_key not in forms:
        findings.append(Finding(element, f"form {form_key!r} is missing or invalid"))
    try:
        budget = Decimal(properties.get("budget_days", ""))
        if not budget.is_finite() or budget < 0:
            raise InvalidOperation
    except InvalidOperation:
        budget = None
        findings.append(
            Finding(element, "budget_days must be a non-negative number of working days")
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
