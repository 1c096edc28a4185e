"""The saved state's JSON: orjson (engine.serializer.dump_json) writes what the standard
library with SpiffWorkflow's encoder writes, for every state the shipped procedures and the
timer fixture reach on a dry run and for task data of every kind a state may hold: the same
text, but for how a float is spelled (2.5e-8, not 2.5e-08), so the same values read back."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from engine import ProcessInstance, WorkflowSerializer, compile_process
from engine.calendar import TIMEZONE, WorkingCalendar
from engine.dry_run import dry_run
from engine.serializer import STATE_FORMAT, dump_json, load_json
from engine.timers import DUE_VALUE, TimerClock
from processes import CATALOGUE, read_sources
from tests.engine.conftest import fixture_bytes
from tests.escalation import FORMS

CLOCK = TimerClock(datetime(2026, 3, 2, 9, 0, tzinfo=TIMEZONE), WorkingCalendar())


def standard_library(serializer: WorkflowSerializer, workflow) -> str:
    """The state as `json.dumps` writes it, with SpiffWorkflow's encoder (the code before)."""
    inner = serializer._serializer
    inner.registry._encoder_mode = True
    try:
        envelope = {
            "format": STATE_FORMAT,
            "spiff_version": serializer.spiff_version,
            "workflow": inner.to_dict(workflow),
        }
        return json.dumps(
            envelope, cls=inner._encoder_cls, separators=(",", ":"), ensure_ascii=False
        )
    finally:
        inner.registry._encoder_mode = False


@pytest.fixture
def compared(monkeypatch) -> list[str]:
    """Returns the states written from now on, each checked against the standard library's
    text and read back equal by both readers."""
    written: list[str] = []
    dump = WorkflowSerializer.dump_state

    def dump_state(self, workflow):
        text = dump(self, workflow)
        before = standard_library(self, workflow)
        assert json.loads(text) == json.loads(before)
        assert load_json(text) == json.loads(text)
        if "e-0" not in before:  # Python writes 2.5e-08 where orjson writes 2.5e-8
            assert text == before
        written.append(text)
        return text

    monkeypatch.setattr(WorkflowSerializer, "dump_state", dump_state)
    return written


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_state_a_shipped_procedure_reaches_is_written_as_before(code, compared):
    procedure = CATALOGUE[code]
    sources = read_sources(procedure)
    process = compile_process(sources.bpmn, procedure.process_id, sources.forms)
    assert dry_run(process, clock=CLOCK, declaration_form=procedure.declaration_form) == []
    assert len(compared) >= 3


def test_the_states_of_waiting_and_fired_timers_are_written_as_before(compared):
    process = compile_process(fixture_bytes("escalation.bpmn"), "chuyen_lanh_dao", FORMS)
    assert dry_run(process, clock=CLOCK) == []
    assert any(DUE_VALUE in text for text in compared)  # a waiting timer's due time


def test_task_data_of_every_kind_is_written_as_before(birth_process, compared):
    data = {
        "declaration": {
            "child": {"full_name": "Nguyễn Minh An — “Bé Na” 😀", "born": date(2026, 2, 27)},
            "fee": Decimal("12500.50"),
            "at": datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC),
            "wait": timedelta(days=2, seconds=30),
            "numbers": [0, -(2**63), 2**63 - 1, 1.5, 1e16, 2.5e-08, -0.0],
            "flags": [True, False, None],
            "typed": {"typename": "date", "value": "not a date"},
            "escapes": 'quote " backslash \\ newline \n tab \t nul-free \u2028',
        },
        "group": None,
    }
    instance = ProcessInstance.start(birth_process, data)
    text = instance.state()
    restored = ProcessInstance.restore(birth_process, text)
    [ready] = restored.ready_steps()
    assert restored.task_data(ready.task_id)["declaration"] == data["declaration"]


def test_payloads_are_written_as_the_standard_library_writes_them():
    value = {
        "keys": {1: "one", 2.5: "two and a half", None: "none", "text": "chữ"},
        "at": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        "fee": Decimal("12500.50"),
        "list": (1, 2),
    }

    def default(item):
        return item.isoformat() if isinstance(item, datetime) else str(item)

    assert dump_json(value, default) == json.dumps(
        value, default=default, separators=(",", ":"), ensure_ascii=False
    )


def test_a_state_orjson_cannot_read_is_read_by_the_standard_library():
    assert load_json('{"n": 123456789012345678901234567890, "x": NaN}')["n"] == (
        123456789012345678901234567890
    )
