"""Returns running procedure instances: start, list the ready human steps, complete one.

A `ProcessInstance` wraps one SpiffWorkflow workflow with the compiled procedure it runs.
It never touches storage: the caller loads state, calls one method, and saves the state it
gets back, all inside its own transaction.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from processes import DossierStatus

from .errors import NotAwaited, TaskDataInvalid, TaskNotReady, WorkflowStalled
from .procedure import CompiledProcess, Step
from .scripting import SCRIPT_ENGINE
from .serializer import WorkflowSerializer
from .task_data import check, check_step_data, check_workflow_data
from .timers import DUE_VALUE, TimerClock, TimerInvalid, due_of, running_at, timer_definitions

_SERIALIZER = WorkflowSerializer()
# Where a task's due date lives in the workflow state (internal data is not inherited by the
# tasks that follow, and the serializer saves it).
DUE_KEY = "motcua:due_at"
# SpiffWorkflow's task queries stop 1,000 levels down the task tree unless told otherwise (a
# loop adds levels every round); ours look at the whole tree.
_ALL_LEVELS = sys.maxsize
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass(frozen=True)
class ReadyStep:
    """A READY human task: its workflow task id and the step it is an instance of."""

    task_id: UUID
    step: Step


@dataclass(frozen=True)
class Message:
    """A message the workflow threw that nothing inside it catches: a handoff to another
    agency's process, which the platform records and delivers."""

    name: str
    payload: dict[str, Any]


