"""BPMN timers fired by the platform's clock: what a designer's expression means, what the
check refuses (with the element), and a boundary timer that escalates an untouched step,
the workflow saved and restored between every step as production does."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from engine import (
    DiagramRejected,
    ProcessInstance,
    TimerClock,
    TimerInvalid,
    WorkingCalendar,
    compile_process,
)
from engine.calendar import TIMEZONE
from engine.timers import DATE, DURATION, literal, read_value
from tests.engine.conftest import fixture_bytes

FORMS = {"chuyen_lanh_dao/xu_ly": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}
CALENDAR = WorkingCalendar()


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TIMEZONE)


def clock(*parts: int) -> TimerClock:
    return TimerClock(at(*parts), CALENDAR)


@pytest.fixture(scope="module")
def escalation():
    return compile_process(fixture_bytes("escalation.bpmn"), "chuyen_lanh_dao", FORMS)


def with_timer(text: str, tag: str = "timeDuration", *, event: str = "boundary") -> bytes:
    """Returns the escalation diagram with its boundary timer's expression replaced."""
    source = fixture_bytes("escalation.bpmn")
    old = b"<bpmn:timeDuration>1 ng\xc3\xa0y l\xc3\xa0m vi\xe1\xbb\x87c</bpmn:timeDuration>"
    assert old in source
    new = f"<bpmn:{tag}>{text}</bpmn:{tag}>".encode()
    return source.replace(old, new)


def findings(source: bytes) -> list[str]:
    with pytest.raises(DiagramRejected) as rejected:
        compile_process(source, "chuyen_lanh_dao", FORMS)
    return [str(finding) for finding in rejected.value.findings]


def saved(instance: ProcessInstance, process, now: TimerClock) -> ProcessInstance:
    """Returns the instance saved and restored to run at another instant."""
    return ProcessInstance.restore(process, instance.state(), clock=now)


def started_at_appraisal(process) -> ProcessInstance:
    """Received Monday 2 March 2026 at 09:00, reception done at once: appraisal is open and
    its boundary timer (1 working day) waits."""
    instance = ProcessInstance.start(process, {}, clock=clock(2026, 3, 2, 9, 0))
    [step] = instance.ready_steps()
    instance.complete(step.task_id, {"ok": True})
    return instance


@pytest.mark.parametrize(
    ("text", "kind", "due"),
    [
        ("PT2H", DURATION, at(2026, 3, 6, 12, 0)),  # calendar time
        ('"PT2H"', DURATION, at(2026, 3, 6, 12, 0)),
        ("'P1DT12H'", DURATION, at(2026, 3, 7, 22, 0)),
        ("p2d", DURATION, at(2026, 3, 8, 10, 0)),
        ("1 ngày làm việc", DURATION, at(2026, 3, 9, 10, 0)),  # Friday → Monday
        ("0.5 ngày làm việc", DURATION, at(2026, 3, 6, 15, 30)),  # 4 h of office, lunch skipped
        ('"2 working days"', DURATION, at(2026, 3, 10, 10, 0)),
        ("2026-12-01T08:00:00+07:00", DATE, at(2026, 12, 1, 8, 0)),
        ("2026-12-01T01:00:00Z", DATE, at(2026, 12, 1, 8, 0)),
        ("2026-12-01T08:00", DATE, at(2026, 12, 1, 8, 0)),  # no offset: Vietnam time
        ("2026-12-01", DATE, at(2026, 12, 1, 0, 0)),
    ],
)
def test_timer_expressions_as_designers_write_them(text, kind, due):
    spelled = literal(text)
    assert spelled is not None
    value = read_value(spelled)
    assert value.kind == kind
    assert value.due(clock(2026, 3, 6, 10, 0)) == due  # a Friday, 10:00


@pytest.mark.parametrize(
    "value", ["P2X", "PT", "2 ngày", "0.3 ngày làm việc", "400 ngày làm việc", "2026-13-01", 7]
)
def test_values_that_are_no_due_time_are_not_understood(value):
    assert read_value(value) is None


def test_dates_from_task_data_are_due_times():
    assert read_value(date(2026, 12, 1)).due(clock(2026, 3, 6, 10, 0)) == at(2026, 12, 1, 0, 0)
    naive = datetime(2026, 12, 1, 9, 30)
    assert read_value(naive).due(clock(2026, 3, 6, 10, 0)) == at(2026, 12, 1, 9, 30)


