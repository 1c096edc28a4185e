"""The plan of a transition, computed without a database: tasks opened with their due dates,
cancelled and still open, the status, the next due time, the state and the event."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from engine import (
    Before,
    ProcessInstance,
    WorkingCalendar,
    before_act,
    compile_process,
    plan_transition,
)
from engine.calendar import TIMEZONE
from processes import DossierStatus
from tests.engine.conftest import fixture_bytes

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=TIMEZONE)
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=TIMEZONE)
CALENDAR = WorkingCalendar()
PARALLEL_FORMS = {
    "song_song/ghi_chu": {"type": "object", "properties": {"note": {"type": "string"}}}
}


@pytest.fixture(scope="module")
def parallel_process():
    return compile_process(fixture_bytes("parallel_withdrawal.bpmn"), "song_song", PARALLEL_FORMS)


def restored(instance: ProcessInstance) -> ProcessInstance:
    return ProcessInstance.restore(instance.process, instance.state())


def test_receiving_opens_the_first_step_due_by_its_budget(birth_process):
    instance = ProcessInstance.start(birth_process, {"declaration": {}})
    plan = plan_transition(
        instance, Before(status=None), action="submitted", at=MONDAY_9, calendar=CALENDAR
    )
    [opened] = plan.opened
    assert opened.step.name == "tiep_nhan"
    assert opened.due_at == CALENDAR.due_at(MONDAY_9, opened.step.budget_days)
    assert opened.calendar_version == CALENDAR.version
    assert plan.cancelled == () and plan.still_open == () and plan.completed is None
    assert plan.next_due_at == opened.due_at
    assert plan.status_before is None
    assert plan.status_after == int(DossierStatus.SUBMITTED)
    assert not plan.finished
    [event] = plan.events
    assert (event.action, event.status_before, event.status_after) == ("submitted", None, 1)
    # the state in the plan is the workflow after the act: restoring it gives the same task
    assert [str(r.task_id) for r in restored(instance).ready_steps()] == [opened.id]


def test_completing_a_step_opens_the_next_at_the_instant_of_the_act(birth_process):
    instance = ProcessInstance.start(birth_process, {"declaration": {}})
    first = plan_transition(
        instance, Before(status=None), action="submitted", at=MONDAY_9, calendar=CALENDAR
    )
    [reception] = first.opened
    instance = restored(instance)
    instance.complete(_task_id(instance, "tiep_nhan"), {"decision": "accept"})
    plan = plan_transition(
        instance,
        Before(status=first.status_after, open_tasks={reception.id: reception.due_at}),
        action="completed",
        at=MONDAY_10,
        calendar=CALENDAR,
        completed=reception.id,
        completed_step="tiep_nhan",
        detail={"note": "x"},
    )
    [appraisal] = plan.opened
    assert appraisal.step.name == "tham_dinh"
    assert appraisal.due_at == CALENDAR.due_at(MONDAY_10, appraisal.step.budget_days)
    assert plan.cancelled == ()  # the completed task is completed, not cancelled
    assert plan.completed == reception.id
    assert plan.next_due_at == appraisal.due_at
    assert plan.status_before == int(DossierStatus.SUBMITTED)
    assert plan.status_after == appraisal.step.dossier_status == int(DossierStatus.ACCEPTED)
    [event] = plan.events
    assert event.task_id == reception.id and event.step == "tiep_nhan"
    assert event.detail == {"note": "x"}


def test_refusal_finishes_the_dossier_with_no_open_task(birth_process):
    instance = ProcessInstance.start(birth_process, {"declaration": {}})
    [ready] = instance.ready_steps()
    instance.complete(ready.task_id, {"decision": "refuse", "refusal_reason": "Thiếu giấy tờ"})
    plan = plan_transition(
        instance,
        Before(status=1, open_tasks={str(ready.task_id): MONDAY_9}),
        action="completed",
        at=MONDAY_10,
        calendar=CALENDAR,
        completed=str(ready.task_id),
    )
    assert plan.finished and plan.opened == () and plan.still_open == ()
    assert plan.next_due_at is None
    assert plan.status_after == int(DossierStatus.REFUSED)


def test_parallel_steps_keep_their_due_dates_and_the_earliest_is_next(parallel_process):
    instance = ProcessInstance.start(parallel_process, {})
    received = plan_transition(
        instance, Before(status=None), action="submitted", at=MONDAY_9, calendar=CALENDAR
    )
    assert {task.step.name for task in received.opened} == {"xu_ly", "rut_ho_so"}
    by_step = {task.step.name: task for task in received.opened}
    assert received.next_due_at == min(task.due_at for task in received.opened)
    assert received.status_after == 4  # the furthest along of the open steps' statuses

    # the withdrawal is not due yet; a later due date already given to xu_ly stays as it was
    given = {task.id: task.due_at for task in received.opened}
    given[by_step["xu_ly"].id] = datetime(2026, 3, 9, 9, 0, tzinfo=TIMEZONE)
    instance = restored(instance)
    instance.complete(_task_id(instance, "rut_ho_so"), {"note": "rút"})
    plan = plan_transition(
        instance,
        Before(status=4, open_tasks=given),
        action="completed",
        at=MONDAY_10,
        calendar=CALENDAR,
        completed=by_step["rut_ho_so"].id,
    )
    # the withdrawal ends the other branch: its task is cancelled, not left open
    assert plan.cancelled == (by_step["xu_ly"].id,)
    assert plan.opened == () and plan.still_open == ()
    assert plan.finished and plan.status_after == 7


def test_a_step_still_open_keeps_the_due_date_it_was_given(parallel_process):
    instance = ProcessInstance.start(parallel_process, {})
    received = plan_transition(
        instance, Before(status=None), action="submitted", at=MONDAY_9, calendar=CALENDAR
    )
    by_step = {task.step.name: task for task in received.opened}
    promised = datetime(2026, 3, 20, 9, 0, tzinfo=TIMEZONE)
    instance = restored(instance)
    plan = plan_transition(
        instance,
        Before(
            status=4,
            open_tasks={by_step["xu_ly"].id: promised, by_step["rut_ho_so"].id: promised},
        ),
        action="timer",
        at=MONDAY_10,
        calendar=CALENDAR,
    )
    assert set(plan.still_open) == {by_step["xu_ly"].id, by_step["rut_ho_so"].id}
    assert plan.opened == () and plan.cancelled == ()
    assert plan.next_due_at == promised  # never recomputed from the calendar


def test_task_data_in_the_plan_is_plain_json(birth_process):
    instance = ProcessInstance.start(
        birth_process, {"declaration": {"fee": Decimal("5000"), "when": MONDAY_9.date()}}
    )
    plan = plan_transition(
        instance, Before(status=None), action="submitted", at=MONDAY_9, calendar=CALENDAR
    )
    [opened] = plan.opened
    assert opened.data["declaration"] == {"fee": "5000", "when": "2026-03-02"}


def _task_id(instance: ProcessInstance, step: str):
    [ready] = [r for r in instance.ready_steps() if r.step.name == step]
    return ready.task_id


def test_opened_tasks_due_dates_travel_in_the_saved_state(parallel_process):
    # The saved state is the one source of truth for what is open and when it is due: a
    # transition that restores it later needs no other record (a stale one misled a queued
    # completion once).
    instance = ProcessInstance.start(parallel_process, {})
    plan = plan_transition(
        instance, Before(status=None), action="submitted", at=MONDAY_9, calendar=CALENDAR
    )
    again = ProcessInstance.restore(parallel_process, plan.state)
    assert again.open_due_dates() == {task.id: task.due_at for task in plan.opened}
    assert before_act(again, 4) == Before(4, {task.id: task.due_at for task in plan.opened})


def test_a_state_without_recorded_due_dates_says_which_are_missing(parallel_process):
    instance = ProcessInstance.start(parallel_process, {})  # never planned: nothing recorded
    before = before_act(instance, None)
    assert sorted(before.missing_due_dates) == sorted(before.open_tasks)
    filled = before.with_due_dates({task_id: MONDAY_9 for task_id in before.open_tasks})
    assert filled.missing_due_dates == []