class ProcessInstance:
    """One dossier's workflow, with the compiled procedure that gives its steps meaning."""

    def __init__(
        self, process: CompiledProcess, workflow: BpmnWorkflow, clock: TimerClock | None = None
    ):
        self.process = process
        self.workflow = workflow
        # The instant and calendar the workflow runs at: the timers it reaches count from
        # them, and fire when it is past their due time (`fire_timers`).
        self.clock = clock

    @classmethod
    def start(
        cls,
        process: CompiledProcess,
        data: Mapping[str, Any],
        *,
        clock: TimerClock | None = None,
    ) -> ProcessInstance:
        """Returns a new instance with `data` as its initial task data, run to its first wait."""
        workflow = BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=SCRIPT_ENGINE)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(_copy(data))
        check_workflow_data(workflow)
        instance = cls(process, workflow, clock)
        instance._run()
        return instance

    def deliver(self, name: str, payload: Mapping[str, Any]) -> None:
        """Delivers a message to the catch event (a message start event included) waiting for
        it, and runs the engine to its next wait; NotAwaited when none waits for it."""
        check(dict(payload), f"message {name}")
        for task in self.workflow.get_tasks(state=TaskState.WAITING, max_depth=_ALL_LEVELS):
            definition = getattr(task.task_spec, "event_definition", None)
            if isinstance(definition, MessageEventDefinition) and definition.name == name:
                with running_at(self.clock):
                    self.workflow.send_event(BpmnEvent(definition, payload=_copy(payload)))
                self._run()
                return
        raise NotAwaited(name)

    def awaited_messages(self) -> frozenset[str]:
        """Returns the names of the messages the workflow waits for now."""
        if not self.process.catches:
            return frozenset()  # nothing in this process ever waits for a message
        names = set()
        for task in _tasks_in(self.workflow, TaskState.WAITING):
            definition = getattr(task.task_spec, "event_definition", None)
            if isinstance(definition, MessageEventDefinition):
                names.add(definition.name)
        return frozenset(names)

    def take_messages(self) -> list[Message]:
        """Returns the messages thrown since the last call and nothing inside caught, in the
        order thrown, and forgets them (the caller records them with the state it saves)."""
        messages = []
        for event in self.workflow.get_events():
            definition = event.event_definition
            if not isinstance(definition, MessageEventDefinition):
                continue  # signals and escalations leave no workflow: refused at deploy
            payload = event.payload if event.payload is not None else {}
            if type(payload) is not dict:
                raise TaskDataInvalid(
                    f"message {definition.name}",
                    "payload",
                    f"a message carries a dict of named values, not {type(payload).__name__}",
                )
            check(payload, f"message {definition.name}")
            messages.append(Message(definition.name, payload))
        return messages

    @classmethod
    def restore(
        cls,
        process: CompiledProcess,
        state: str,
        *,
        saved_spec=None,
        clock: TimerClock | None = None,
    ) -> ProcessInstance:
        """Returns the instance a saved state (JSON text from `state()`) describes."""
        workflow = _SERIALIZER.load_state(
            state, process.spec, process.subprocess_specs, saved_spec=saved_spec
        )
        return cls(process, workflow, clock)

    def fire_timers(self) -> list[str]:
        """Fires the timers whose due time the clock has reached and runs the engine on;
        returns the elements of the timers fired (none when nothing was due)."""
        if self.clock is None:
            raise TimerInvalid(self.process.process_id, "fired without the platform's clock")
        waiting = self._waiting_timers()
        if not any(due is not None and due <= self.clock.now for due in waiting.values()):
            return []
        with running_at(self.clock):
            self.workflow.refresh_timers()
        fired = [
            _element(task)
            for task in waiting
            if task.state != TaskState.WAITING or task._get_internal_data("event_fired")
        ]
        self._run()
        return fired

    def move_timers(self, move: Callable[[datetime], datetime]) -> None:
        """Gives each waiting timer the due time `move` returns for its own (a pause taken
        out); it fires by the new one."""
        for task, due in self._waiting_timers().items():
            if due is not None:
                task._set_internal_data(**{DUE_VALUE: move(due).astimezone(UTC).isoformat()})

    def next_timer_at(self) -> datetime | None:
        """Returns the earliest due time among the timers the workflow waits for."""
        dues = [due for due in self._waiting_timers().values() if due is not None]
        return min(dues) if dues else None

    def _waiting_timers(self) -> dict:
        if not self.process.has_timers:
            return {}
        return {
            task: due_of(task)
            for task in _tasks_in(self.workflow, TaskState.WAITING)
            if any(timer_definitions(getattr(task.task_spec, "event_definition", None)))
        }

    def state(self) -> str:
        """Returns the instance state as JSON text, without the process spec."""
        return _SERIALIZER.dump_state(self.workflow)

    def ready_steps(self) -> list[ReadyStep]:
        """Returns the human tasks an officer may work now, in the workflow's order."""
        ready = []
        for task in self.workflow.get_tasks(state=TaskState.READY, max_depth=_ALL_LEVELS):
            step = self.process.steps.get(task.task_spec.name)
            if step is not None:
                ready.append(ReadyStep(task.id, step))
        return ready

    def open_due_dates(self) -> dict[str, datetime | None]:
        """Returns the ready human tasks' ids with the due date recorded for each when it opened
        (None for a task opened before due dates were recorded in the state)."""
        due = {}
        for task in _tasks_in(self.workflow, TaskState.READY):
            if task.task_spec.name in self.process.steps:
                recorded = task.internal_data.get(DUE_KEY)
                due[str(task.id)] = datetime.fromisoformat(recorded) if recorded else None
        return due

    def record_due(self, task_id: UUID, due_at: datetime) -> None:
        """Keeps a ready task's due date in the workflow state, saved with it: whoever restores
        the workflow later knows every open task's due date without asking the database."""
        self._ready_task(task_id).internal_data[DUE_KEY] = due_at.isoformat()

    def task_data(self, task_id: UUID) -> dict[str, Any]:
        """Returns the data a ready task holds (what its form starts from)."""
        return dict(self._ready_task(task_id).data)

    def complete(self, task_id: UUID, form_data: Mapping[str, Any]) -> Step:
        """Returns the step completed, after validating its form and running the engine on."""
        task = self._ready_task(task_id)
        step = self.process.steps[task.task_spec.name]
        self.process.form(step.form_key).validate(form_data)
        check_step_data(form_data, task)
        task.data.update(_copy(form_data))
        with running_at(self.clock):
            task.run()
        self._run()
        return step

    @property
    def is_completed(self) -> bool:
        """True only when an end event completed and no task is still ready, waiting or
        running (SpiffWorkflow's own test stops looking 1,000 levels down the task tree)."""
        return _reached_end(self.workflow)

    def status(self, ready: list[ReadyStep] | None = None) -> DossierStatus | None:
        """Returns the dossier status the diagram assigns to where the instance now stands.

        A finished instance takes the status of the end event it reached last; a running one
        the status of its open steps (the furthest along, when parallel steps are open).
        `ready` is `ready_steps()`, when the caller has it already.
        """
        if self.is_completed:
            ends = [
                task
                for task in self.workflow.get_tasks(
                    state=TaskState.COMPLETED, max_depth=_ALL_LEVELS
                )
                if task.task_spec.name in self.process.end_statuses
            ]
            if not ends:
                return None
            last = max(ends, key=lambda task: task.last_state_change)
            return self.process.end_statuses[last.task_spec.name]
        if ready is None:
            ready = self.ready_steps()
        statuses = [r.step.dossier_status for r in ready if r.step.dossier_status]
        return max(statuses) if statuses else None

    def _run(self) -> None:
        with running_at(self.clock):
            _run_engine(self.workflow)

    def _ready_task(self, task_id: UUID):
        task = self.workflow.get_task_from_id(task_id)
        if (
            task is None
            or task.state != TaskState.READY
            or task.task_spec.name not in self.process.steps
        ):
            raise TaskNotReady(f"task {task_id} is not a ready human task")
        return task


