"""Runs procedures: safe parsing, checking, restricted evaluation, serialization, deadlines.

No I/O here: no flask, sqlalchemy, redis or rq. The API layer gives the engine bytes and
state, and stores what it gets back.
"""

from .bpmn_xml import parse_bpmn_bytes
from .calendar import TIMEZONE, OfficeHours, WorkingCalendar
from .errors import DiagramRejected, EngineError, Finding, FormInvalid, TaskNotReady, WorkflowStateError
from .evaluator import EvaluationError, UnsafeCodeError
from .forms import Form
from .instance import ProcessInstance, ReadyStep
from .procedure import CompiledProcess, ProcessCache, Step, compile_process, content_hash
from .serializer import WorkflowSerializer

__all__ = [
    "TIMEZONE",
    "CompiledProcess",
    "DiagramRejected",
    "EngineError",
    "EvaluationError",
    "Finding",
    "Form",
    "FormInvalid",
    "OfficeHours",
    "ProcessCache",
    "ProcessInstance",
    "ReadyStep",
    "Step",
    "TaskNotReady",
    "UnsafeCodeError",
    "WorkflowSerializer",
    "WorkflowStateError",
    "WorkingCalendar",
    "compile_process",
    "content_hash",
    "parse_bpmn_bytes",
]