@pytest.mark.parametrize(
    ("text", "tag", "expected"),
    [
        ("P2X", "timeDuration", "timeDuration 'P2X': write an ISO-8601 duration"),
        ("2 ngày", "timeDuration", "timeDuration '2 ngày': write an ISO-8601 duration"),
        ("2026-12-01", "timeDuration", "timeDuration '2026-12-01': write an ISO-8601 duration"),
        ("PT4H", "timeDate", "timeDate 'PT4H': write an ISO-8601 date"),
        ("", "timeDuration", "the timer has no expression"),
        ("R3/PT1H", "timeCycle", "repeating timers (timeCycle) are not fired"),
        ('__import__("os").system("id")', "timeDuration", "__import__"),
        ("han_chot.__class__", "timeDate", "__class__"),
    ],
)
def test_timers_the_platform_cannot_fire_are_refused_with_their_element(text, tag, expected):
    messages = findings(with_timer(text, tag))
    assert len(messages) >= 1
    assert all(m.startswith("qua_han_tham_dinh: ") for m in messages), messages
    assert any(expected in m for m in messages), messages


def test_a_procedure_does_not_start_on_a_timer():
    source = fixture_bytes("escalation.bpmn").replace(
        b'<bpmn:startEvent id="start">',
        b'<bpmn:startEvent id="start"><bpmn:timerEventDefinition id="t0">'
        b"<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>",
    )
    assert any(
        m.startswith("start: a procedure starts when a dossier is received")
        for m in (findings(source))
    )


def test_a_boundary_timer_escalates_an_untouched_step(escalation):
    instance = started_at_appraisal(escalation)
    [appraisal] = instance.ready_steps()
    assert appraisal.step.title == "Thẩm định hồ sơ"
    assert instance.next_timer_at() == at(2026, 3, 3, 9, 0)  # 1 working day, by the calendar

    early = saved(instance, escalation, clock(2026, 3, 3, 8, 59))
    assert early.fire_timers() == []
    assert [s.step.title for s in early.ready_steps()] == ["Thẩm định hồ sơ"]

    due = saved(early, escalation, clock(2026, 3, 3, 9, 0))  # on the due instant: fires
    assert due.fire_timers() == ["qua_han_tham_dinh"]
    [leader] = due.ready_steps()
    assert leader.step.role == "lanh_dao" and leader.step.title == "Lãnh đạo xử lý hồ sơ quá hạn"
    assert due.next_timer_at() is None

    again = saved(due, escalation, clock(2026, 3, 4, 9, 0))
    assert again.fire_timers() == []  # fired once: a second firing finds nothing due
    [leader_again] = again.ready_steps()
    again.complete(leader_again.task_id, {"ok": True})
    assert again.is_completed and again.status() == 10


def test_a_step_done_in_time_cancels_its_boundary_timer_and_an_intermediate_timer_waits(
    escalation,
):
    instance = saved(started_at_appraisal(escalation), escalation, clock(2026, 3, 2, 10, 0))
    [appraisal] = instance.ready_steps()
    instance.complete(appraisal.task_id, {"ok": True})
    assert instance.ready_steps() == [] and not instance.is_completed
    assert instance.next_timer_at() == at(2026, 3, 2, 12, 0)  # PT2H after the step

    later = saved(instance, escalation, clock(2026, 3, 3, 9, 0))  # past the boundary's due
    assert later.fire_timers() == ["cho_niem_yet"]  # only the waiting timer: the other is gone
    assert later.is_completed and later.status() == 10


def test_a_timer_due_time_from_task_data_and_a_value_that_is_none(escalation):
    source = with_timer("han_chot", "timeDate")
    process = compile_process(source, "chuyen_lanh_dao", FORMS)
    instance = ProcessInstance.start(
        process, {"han_chot": "2026-03-05T16:00:00+07:00"}, clock=clock(2026, 3, 2, 9, 0)
    )
    [step] = instance.ready_steps()
    instance.complete(step.task_id, {"ok": True})
    assert instance.next_timer_at() == at(2026, 3, 5, 16, 0)

    wrong = ProcessInstance.start(process, {"han_chot": "sớm"}, clock=clock(2026, 3, 2, 9, 0))
    [step] = wrong.ready_steps()
    with pytest.raises(Exception) as raised:
        wrong.complete(step.task_id, {"ok": True})
    assert "qua_han_tham_dinh" in str(raised.value) and "sớm" in str(raised.value)


def test_a_paused_timer_is_moved_and_a_workflow_without_the_clock_refuses(escalation):
    instance = started_at_appraisal(escalation)
    paused, resumed = at(2026, 3, 2, 10, 0), at(2026, 3, 9, 7, 30)
    instance.move_timers(lambda due: CALENDAR.due_after_pause(due, paused, resumed))
    # 7 h of office time were left at the pause (Monday 10:00 → Tuesday 09:00).
    assert instance.next_timer_at() == at(2026, 3, 9, 16, 0)
    restored = ProcessInstance.restore(escalation, instance.state())
    with pytest.raises(TimerInvalid):
        restored.fire_timers()
