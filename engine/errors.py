"""Errors the engine raises; the API layer maps each to one HTTP status."""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    """One problem in a diagram or a form, located by element id (or field path; "document"
    for the document as a whole), with the element's name and line when the check knows
    them. An error refuses the deployment; a warning is told, and deploys."""

    element: str
    message: str
    severity: str = ERROR
    name: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.element}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def element_of(exc: BaseException) -> str | None:
    """Returns the id of the diagram element an engine error (ours or SpiffWorkflow's)
    happened at, when it says."""
    element = getattr(exc, "element", None) or getattr(exc, "last_task", None)
    if element:
        return str(element)
    task = getattr(exc, "task", None)
    spec = getattr(task, "task_spec", None) or getattr(exc, "task_spec", None)
    name = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    return str(name) if name else None


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class DiagramRejected(EngineError):
    """A BPMN document the platform refuses to deploy or run, with every finding (its errors,
    and the warnings found beside them)."""

    def __init__(self, findings: list[Finding]):
        self.findings = list(findings)
        errors = [f for f in self.findings if f.is_error] or self.findings
        super().__init__("; ".join(str(f) for f in errors) or "diagram rejected")


@dataclass
class FormInvalid(EngineError):
    """Form data that does not satisfy its JSON Schema: its errors by field path, capped."""

    form_key: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    # How many further errors were found but left out of `errors` once it reached its cap.
    # The full validation stops counting at engine.forms.MAX_COUNTED errors in all: a count
    # that reaches it is a lower bound.
    more: int = 0

    def __str__(self) -> str:
        text = f"form {self.form_key} is invalid: {self.errors}"
        return f"{text} and {self.more} more error(s) not listed" if self.more else text


class TaskNotReady(EngineError):
    """The task is not (or no longer) a READY human task of this workflow."""


class WorkflowStateError(EngineError):
    """Saved workflow state the engine cannot load (unknown format, corrupt)."""


class WorkflowStalled(EngineError):
    """The engine stopped with no step open, no event awaited and no end event reached.

    SpiffWorkflow stops following the task tree past about 1,000 levels, so a workflow that
    loops long enough (e.g. hundreds of supplement rounds) stops advancing without an error;
    the step that got it there fails with this error instead, and nothing is saved.
    """

    def __init__(self, message: str, *, last_task: str | None = None):
        self.last_task = last_task
        super().__init__(message)


class NotAwaited(EngineError):
    """A message delivered to a workflow that is not (or not yet) waiting for it: the caller
    keeps the message and delivers it when the workflow waits for it."""

    def __init__(self, message_name: str):
        self.message_name = message_name
        super().__init__(f"the workflow is not waiting for the message {message_name!r}")


class TooManyInstances(EngineError):
    """A multi-instance activity's cardinality or collection is larger than the platform runs."""


class TaskDataInvalid(EngineError):
    """Task data a step produced that cannot be saved and restored exactly (engine.task_data).

    `element` is the step (task spec name) whose run produced it, `path` where it is in the
    task data (`data.items[3]`), `reason` what is wrong. The step's run raises it: the caller
    saves nothing.
    """

    def __init__(self, element: str, path: str, reason: str):
        self.element = element
        self.path = path
        self.reason = reason
        super().__init__(f"step {element}: {path}: {reason}")
