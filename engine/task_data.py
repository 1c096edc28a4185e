"""Returns task data checked to be what the saved state can hold and give back exactly.

Task data is saved as JSON with the workflow state (engine.serializer) and restored before the
next step; whatever a step leaves in it must come back equal, or a condition decides
differently after a save, or the save (or the restore) fails after the step already ran.

The rules, checked where data enters (a script's result when it finishes, a form's answers
before they reach the task, the start data before the engine runs), each refusal naming the
step and the path; nothing else puts new values in task data (the engine only moves them):

- dicts with `str` keys, lists, `str`, `int` within 64 bits, finite `float`, `bool`, `None`;
- the types the serializer registers: `date`, `datetime`, `timedelta`, finite `Decimal`;
- exact types only (no subclasses: an `OrderedDict` or an `IntEnum` would not come back as
  itself); strings without lone surrogates (they cannot be written as UTF-8);
- at most MAX_DEPTH levels of nesting and MAX_VALUES values (containers and scalars) per task;
- no value that contains itself;
- tuples: a tuple a *script* leaves is turned into a list as the script finishes, before any
  condition reads it, so a condition decides the same before and after a save (JSON has no
  tuples). A tuple from anywhere else (start data, a Python caller's form data) is refused.
- dicts with a `"typename"` key are data like any other: the serializer escapes them.

The check walks each value once, without building paths unless it fails: the birth
procedure's data costs microseconds.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .errors import TaskDataInvalid

MAX_DEPTH = 64  # containers nested below the task data itself
MAX_VALUES = 100_000  # containers and scalars in one task's data
INT_MIN, INT_MAX = -(2**63), 2**63 - 1

_SCALARS = frozenset({type(None), bool, date, datetime, timedelta})
_SURROGATE = re.compile("[\ud800-\udfff]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class _Refused(Exception):
    """A value that is not task data; `keys` grows from the value up to the task data."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.keys: list[Any] = []


class _Walk:
    def __init__(self, convert_tuples: bool):
        self.convert_tuples = convert_tuples
        self.count = 0
        self.open: set[int] = set()  # ids of the containers on the current path

    def value(self, value: Any, depth: int) -> Any:
        """Returns the value (a tuple as a list, when converting), or raises _Refused."""
        self.count += 1
        if self.count > MAX_VALUES:
            raise _Refused(f"task data holds more than {MAX_VALUES} values")
        kind = type(value)
        if kind is str:
            if not value.isascii() and _SURROGATE.search(value):
                raise _Refused("a string with a lone surrogate cannot be saved")
            return value
        if kind is int:
            if not INT_MIN <= value <= INT_MAX:
                raise _Refused("an integer beyond 64 bits is not task data")
            return value
        if kind is float:
            if not math.isfinite(value):
                raise _Refused(f"{value!r} is not task data (only finite numbers are)")
            return value
        if kind in _SCALARS:
            return value
        if kind is Decimal:
            if not value.is_finite():
                raise _Refused(f"Decimal({str(value)!r}) is not task data (only finite ones are)")
            return value
        if kind is dict or kind is list or kind is tuple:
            return self.container(value, depth + 1)
        raise _Refused(_describe(value))

    def container(self, value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _Refused(f"task data is nested deeper than {MAX_DEPTH} levels")
        ident = id(value)
        if ident in self.open:
            raise _Refused("a value that contains itself cannot be saved")
        self.open.add(ident)
        try:
            if type(value) is dict:
                self.items(value, depth)
            elif type(value) is list:
                for index, item in enumerate(value):
                    try:
                        new = self.value(item, depth)
                    except _Refused as refused:
                        refused.keys.append(index)
                        raise
                    if new is not item:
                        value[index] = new
            elif self.convert_tuples:
                value = list(value)
                for index, item in enumerate(value):
                    try:
                        value[index] = self.value(item, depth)
                    except _Refused as refused:
                        refused.keys.append(index)
                        raise
            else:
                raise _Refused("a tuple is not task data (use a list)")
        finally:
            self.open.discard(ident)
        return value

    def items(self, value: dict, depth: int) -> None:
        for key, item in value.items():
            if type(key) is not str:
                raise _Refused(f"the key {key!r} is not a string (task data keys are strings)")
            if not key.isascii() and _SURROGATE.search(key):
                raise _Refused("a key with a lone surrogate cannot be saved")
            try:
                new = self.value(item, depth)
            except _Refused as refused:
                refused.keys.append(key)
                raise
            if new is not item:
                value[key] = new  # same key: the dict's size does not change while iterating


def _describe(value: Any) -> str:
    kind = type(value)
    name = kind.__name__
    for plain in (dict, list, str, int, float, Decimal, date):
        if isinstance(value, plain):
            return f"a {name} (a subclass of {plain.__name__}) is not task data"
    if isinstance(value, (set, frozenset)):
        return f"a {name} is not task data (use a list)"
    if hasattr(value, "__next__") or kind.__name__ in {"zip", "enumerate", "map", "filter"}:
        return f"a {name} iterator is not task data (use list(...))"
    return f"a {name} is not task data"


def _path(keys: list[Any]) -> str:
    text = "data"
    for key in reversed(keys):
        if isinstance(key, int):
            text += f"[{key}]"
        elif _IDENTIFIER.match(key):
            text += f".{key}"
        else:
            text += f"[{key!r}]"
    return text


def check(data: Any, step: str, *, convert_tuples: bool = False) -> None:
    """Checks one task's data in place, raising TaskDataInvalid naming `step` and the path.

    With `convert_tuples` (a script's result) every tuple is replaced by a list in place.
    """
    if type(data) is not dict:
        raise TaskDataInvalid(step, "data", f"task data must be a dict, not {type(data).__name__}")
    walk = _Walk(convert_tuples)
    walk.open.add(id(data))
    try:
        walk.items(data, 0)
    except _Refused as refused:
        raise TaskDataInvalid(step, _path(refused.keys), refused.reason) from None
    except RecursionError:
        raise TaskDataInvalid(step, "data", "task data is nested too deeply") from None


def settle_script_data(task) -> None:
    """Turns the tuples a script left in its task's data into lists and checks the data."""
    check(task.data, task.task_spec.name, convert_tuples=True)


def check_step_data(data, task) -> None:
    """Checks data about to enter a task (a form's answers), naming the task's step."""
    check(dict(data), task.task_spec.name)


def check_workflow_data(workflow) -> None:
    """Checks the data of every task of the workflow and its subprocesses, and its data objects
    (the start data, before the engine runs: a script that follows is not blamed for it)."""
    workflows = [workflow, *workflow.subprocesses.values()]
    for wf in workflows:
        for task in wf.tasks.values():
            check(task.data, task.task_spec.name)
        if wf.data:
            check(wf.data, getattr(wf.spec, "name", "(workflow)"))
