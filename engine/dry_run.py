"""Returns what a dry run of a procedure finds: the diagram run, in memory, on data made up
from its own forms, along every way its steps' answers can send it (bounded), so that a
diagram that would fail at run time is refused at deploy rather than in front of a citizen.

The answers: for each form, one instance that fills every property (which satisfies the
conditional requirements forms use, such as "a refusal needs its reason"), and one more per
other value of each `enum`, `const` or boolean property, so a gateway deciding on them is
tried each way. A step's answers that its own form refuses are the generator's limit, not
the diagram's fault, and are skipped. States are told apart by the steps open and the events
awaited, so a loop is walked once; at most `MAX_TRANSITIONS` steps are taken.
"""

from __future__ import annotations

import copy
import re
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException

from .errors import WARNING, EngineError, Finding, FormInvalid, NotAwaited, element_of
from .evaluator import EvaluationError
from .instance import ProcessInstance
from .procedure import CompiledProcess
from .timers import TimerClock

MAX_TRANSITIONS = 200
MAX_VARIANTS = 8
_FAILURES = (EngineError, SpiffWorkflowException, RecursionError, OverflowError, MemoryError)


def dry_run(
    process: CompiledProcess,
    *,
    clock: TimerClock,
    declaration_form: str | None = None,
    starts: Iterable[Mapping[str, Any]] = ({"group": None},),
    limit: int = MAX_TRANSITIONS,
) -> list[Finding]:
    """Returns the findings of a dry run: an error per place the workflow failed (its
    element, and the way there), a warning when the walk stopped at its limit."""
    failures: dict[tuple[str, str], Finding] = {}
    declaration = _declaration(process, declaration_form)
    queue: deque[tuple[str, TimerClock, str]] = deque()
    for start in starts:
        data = {"dossier_code": "DRY-RUN", "applicant": {"full_name": "Nguyễn Văn An"}, **start}
        if process.start_message is None:
            data["declaration"] = declaration
        try:
            instance = ProcessInstance.start(process, data, clock=clock)
            if process.start_message is not None:
                instance.deliver(process.start_message, declaration)
        except NotAwaited:
            continue
        except _FAILURES as exc:
            _record(failures, exc, "when a dossier is received")
            continue
        queue.append((instance.state(), clock, "received"))
    seen: set = set()
    unfit: set[str] = set()
    taken = 0
    while queue and taken < limit:
        state, now, way = queue.popleft()
        instance = ProcessInstance.restore(process, state, clock=now)
        if instance.is_completed:
            continue
        ready = instance.ready_steps()
        if not ready:
            due = instance.next_timer_at()
            if due is None:
                continue  # waits for a message from another agency: its route is checked
            later = TimerClock(max(due, now.now) + timedelta(seconds=1), now.calendar)
            fired = ProcessInstance.restore(process, state, clock=later)
            taken += 1
            try:
                fired.fire_timers()
            except _FAILURES as exc:
                _record(failures, exc, f"{way}, when its timer fired")
                continue
            _follow(fired, later, f"{way}, timer", seen, queue)
            continue
        step = ready[0]
        fitted = False
        for answers in form_samples(process.forms[step.step.form_key].schema):
            if taken >= limit:
                break
            taken += 1
            after = ProcessInstance.restore(process, state, clock=now)
            path = f"{way} → {step.step.name} {_brief(answers)}"
            try:
                after.complete(step.task_id, answers)
            except FormInvalid:
                continue  # the made-up answers do not fit the form: nothing to learn
            except _FAILURES as exc:
                fitted = True
                _record(failures, exc, path)
                continue
            fitted = True
            _follow(after, now, path, seen, queue)
        if not fitted and step.step.name not in unfit:
            unfit.add(step.step.name)
            failures[(step.step.name, "unfit")] = Finding(
                step.step.name,
                f"the dry run could not make up answers that fit form {step.step.form_key!r}: "
                "the ways after this step were not tried",
                severity=WARNING,
            )
    findings = list(failures.values())
    if queue:
        findings.append(
            Finding(
                process.process_id,
                f"the dry run stopped after {taken} steps; the ways beyond were not tried",
                severity=WARNING,
            )
        )
    return findings


