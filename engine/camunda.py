"""Returns a diagram drawn in Camunda Modeler as this platform reads it, or says precisely what
of it cannot run here.

Camunda's extensions (`camunda:` attributes and elements) carry what this platform reads
from `spiffworkflow:properties` and lanes. They are translated in the parsed document, before
anything else reads it:

- a user task's `camunda:formKey` becomes its `form_key`; its `camunda:candidateGroups` name
  its role when no lane does (the first group that is a role); its `camunda:properties`
  `budget_days` and `dossier_status` become ours;
- expressions written `${…}` or `#{…}` (conditions, timers) lose the wrapper, and the
  expression language's `&&`, `||`, `!`, `eq`, `ne`, `lt`, `gt`, `le`, `ge`, `and`, `or`,
  `not`, `empty`, `true`, `false` and `null` become Python's; the result is then checked by the
  restricted evaluator like any condition;
- what Camunda runs and this platform does not — Java classes, delegate expressions,
  connectors, listeners, input/output mappings, external tasks — is a finding at its element,
  never silently dropped;
- what only tunes Camunda's own engine (asynchronous continuations, job priorities, history
  time to live, version tags) is left alone.
"""

from __future__ import annotations

import re

from lxml import etree

from .errors import WARNING, Finding

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_C = "{" + CAMUNDA + "}"
_B = "{" + BPMN + "}"
_S = "{" + SPIFF + "}"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}

# Camunda attributes that make its engine run code or call out: refused with the element.
_RUNS_CODE = {
    "class": "a Java class",
    "delegateExpression": "a delegate expression",
    "expression": "an expression run as the task",
    "resultVariable": "an expression's result variable",
    "topic": "an external task topic",
    "type": "an external task",
    "decisionRef": "a DMN decision",
}
# Camunda elements this platform does not run, by local name.
_NOT_RUN = {
    "connector": "connectors are",
    "executionListener": "execution listeners are",
    "taskListener": "task listeners are",
    "inputOutput": "input/output mappings are",
    "in": "variables passed into a call are",
    "out": "variables passed out of a call are",
    "formData": "generated form fields are",
}
_PROPERTIES = ("budget_days", "dossier_status", "form_key")
_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)
_JUEL_WORDS = {
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "true": "True",
    "false": "False",
    "null": "None",
    "empty": "not",
}


def uses_camunda(root: etree._Element) -> bool:
    """Whether the document declares Camunda's namespace anywhere."""
    return any(
        CAMUNDA in (node.nsmap or {}).values() for node in root.iter() if isinstance(node.tag, str)
    )


def translate(root: etree._Element) -> list[Finding]:
    """Translates Camunda's extensions in place (see the module's doc); returns a finding
    per thing Camunda would run that this platform does not, and a warning per one it
    leaves aside."""
    if not uses_camunda(root):
        return []
    findings: list[Finding] = []
    for node in list(root.iter()):
        if not isinstance(node.tag, str):
            continue
        if node.tag.startswith(_C):
            name = node.tag[len(_C) :]
            if name in _NOT_RUN:
                findings.append(
                    Finding(_owner(node), f"Camunda's {_NOT_RUN[name]} not run by this platform")
                )
            continue
        if not node.tag.startswith(_B):
            continue
        kind = node.tag[len(_B) :]
        for attribute, what in _RUNS_CODE.items():
            value = node.get(_C + attribute)
            if value is not None and not (kind == "userTask" and attribute == "type"):
                findings.append(
                    Finding(
                        node.get("id", "?"),
                        f"camunda:{attribute}={value!r}: {what} is not run by this platform",
                    )
                )
        if kind == "userTask":
            findings += _user_task(node)
        elif node.find("bpmn:extensionElements/camunda:properties", NS) is not None:
            _set_properties(node, _camunda_properties(node))  # e.g. an end event's status
        if kind in {"conditionExpression", "timeDuration", "timeDate", "timeCycle", "condition"}:
            _unwrap(node)
    return findings


def _user_task(task: etree._Element) -> list[Finding]:
    findings = []
    properties = _camunda_properties(task)
    form_key = task.get(_C + "formKey") or task.get(_C + "formRef")
    if form_key:
        properties.setdefault(
            "form_key", form_key.removeprefix("embedded:app:").removeprefix("camunda-forms:")
        )
    groups = [g.strip() for g in (task.get(_C + "candidateGroups") or "").split(",") if g.strip()]
    if groups:
        properties.setdefault("candidate_groups", ",".join(groups))
    for attribute in ("assignee", "candidateUsers"):
        if task.get(_C + attribute):
            findings.append(
                Finding(
                    task.get("id", "?"),
                    f"camunda:{attribute} is not used: a task goes to the officers of its "
                    "role (its lane or candidate group)",
                    severity=WARNING,
                )
            )
    _set_properties(task, properties)
    return findings


def _camunda_properties(node: etree._Element) -> dict[str, str]:
    """Returns the `camunda:properties` this platform reads (budget, status, form)."""
    return {
        prop.get("name"): prop.get("value") or ""
        for prop in node.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS)
        if prop.get("name") in _PROPERTIES
    }


def _set_properties(task: etree._Element, properties: dict[str, str]) -> None:
    """Adds the properties to the element's `spiffworkflow:properties` (ours win when both
    say)."""
    if not properties:
        return
    extensions = task.find("bpmn:extensionElements", NS)
    if extensions is None:
        extensions = etree.Element(_B + "extensionElements")
        task.insert(0, extensions)
    spiff = extensions.find(_S + "properties")
    if spiff is None:
        spiff = etree.SubElement(extensions, _S + "properties")
    present = {p.get("name") for p in spiff.iterfind(_S + "property")}
    for name, value in properties.items():
        if name not in present:
            etree.SubElement(spiff, _S + "property", name=name, value=value)


def _unwrap(node: etree._Element) -> None:
    """Turns `${expression}` into the Python expression it means (see the module's doc)."""
    text = node.text or ""
    match = _WRAPPED.match(text)
    if match is None:
        return
    node.text = juel_to_python(match.group(1))


def juel_to_python(expression: str) -> str:
    """Returns the Python spelling of a JUEL expression of the common kinds; string literals
    are kept as they are."""
    out, i = [], 0
    while i < len(expression):
        char = expression[i]
        if char in "'\"":
            end = expression.find(char, i + 1)
            end = len(expression) - 1 if end < 0 else end
            out.append(expression[i : end + 1])
            i = end + 1
            continue
        if expression.startswith("&&", i):
            out.append(" and ")
            i += 2
        elif expression.startswith("||", i):
            out.append(" or ")
            i += 2
        elif char == "!" and not expression.startswith("!=", i):
            out.append(" not ")
            i += 1
        elif char.isalpha() or char == "_":
            end = i
            while end < len(expression) and (expression[end].isalnum() or expression[end] == "_"):
                end += 1
            word = expression[i:end]
            previous = expression[:i].rstrip()
            if word in _JUEL_WORDS and not previous.endswith("."):
                out.append(
                    f" {_JUEL_WORDS[word]} "
                    if word not in {"true", "false", "null"}
                    else _JUEL_WORDS[word]
                )
            else:
                out.append(word)
            i = end
        else:
            out.append(char)
            i += 1
    return " ".join("".join(out).split())


def _owner(node: etree._Element) -> str:
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node.get("id") if node is not None else "document"
