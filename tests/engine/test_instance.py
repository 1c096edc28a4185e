"""Running the birth procedure in the engine alone, saving and restoring after every step."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from engine import (
    FormInvalid,
    ProcessInstance,
    TaskNotReady,
    WorkflowSerializer,
    WorkflowStateError,
)
from processes import DossierStatus

DECLARATION = {"child": {"full_name": "Nguyễn Minh An"}}


def round_trip(instance: ProcessInstance) -> ProcessInstance:
    """Returns the instance as production sees it next time: through JSON text."""
    return ProcessInstance.restore(instance.process, instance.state())


def step(instance: ProcessInstance, name: str, data: dict) -> ProcessInstance:
    [ready] = [r for r in instance.ready_steps() if r.step.name == name]
    instance.complete(ready.task_id, data)
    return round_trip(instance)


def test_happy_path_walks_the_statuses_with_a_save_between_steps(birth_process):
    instance = round_trip(
        ProcessInstance.start(birth_process, {"declaration": DECLARATION, "group": None})
    )
    assert [r.step.name for r in instance.ready_steps()] == ["tiep_nhan"]
    statuses = [instance.status()]
    for name, data in [
        ("tiep_nhan", {"decision": "accept"}),
        ("tham_dinh", {"assessment": "eligible", "opinion": "Đủ điều kiện"}),
        ("phe_duyet", {"approved": True}),
        (
            "ky_so",
            {
                "signed": True,
                "certificate_serial": "54-01",
                "registration_number": "12/2026",
                "personal_id": "001226012345",
            },
        ),
        ("tra_ket_qua", {"delivery": "online", "receiver_name": "Trần Thị Bình"}),
    ]:
        instance = step(instance, name, data)
        statuses.append(instance.status())
    assert statuses == [1, 2, 4, 4, 9, 10]
    assert instance.is_completed and instance.ready_steps() == []


def test_refusal_ends_with_status_refused(birth_process):
    instance = ProcessInstance.start(birth_process, {})
    instance = step(
        instance, "tiep_nhan", {"decision": "refuse", "refusal_reason": "Sai thẩm quyền"}
    )
    assert instance.is_completed
    assert instance.status() is DossierStatus.REFUSED


def test_supplement_loop_opens_a_new_reception_task(birth_process):
    instance = ProcessInstance.start(birth_process, {})
    first = instance.ready_steps()[0].task_id
    instance = step(
        instance, "tiep_nhan", {"decision": "supplement", "missing_documents": ["Giấy chứng sinh"]}
    )
    assert instance.status() is DossierStatus.SUPPLEMENT_REQUESTED
    instance = step(instance, "nhan_bo_sung", {"supplemented_documents": ["Giấy chứng sinh"]})
    [again] = instance.ready_steps()
    assert again.step.name == "tiep_nhan" and again.task_id != first
    assert instance.task_data(again.task_id)["missing_documents"] == ["Giấy chứng sinh"]


def test_invalid_form_data_is_refused_and_leaves_the_task_ready(birth_process):
    instance = ProcessInstance.start(birth_process, {})
    task_id = instance.ready_steps()[0].task_id
    before = instance.state()
    with pytest.raises(FormInvalid) as invalid:
        instance.complete(task_id, {"decision": "supplement"})  # the missing items are required
    assert set(invalid.value.errors) == {"missing_documents"}
    assert instance.state() == before


def test_completing_a_task_that_is_not_ready_is_refused(birth_process):
    instance = ProcessInstance.start(birth_process, {})
    task_id = instance.ready_steps()[0].task_id
    instance = step(instance, "tiep_nhan", {"decision": "accept"})
    with pytest.raises(TaskNotReady):
        instance.complete(task_id, {"decision": "accept"})


def test_dates_and_decimals_survive_serialization(birth_process):
    instance = ProcessInstance.start(
        birth_process, {"fee": Decimal("8000.50"), "received_on": date(2026, 3, 2)}
    )
    restored = round_trip(instance)
    data = restored.task_data(restored.ready_steps()[0].task_id)
    assert data["fee"] == Decimal("8000.50") and data["received_on"] == date(2026, 3, 2)


def test_saved_state_carries_no_spec_and_names_its_versions(birth_process):
    text = ProcessInstance.start(birth_process, {}).state()
    state = json.loads(text)
    assert state["format"] == "motcua-state/1"
    assert state["spiff_version"] == WorkflowSerializer().spiff_version
    assert "spec" not in state["workflow"] and "subprocess_specs" not in state["workflow"]
    assert len(text) < 10_000


def test_state_from_an_older_spiff_version_is_migrated_with_its_saved_spec(birth_process):
    serializer = WorkflowSerializer()
    instance = ProcessInstance.start(birth_process, {"declaration": DECLARATION})
    state = json.loads(instance.state())
    saved_spec = serializer.dump_spec(birth_process.spec, birth_process.subprocess_specs)
    # Pretend both were written by SpiffWorkflow's previous serializer version (1.4).
    state["spiff_version"] = saved_spec["spiff_version"] = "1.4"
    restored = ProcessInstance.restore(birth_process, json.dumps(state), saved_spec=saved_spec)
    assert [r.step.name for r in restored.ready_steps()] == ["tiep_nhan"]
    assert json.loads(restored.state())["spiff_version"] == serializer.spiff_version
    restored = step(restored, "tiep_nhan", {"decision": "accept"})
    assert restored.status() is DossierStatus.ACCEPTED


def test_unknown_state_formats_are_refused(birth_process):
    state = json.loads(ProcessInstance.start(birth_process, {}).state())
    for bad in (
        "not json",
        json.dumps([1, 2]),
        json.dumps({**state, "format": "other/9"}),
        json.dumps({**state, "spiff_version": "0.1"}),
        json.dumps({**state, "spiff_version": "1.4"}),  # no spec saved under 1.4 to migrate with
    ):
        with pytest.raises(WorkflowStateError):
            ProcessInstance.restore(birth_process, bad)


def test_a_restored_workflow_names_each_task_by_one_id_object(birth_process):
    # The engine looks tasks up by id hundreds of times per step: one object per id, shared by
    # the task, its parent's children and its children's parent, is found by identity.
    instance = step(
        round_trip(
            ProcessInstance.start(birth_process, {"declaration": DECLARATION, "group": None})
        ),
        "tiep_nhan",
        {"decision": "accept"},
    )
    tasks = instance.workflow.tasks
    assert len(tasks) > 3
    for key, task in tasks.items():
        assert key is task.id
        if task.parent is not None:
            assert any(child is task.id for child in task.parent._children)
            assert task._parent is task.parent.id
