"""Runs procedures: safe parsing, checking, restricted evaluation, serialization, deadlines.

No I/O here: no flask, sqlalchemy, redis or rq. The API layer gives the engine bytes and
state, and stores what it gets back.
"""

from .bpmn_xml import parse_bpmn_bytes
from .calendar import TIMEZONE, OfficeHours, WorkingCalendar
from .check import executable_processes
from .collaboration import Collaboration, Route, read_collaboration
from .errors import (
    DiagramRejected,
    EngineError,
    Finding,
    FormInvalid,
    NotAwaited,
    TaskDataInvalid,
    TaskNotReady,
    TooManyInstances,
    WorkflowStalled,
    WorkflowStateError,
)
from .evaluator import EvaluationError, UnsafeCodeError
from .forms import Form
from .instance import Message, ProcessInstance, ReadyStep
from .procedure import (
    CompiledProcess,
    ProcessCache,
    Step,
    check_process,
    compile_process,
    content_hash,
)
from .serializer import WorkflowSerializer
from .timers import TimerClock, TimerInvalid
from .transitions import (
    Before,
    OpenedTask,
    PlannedEvent,
    TransitionPlan,
    before_act,
    json_safe,
    plan_transition,
)

__all__ = [
    "TIMEZONE",
    "Before",
    "Collaboration",
    "CompiledProcess",
    "DiagramRejected",
    "EngineError",
    "EvaluationError",
    "Finding",
    "Form",
    "FormInvalid",
    "Message",
    "NotAwaited",
    "OfficeHours",
    "OpenedTask",
    "PlannedEvent",
    "ProcessCache",
    "ProcessInstance",
    "ReadyStep",
    "Route",
    "Step",
    "TaskDataInvalid",
    "TaskNotReady",
    "TimerClock",
    "TimerInvalid",
    "TooManyInstances",
    "TransitionPlan",
    "UnsafeCodeError",
    "WorkflowSerializer",
    "WorkflowStalled",
    "WorkflowStateError",
    "WorkingCalendar",
    "before_act",
    "check_process",
    "compile_process",
    "content_hash",
    "executable_processes",
    "json_safe",
    "parse_bpmn_bytes",
    "plan_transition",
    "read_collaboration",
]
