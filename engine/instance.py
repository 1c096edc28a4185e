"""Returns running procedure instances: start, list the ready human steps, complete one.

A `ProcessInstance` wraps one SpiffWorkflow workflow with the compiled procedure it runs.
It never touches storage: the caller loads state, calls one method, and saves the state it
gets back, all inside its own transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from processes import DossierStatus

from .errors import TaskNotReady
from .procedure import CompiledProcess, Step
from .scripting import SCRIPT_ENGINE
from .serializer import WorkflowSerializer

_SERIALIZER = WorkflowSerializer()
# Where a task's due date lives in the workflow state (internal data is not inherited by the
# tasks that follow, and the serializer saves it).
DUE_KEY = "motcua:due_at"


@dataclass(frozen=True)
class ReadyStep:
    """A READY human task: its workflow task id and the step it is an instance of."""

    task_id: UUID
    step: Step


class ProcessInstance:
    """One dossier's workflow, with the compiled procedure that gives its steps meaning."""

    def __init__(self, process: CompiledProcess, workflow: BpmnWorkflow):
        self.process = process
        self.workflow = workflow

    @classmethod
    def start(cls, process: CompiledProcess, data: Mapping[str, Any]) -> ProcessInstance:
        """Returns a new instance with `data` as its initial task data, run to its first wait."""
        workflow = BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=SCRIPT_ENGINE)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(_copy(data))
        workflow.do_engine_steps()
        return cls(process, workflow)

    @classmethod
    def restore(cls, process: CompiledProcess, state: str, *, saved_spec=None) -> ProcessInstance:
        """Returns the instance a saved state (JSON text from `state()`) describes."""
        workflow = _SERIALIZER.load_state(
            state, process.spec, process.subprocess_specs, saved_spec=saved_spec
        )
        return cls(process, workflow)

    def state(self) -> str:
        """Returns the instance state as JSON text, without the process spec."""
        return _SERIALIZER.dump_state(self.workflow)

    def ready_steps(self) -> list[ReadyStep]:
        """Returns the human tasks an officer may work now, in the workflow's order."""
        ready = []
        for task in self.workflow.get_tasks(state=TaskState.READY):
            step = self.process.steps.get(task.task_spec.name)
            if step is not None:
                ready.append(ReadyStep(task.id, step))
        return ready

    def open_due_dates(self) -> dict[str, datetime | None]:
        """Returns the ready human tasks' ids with the due date recorded for each when it opened
        (None for a task opened before due dates were recorded in the state)."""
        due = {}
        for task in self.workflow.get_tasks(state=TaskState.READY):
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
        task.data.update(_copy(form_data))
        task.run()
        self.workflow.do_engine_steps()
        return step

    @property
    def is_completed(self) -> bool:
        return self.workflow.is_completed()

    def status(self) -> DossierStatus | None:
        """Returns the dossier status the diagram assigns to where the instance now stands.

        A finished instance takes the status of the end event it reached last; a running one
        the status of its open steps (the furthest along, when parallel steps are open).
        """
        if self.workflow.is_completed():
            ends = [
                task
                for task in self.workflow.get_tasks(state=TaskState.COMPLETED)
                if task.task_spec.name in self.process.end_statuses
            ]
            if not ends:
                return None
            last = max(ends, key=lambda task: task.last_state_change)
            return self.process.end_statuses[last.task_spec.name]
        statuses = [r.step.dossier_status for r in self.ready_steps() if r.step.dossier_status]
        return max(statuses) if statuses else None

    def _ready_task(self, task_id: UUID):
        task = self.workflow.get_task_from_id(task_id)
        if (
            task is None
            or task.state != TaskState.READY
            or task.task_spec.name not in self.process.steps
        ):
            raise TaskNotReady(f"task {task_id} is not a ready human task")
        return task


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    # Task data is inherited by copy inside the engine; keep caller objects out of it.
    return copy.deepcopy(dict(data))
