"""Workflows that would hang or end silently: only an end event finishes one, stalls fail loudly."""

from __future__ import annotations

import pytest

import engine.procedure as procedure
from engine import ProcessInstance, WorkflowSerializer, compile_process
from engine.errors import TooManyInstances, WorkflowStalled
from processes import DossierStatus
from tests.engine.test_deploy_checks import CHECK_FORM, diagram, script_cycle


def round_trip(instance: ProcessInstance) -> ProcessInstance:
    return ProcessInstance.restore(instance.process, instance.state())


def only_step(instance: ProcessInstance):
    [ready] = instance.ready_steps()
    return ready


def test_shipped_supplement_loop_never_reports_completed_without_an_end_event(birth_process):
    """SpiffWorkflow stops following the task tree ~1,000 levels down (~333 supplement rounds):
    each step then either keeps working or fails with WorkflowStalled, never 'completed'."""
    instance = ProcessInstance.start(birth_process, {})
    stalled = None
    for _ in range(720):
        ready = only_step(instance)
        data = (
            {"decision": "supplement", "missing_documents": ["Giấy chứng sinh"]}
            if ready.step.name == "tiep_nhan"
            else {"supplemented_documents": ["Giấy chứng sinh"]}
        )
        saved = instance.state()
        try:
            instance.complete(ready.task_id, data)
        except WorkflowStalled as exc:
            stalled = exc
            break
        instance = round_trip(instance)
        assert not instance.is_completed and instance.status() is not None
    assert stalled is not None, "expected SpiffWorkflow's depth limit to be reached"
    assert stalled.last_task
    # The failed step is not saved: the last saved state still has that step open.
    restored = ProcessInstance.restore(birth_process, saved)
    assert only_step(restored).task_id == ready.task_id and not restored.is_completed


def test_path_ending_without_an_end_event_fails_the_step_instead_of_completing(monkeypatch):
    """Defence in depth: the check refuses a path that ends without an end event (and the
    end event no path reaches); were it not, the step fails with WorkflowStalled."""
    monkeypatch.setattr(procedure, "structure_findings", lambda root, processes: [])
    source = diagram(
        '<bpmn:scriptTask id="dead_end"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>',
        [("check", "dead_end")],
    )
    process = compile_process(source, "p", CHECK_FORM)
    instance = ProcessInstance.start(process, {})
    with pytest.raises(WorkflowStalled) as stalled:
        instance.complete(only_step(instance).task_id, {"ok": True})
    assert stalled.value.last_task == "dead_end"
    assert not instance.is_completed


def test_only_an_end_event_completes_a_workflow(birth_process, monkeypatch):
    monkeypatch.setattr(procedure, "structure_findings", lambda root, processes: [])
    refusal = {"decision": "refuse", "refusal_reason": "Sai thẩm quyền"}
    instance = ProcessInstance.start(birth_process, {})
    instance.complete(only_step(instance).task_id, refusal)
    assert instance.is_completed and instance.status() is DossierStatus.REFUSED
    dead_end = diagram(
        '<bpmn:scriptTask id="dead_end"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>',
        [("check", "dead_end")],
    )
    instance = ProcessInstance.start(compile_process(dead_end, "p", CHECK_FORM), {})
    task = only_step(instance).task_id
    instance.workflow.get_task_from_id(task).run()
    instance.workflow.do_engine_steps()  # SpiffWorkflow alone calls this workflow completed
    assert instance.workflow.is_completed() and not instance.is_completed


def test_cycle_of_script_tasks_that_slipped_past_deploy_raises_stall(monkeypatch):
    """Defence in depth: such a cycle is refused at deploy; were it not, SpiffWorkflow would
    call the workflow completed after ~500 rounds. The step fails with WorkflowStalled."""
    monkeypatch.setattr(procedure, "_loops_without_wait", lambda root: [])
    source = script_cycle("n = n + 1", "m = n", "n &lt; 100000")
    process = compile_process(source, "p", CHECK_FORM)
    instance = ProcessInstance.start(process, {"n": 0})
    with pytest.raises(WorkflowStalled):
        instance.complete(only_step(instance).task_id, {"ok": True})
    assert not instance.is_completed


def multi_instance(characteristics: str, *, sequential: bool = False) -> bytes:
    flag = ' isSequential="true"' if sequential else ""
    return diagram(
        f'<bpmn:scriptTask id="many"><bpmn:multiInstanceLoopCharacteristics{flag}>'
        f"{characteristics}</bpmn:multiInstanceLoopCharacteristics>"
        "<bpmn:script>y = 1</bpmn:script></bpmn:scriptTask>",
        [("check", "many"), ("many", "end")],
    )


@pytest.mark.parametrize("sequential", [False, True])
def test_data_dependent_cardinality_above_the_bound_is_refused_at_run_time(sequential):
    source = multi_instance(
        "<bpmn:loopCardinality>count</bpmn:loopCardinality>", sequential=sequential
    )
    process = compile_process(source, "p", CHECK_FORM)
    within = ProcessInstance.start(process, {"count": 3})
    within.complete(only_step(within).task_id, {"ok": True})
    assert within.is_completed
    saved = WorkflowSerializer().dump_spec(process.spec, process.subprocess_specs)
    assert "many" in str(saved["spec"])  # the bounded spec still serializes
    instance = ProcessInstance.start(process, {"count": 5000})
    with pytest.raises(TooManyInstances) as refused:
        instance.complete(only_step(instance).task_id, {"ok": True})
    assert "many" in str(refused.value)


@pytest.mark.parametrize("sequential", [False, True])
def test_data_collection_above_the_bound_is_refused_at_run_time(sequential):
    source = multi_instance(
        "<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>"
        "<bpmn:inputDataItem id='item' name='item' />",
        sequential=sequential,
    )
    process = compile_process(source, "p", CHECK_FORM)
    instance = ProcessInstance.start(process, {"items": list(range(1000))})
    with pytest.raises(TooManyInstances):
        instance.complete(only_step(instance).task_id, {"ok": True})