def _follow(instance, clock, path, seen, queue) -> None:
    if instance.is_completed:
        return
    signature = (
        tuple(sorted(ready.step.name for ready in instance.ready_steps())),
        instance.next_timer_at() is not None,
        tuple(sorted(instance.awaited_messages())),
    )
    if signature not in seen:
        seen.add(signature)
        queue.append((instance.state(), clock, path))


def _declaration(process: CompiledProcess, form_key: str | None) -> dict:
    if form_key is None or form_key not in process.forms:
        return {}
    return form_samples(process.forms[form_key].schema)[0]


def _record(failures: dict, exc: BaseException, path: str) -> None:
    element = element_of(exc) or "document"
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    inner = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    if isinstance(inner, EvaluationError) and str(inner):
        message = f"{message.rstrip('. ')}: {str(inner).splitlines()[0]}"
    message = message[:300]
    key = (element, message)
    if key not in failures:
        failures[key] = Finding(element, f"the dry run failed here ({path}): {message}")


def _brief(answers: Mapping[str, Any]) -> str:
    shown = {
        key: value
        for key, value in answers.items()
        if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) < 20)
    }
    text = ", ".join(f"{key}={value!r}" for key, value in list(shown.items())[:3])
    return f"({text})" if text else ""


def form_samples(schema: Mapping[str, Any]) -> list[dict]:
    """Returns answers made up from a form: the first fills every property; each other one
    changes one choice (another enum value, the other boolean)."""
    base = _value(schema, schema)
    if not isinstance(base, dict):
        return [{}]
    samples = [base]
    for name, prop in (schema.get("properties") or {}).items():
        for choice in _choices(_resolve(prop, schema))[1:]:
            if len(samples) >= MAX_VARIANTS:
                return samples
            variant = copy.deepcopy(base)
            variant[name] = choice
            samples.append(variant)
    return samples


def _choices(schema: Mapping[str, Any]) -> list:
    if "const" in schema:
        return [schema["const"]]
    if "enum" in schema:
        return list(schema["enum"])
    if schema.get("type") == "boolean":
        return [True, False]
    return []


def _resolve(schema: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, Mapping) else {}
            return target if isinstance(target, Mapping) else {}
    return schema if isinstance(schema, Mapping) else {}


def _value(schema: Any, root: Mapping[str, Any], depth: int = 0) -> Any:
    schema = _resolve(schema, root)
    choices = _choices(schema)
    if choices:
        return copy.deepcopy(choices[0])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        if depth > 8:
            return {}
        return {
            name: _value(prop, root, depth + 1)
            for name, prop in (schema.get("properties") or {}).items()
        }
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        return [_value(schema.get("items", {}), root, depth + 1) for _ in range(min(count, 3))]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "null":
        return None
    if kind == "string":
        if schema.get("format") == "date":
            return "2026-03-02"
        if schema.get("format") == "date-time":
            return "2026-03-02T09:00:00+07:00"
        if schema.get("format") == "email":
            return "an@example.vn"
        text = _matching(schema["pattern"]) if isinstance(schema.get("pattern"), str) else None
        if text is not None:
            return text
        text = "Nguyễn Văn An"
        minimum, maximum = int(schema.get("minLength", 0)), schema.get("maxLength")
        if len(text) < minimum:
            text = text + "a" * (minimum - len(text))
        return text[: int(maximum)] if maximum is not None else text
    return "Nguyễn Văn An"


# Strings a form's `pattern` is tried against, in order: identity numbers, codes, dates,
# phone numbers, plain words.
_CANDIDATES = (
    "Nguyễn Văn An",
    "001234567890",
    "012345678",
    "0912345678",
    "+84912345678",
    "2026-03-02",
    "H29.01",
    "AB123456",
    "an@example.vn",
    *("1" * n for n in range(1, 21)),
    "a",
    "A",
)


def _matching(pattern: str) -> str | None:
    """Returns a candidate string the pattern finds (JSON Schema's `pattern` searches), or
    None when none does."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return None
    return next((text for text in _CANDIDATES if compiled.search(text)), None)
