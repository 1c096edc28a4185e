"""Returns a SpiffWorkflow script engine whose conditions and scripts run in our evaluator.

SpiffWorkflow's default environment calls plain `eval`/`exec`, where `import os` works. Every
expression a diagram carries goes through `engine.evaluator` instead: no imports, no dunder
access, a whitelist of functions, and a step budget. What a script leaves in its task data is
checked as it finishes (engine.task_data).
"""

from __future__ import annotations

from collections import ChainMap
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from . import evaluator
from .task_data import settle_script_data


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions and runs scripts against task data through our own interpreter."""

    def evaluate(self, expression: str, context: dict[str, Any], external_context=None) -> Any:
        names = ChainMap(context, external_context or {})
        return evaluator.evaluate(expression, names)

    def execute(self, script: str, context: dict[str, Any], external_context=None) -> bool:
        # SpiffWorkflow gives scripts no external context (data objects reach them as task
        # data), so the script sees exactly the task data, which it updates in place.
        evaluator.execute(script, context)
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks are not supported yet")


class RestrictedScriptEngine(PythonScriptEngine):
    """A script engine that validates with our checker and reports service-task errors honestly."""

    def __init__(self):
        super().__init__(environment=RestrictedEnvironment())

    def execute(self, task, script, external_context=None):
        # What the script leaves must be task data the saved state gives back exactly: its
        # tuples become lists now, before any condition reads them, and anything else that
        # cannot be saved fails this step (engine.task_data), not the save after it.
        result = super().execute(task, script, external_context)
        settle_script_data(task)
        return result

    def validate(self, expression: str) -> None:
        evaluator.check(expression, mode="eval")

    def call_service(self, task, **kwargs):
        # The library's own error path refers to an undefined name and hides the real error.
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as exc:
            raise WorkflowTaskException(
                f"service call failed: {exc}", task=task, exception=exc
            ) from exc


SCRIPT_ENGINE = RestrictedScriptEngine()
