"""Errors the engine raises; the API layer maps each to one HTTP status."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    """One problem in a diagram or a form, located by element id (or field path)."""

    element: str
    message: str

    def __str__(self) -> str:
        return f"{self.element}: {self.message}"


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class DiagramRejected(EngineError):
    """A BPMN document the platform refuses to deploy or run, with every finding."""

    def __init__(self, findings: list[Finding]):
        self.findings = list(findings)
        super().__init__("; ".join(str(f) for f in self.findings) or "diagram rejected")


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
