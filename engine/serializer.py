"""Returns saved workflow state (small, spec-free JSON) and restores workflows from it.

SpiffWorkflow embeds the whole process spec in every serialized workflow. We store each spec
once, with its procedure version, and keep only the instance state per dossier: this module
writes the state without the spec and gives the spec back when restoring. The state is
stamped with our format and SpiffWorkflow's serializer version; an older SpiffWorkflow
version is migrated by re-joining the spec saved under that version (SpiffWorkflow's
migrations rewrite spec and state together).

SpiffWorkflow's registry restores any dict with a `"typename"` key as the object that type
names, so a form answer or a script value such as `{"typename": "date"}` would come back as
something else (or make the restore fail, for good). Task data (and data objects, and event
payloads) is escaped on save: each dict with a `"typename"` key is saved inside a reserved
envelope, `{"typename": "motcua:dict", "value": {...}}`, which the restore unwraps, so task
data comes back exactly as it was. A dict naming a type the registry does not know (a state
saved before this escaping) is restored as data.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnEventConverter,
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_VERSION
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from .errors import WorkflowStateError
from .scripting import SCRIPT_ENGINE
from .timers import WorkingDuration, WorkingTimeDate

STATE_FORMAT = "motcua-state/1"
# SpiffWorkflow's own serialization format version (of the installed library).
SPIFF_SERIALIZER_VERSION = SPIFF_VERSION
# The registry's marker key, and the type name of the envelope a user dict holding it is saved in.
TYPENAME = "typename"
ESCAPED_DICT = "motcua:dict"
_PLAIN = (str, int, float, bool, type(None))


class _TaskIds:
    """Task ids between their text in saved states and their UUID objects, each converted
    once: a restored state names every id about three times (the task's key, its children's
    parent, its parent's children) and so does a saved one. An id parsed here is one object
    wherever the state names it, so the engine's many lookups of tasks by id find it by
    identity, without calling UUID.__eq__. The table forgets everything when full (UUIDs are
    immutable: sharing one object between workflows, or threads, is harmless)."""

    def __init__(self, limit: int = 1 << 15):
        self._limit = limit
        self._ids: dict[str, UUID] = {}
        self._texts: dict[UUID, str] = {}

    def parse(self, text: str) -> UUID:
        uid = self._ids.get(text)
        if uid is None:
            uid = UUID(text)
            self._remember(uid, text)
        return uid

    def text(self, uid: UUID) -> str:
        text = self._texts.get(uid)
        if text is None:
            text = str(uid)
            self._remember(uid, text)
        return text

    def _remember(self, uid: UUID, text: str) -> None:
        if len(self._texts) >= self._limit:
            self._ids.clear()
            self._texts.clear()
        self._ids[text] = uid
        self._texts[uid] = text


_IDS = _TaskIds()
_uuid = _IDS.parse


def _ids_to_dict(converter, mapping, **kwargs) -> dict:
    """A converter's `mapping_to_dict` for mappings keyed by task id, printed through `_IDS`."""
    convert = converter.registry.convert
    return {
        (_IDS.text(key) if type(key) is UUID else str(key)): convert(value, **kwargs)
        for key, value in mapping.items()
    }


class _EscapedDict:
    """A user dict with a "typename" key, on its way into the saved state (see the module doc)."""

    __slots__ = ("items",)

    def __init__(self, items: dict):
        self.items = items


def _escape(value):
    """Returns the value with every dict that has a "typename" key wrapped in _EscapedDict.

    Never changes the value: containers are copied only on the way to an escaped dict."""
    kind = type(value)
    if kind is dict:
        escaped = None
        for key, item in value.items():
            new = _escape(item)
            if new is not item:
                if escaped is None:
                    escaped = dict(value)
                escaped[key] = new
        result = value if escaped is None else escaped
        return _EscapedDict(result) if TYPENAME in result else result
    if kind is list:
        escaped = None
        for index, item in enumerate(value):
            new = _escape(item)
            if new is not item:
                if escaped is None:
                    escaped = list(value)
                escaped[index] = new
        return value if escaped is None else escaped
    return value


class _Registry(DefaultRegistry):
    """The default registry, keeping dicts that name no registered type as data."""

    def restore(self, val, **kwargs):
        # The library's restore, inlined for the plain JSON values that make up most of a
        # state (one call per value, not two).
        kind = type(val)
        if kind in _PLAIN:
            return val
        if kind is dict:
            if TYPENAME in val:
                name = val[TYPENAME]
                if isinstance(name, str) and name in self.convert_from_dict:
                    return super().restore(val, **kwargs)
                # An unknown type name: data saved before the escaping existed.
            return {k: self.restore(v, **kwargs) for k, v in val.items()}
        if kind is list:
            return [self.restore(item, **kwargs) for item in val]
        return super().restore(val, **kwargs)


class _TaskConverter(TaskConverter):
    """Converts a task, escaping its data (a full copy at the root, a delta below it)."""

    def to_dict(self, task):
        # The library's own (SpiffWorkflow 3.2), with ids printed through `_IDS` and the data
        # escaped (see the module doc).
        parent = task.parent
        if parent is None:
            data, delta = _escape(task.data), {}
        else:
            data = {}
            delta = {
                "updates": _escape(DeepMerge.get_updated_keys(parent.data, task.data)),
                "deletions": DeepMerge.get_deleted_keys(parent.data, task.data),
            }
        text = _IDS.text
        return {
            "id": text(task.id),
            "parent": text(task._parent) if parent is not None else None,
            "children": [text(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data),
            "data": data,
            "delta": delta,
        }

    def from_dict(self, dct, workflow):
        # The library's own (SpiffWorkflow 3.2), with task ids interned (`_uuid`).
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=_uuid(dct["id"]))
        task._parent = _uuid(dct["parent"]) if dct["parent"] is not None else None
        task._children = [_uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = self.registry.restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        if delta and task.parent is not None:
            data = DeepMerge.merge({}, task.parent.data)
            data.update(self.registry.restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                if key in data:
                    del data[key]
        else:
            data = self.registry.restore(dct["data"])
        task.data = data
        return task


class _SubWorkflowConverter(BpmnSubWorkflowConverter):
    mapping_to_dict = _ids_to_dict

    def to_dict(self, workflow):
        dct = super().to_dict(workflow)
        dct["data"] = _escape(dct["data"])
        return dct

    def from_dict(self, dct, task, top_workflow):
        # The library's own (SpiffWorkflow 3.2), with task ids interned (`_uuid`).
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=subprocess)
        subprocess.task_tree = subprocess.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


class _EventConverter(BpmnEventConverter):
    def to_dict(self, event):
        dct = super().to_dict(event)
        dct["payload"] = _escape(dct["payload"])
        return dct


class _StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Converts a top-level workflow without its specs; specs come back as restore arguments."""

    mapping_to_dict = _ids_to_dict

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["data"] = _escape(dct["data"])
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        if "spec" in dct:  # a full serialization (e.g. one being migrated)
            return super().from_dict(dct)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry():
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _StateOnlyWorkflowConverter
    config[BpmnSubWorkflow] = _SubWorkflowConverter
    config[Task] = _TaskConverter
    config[BpmnEvent] = _EventConverter
    # The platform's timers (engine.timers) serialize like SpiffWorkflow's own.
    config[WorkingTimeDate] = TimerConditionalEventDefinitionConverter
    config[WorkingDuration] = TimerConditionalEventDefinitionConverter
    registry = BpmnWorkflowSerializer.configure(config, _Registry())
    # Task data may hold dates and decimals (form answers, fees); the library refuses both.
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"])
    )
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    # The envelope's own contents are data: restored item by item, never as a typed object.
    registry.register(
        _EscapedDict,
        lambda v: {"value": v.items},
        lambda v: {k: registry.restore(item) for k, item in v["value"].items()},
        typename=ESCAPED_DICT,
    )
    return registry


class WorkflowSerializer:
    """Returns JSON-ready dicts for workflow state and specs, and workflows restored from them."""

    def __init__(self):
        self._serializer = BpmnWorkflowSerializer(_registry(), version=SPIFF_SERIALIZER_VERSION)
        self.spiff_version = SPIFF_SERIALIZER_VERSION

    def dump_state(self, workflow: BpmnWorkflow) -> str:
        """Returns the instance state of a workflow as JSON text, without its process spec."""
        # Task data is converted by the registry while encoding (dates, decimals, UUIDs), as
        # SpiffWorkflow's own serialize_json does; to_dict alone leaves it unconverted.
        registry = self._serializer.registry
        registry._encoder_mode = True
        try:
            envelope = {
                "format": STATE_FORMAT,
                "spiff_version": self.spiff_version,
                "workflow": self._serializer.to_dict(workflow),
            }
            return dump_json(envelope, self._serializer._encoder_cls().default)
        finally:
            registry._encoder_mode = False

    @staticmethod
    def read_envelope(text: str) -> dict[str, Any]:
        """Returns the parsed state envelope (format, spiff_version, workflow)."""
        try:
            envelope = load_json(text)
        except (TypeError, ValueError) as exc:
            raise WorkflowStateError(f"workflow state is not JSON: {exc}") from None
        if not isinstance(envelope, dict) or envelope.get("format") != STATE_FORMAT:
            found = (
                envelope.get("format") if isinstance(envelope, dict) else type(envelope).__name__
            )
            raise WorkflowStateError(f"unknown workflow state format {found!r}")
        return envelope

    def dump_spec(self, spec, subprocess_specs) -> dict[str, Any]:
        """Returns the specs as this SpiffWorkflow version serializes them (kept for migrations)."""
        return {
            "spiff_version": self.spiff_version,
            "spec": self._serializer.to_dict(spec),
            "subprocess_specs": {
                k: self._serializer.to_dict(v) for k, v in subprocess_specs.items()
            },
        }

    def load_state(
        self,
        text: str,
        spec,
        subprocess_specs,
        *,
        saved_spec: dict[str, Any] | None = None,
    ) -> BpmnWorkflow:
        """Returns the workflow a saved state describes, migrating an older format if needed."""
        envelope = self.read_envelope(text)
        dct = envelope["workflow"]
        version = envelope.get("spiff_version")
        if version == self.spiff_version:
            workflow = self._serializer.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
        else:
            workflow = self._migrate(dct, version, saved_spec)
        workflow.script_engine = SCRIPT_ENGINE
        return workflow

    def _migrate(self, dct, version, saved_spec) -> BpmnWorkflow:
        if version not in MIGRATIONS:
            raise WorkflowStateError(f"no migration from SpiffWorkflow state version {version!r}")
        if not saved_spec or saved_spec.get("spiff_version") != version:
            raise WorkflowStateError(
                f"state version {version!r} needs the spec saved under the same version to migrate"
            )
        dct["spec"] = _deep_copy_json(saved_spec["spec"])
        dct["subprocess_specs"] = _deep_copy_json(saved_spec["subprocess_specs"])
        MIGRATIONS[version](dct)
        dct.pop("VERSION", None)
        return self._serializer.from_dict(dct)


# orjson writes what the standard library writes for the values a state holds (compact, UTF-8,
# the same numbers), five to eight times faster; the types it would write its own way go to
# the registry's encoder as with the standard library: dates and times, dataclasses (and sets,
# callables, decimals, which orjson does not know). The one type it writes natively that the
# registry would wrap is UUID, which no state holds: task data refuses it (task_data), and the
# library keeps task ids as text (tests/engine/test_state_json.py compares both encoders).
# Keys that are not strings (an int, say) are written as the standard library writes them.
_DUMP_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
)


def dump_json(value: Any, default=None) -> str:
    """Returns compact JSON text, as `json.dumps(value, separators=(",", ":"),
    ensure_ascii=False, default=default)` writes it."""
    return orjson.dumps(value, default=default, option=_DUMP_OPTIONS).decode()


def load_json(text: str | bytes) -> Any:
    """Returns the value JSON text holds, as `json.loads` reads it (what orjson refuses but the
    standard library reads, an integer beyond 64 bits or NaN, goes to the standard library)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _deep_copy_json(value):
    # Restoring pops keys from the dicts it is given; never let it eat the caller's copy.
    if isinstance(value, dict):
        return {k: _deep_copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy_json(v) for v in value]
    return value