def _run_engine(workflow: BpmnWorkflow) -> None:
    """Runs the engine to its next wait; raises WorkflowStalled when it stops short of one."""
    workflow.do_engine_steps()
    tasks = _all_tasks(workflow)
    stuck = [t for t in tasks if t.state == TaskState.READY and not t.task_spec.manual]
    if stuck:
        raise WorkflowStalled(
            f"the engine stopped before running {_describe(stuck[0])}: the workflow has "
            "looped too many times to go on",
            last_task=_element(stuck[0]),
        )
    if _reached_end(workflow):
        return
    if any(t.state == TaskState.READY for t in tasks):
        return  # a step is open
    if any(t.state == TaskState.WAITING and isinstance(t.task_spec, CatchingEvent) for t in tasks):
        return  # an event is awaited
    done = [t for t in tasks if t.state == TaskState.COMPLETED]
    last = max(done, key=lambda t: t.last_state_change) if done else None
    raise WorkflowStalled(
        "the workflow stopped without reaching an end event"
        + (f" after {_describe(last)}" if last else "")
        + ": no step is open and no event is awaited",
        last_task=_element(last) if last else None,
    )


def _all_tasks(workflow: BpmnWorkflow) -> list:
    tasks = list(workflow.tasks.values())
    for subprocess in workflow.subprocesses.values():
        tasks += subprocess.tasks.values()
    return tasks


def _tasks_in(workflow: BpmnWorkflow, state: TaskState) -> list:
    """Returns the workflow's tasks (its subprocesses' included) in one state, in no particular
    order: a pass over its task dicts, far cheaper than walking the task tree, for the
    questions whose answer does not depend on the order."""
    return [task for task in _all_tasks(workflow) if task.state == state]


def _reached_end(workflow: BpmnWorkflow) -> bool:
    if any(task.state & _OPEN for task in _all_tasks(workflow)):
        return False
    return any(
        task.state == TaskState.COMPLETED and isinstance(task.task_spec, EndEvent)
        for task in workflow.tasks.values()
    )


def _element(task) -> str:
    return getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name


def _describe(task) -> str:
    name = getattr(task.task_spec, "bpmn_name", None)
    return f"{_element(task)} ({name})" if name else _element(task)


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    # Task data is inherited by copy inside the engine; keep caller objects out of it.
    return copy.deepcopy(dict(data))
