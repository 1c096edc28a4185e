"""Timers and reminders on the production stack: PostgreSQL, a real Redis, `motcua worker`
processes and a real SMTP server. A boundary timer escalates an untouched task; the same due
timers handed to two workers (and twice over) fire once each; a worker killed at either side
of a timer's commit loses none; a reminder is recorded and its email arrives before the step
is due."""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from api.jobs.worker import RedisQueue
from api.services.accounts import set_officer_email
from api.store import Dossier, Event, Notification, Task, db
from engine.calendar import now as calendar_now
from tests.conftest import appraisal_task, deploy_test_procedure
from tests.engine.conftest import fixture_bytes
from tests.escalation import ESCALATION, FORMS, TIMER, received_at_appraisal
from tests.integration.workers import wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.parametrize("backend", ["postgresql"]),
]


@pytest.fixture
def escalation(app, officers, clock, monkeypatch):
    """The escalation procedure with its boundary timer at two seconds (the workers read the
    real clock)."""
    bpmn = fixture_bytes("escalation.bpmn")
    assert TIMER in bpmn
    bpmn = bpmn.replace(TIMER, b"<bpmn:timeDuration>PT2S</bpmn:timeDuration>")
    deploy_test_procedure(app, clock, monkeypatch, ESCALATION, bpmn, FORMS)


def at_appraisal(as_officer) -> str:
    return received_at_appraisal(as_officer("h29.01.tiep_nhan"))["code"]


def fired(app) -> dict[str, int]:
    """Returns, per dossier code, how many timer_fired events it has."""
    with app.app_context():
        rows = db.session.execute(
            select(Dossier.code, func.count(Event.id))
            .join(Event, (Event.dossier_id == Dossier.id) & (Event.action == "timer_fired"))
            .group_by(Dossier.code)
        )
        return dict(rows.all())


def escalated(app) -> dict[str, int]:
    """Returns, per dossier code, how many leader tasks the escalation opened."""
    with app.app_context():
        rows = db.session.execute(
            select(Task.dossier_code, func.count())
            .where(Task.step == "lanh_dao_xu_ly")
            .group_by(Task.dossier_code)
        )
        return dict(rows.all())


def dossier_ids(app, codes) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Dossier.id).where(Dossier.code.in_(codes))))


def test_a_boundary_timer_escalates_an_untouched_task(
    app, escalation, as_officer, stack, redis_url
):
    workers, queue = stack
    workers.start(redis_url, queue)
    code = at_appraisal(as_officer)
    leader = as_officer("h29.01.lanh_dao")
    wait_for(
        lambda: [t["step"] for t in leader.get("/api/tasks").json["items"]] == ["lanh_dao_xu_ly"],
        what="the leader's escalated task",
    )
    assert fired(app) == {code: 1}
    view = leader.get(f"/api/dossiers/{code}").json
    assert {t["step"]: t["state"] for t in view["tasks"]}["tham_dinh"] == "cancelled"


def test_the_same_due_timers_handed_to_two_workers_twice_fire_once(
    app, escalation, as_officer, stack, redis_url
):
    workers, queue = stack
    codes = [at_appraisal(as_officer) for _ in range(12)]
    time.sleep(2.2)  # every timer is due; no worker has run yet
    ids = dossier_ids(app, codes)
    redis = RedisQueue(redis_url, queue)
    redis.push_timers(ids)
    redis.push_timers(list(reversed(ids)))  # the same dossiers again, the other way round
    workers.start(redis_url, queue)
    workers.start(redis_url, queue)
    wait_for(lambda: len(escalated(app)) == len(codes), what="every escalation")
    time.sleep(1)  # what the workers still had in hand, and a relay round or two
    assert fired(app) == {code: 1 for code in codes}
    assert escalated(app) == {code: 1 for code in codes}


@pytest.mark.parametrize("failpoint", ["timer.before_commit", "timer.after_commit"])
def test_a_worker_killed_mid_job_loses_no_timer(
    app, escalation, as_officer, stack, redis_url, failpoint
):
    workers, queue = stack
    codes = [at_appraisal(as_officer) for _ in range(3)]
    time.sleep(2.2)  # all three due: one sweep claims them, one job fires them together
    doomed = workers.start(redis_url, queue, failpoints=failpoint)
    doomed.wait(timeout=30)
    assert doomed.returncode == -signal.SIGKILL
    # Killed before its commit: nothing of the batch was kept; after it: all of it was.
    assert fired(app) == ({code: 1 for code in codes} if failpoint == "timer.after_commit" else {})
    # A healthy worker: the dossiers the dead one claimed are swept again when their lease
    # ends, the rest as soon as they are due.
    workers.start(redis_url, queue)
    wait_for(lambda: len(escalated(app)) == len(codes), what="every escalation")
    time.sleep(1)
    assert fired(app) == {code: 1 for code in codes}


def test_a_reminder_is_recorded_and_emailed_before_the_step_is_due(
    app, officers, as_officer, stack, redis_url, smtp_server
):
    workers, queue = stack
    with app.app_context():
        set_officer_email("h29.01.tham_dinh", "tham_dinh@tanan.gov.vn")
        db.session.commit()
    dossier, task_id = appraisal_task(as_officer)
    now = calendar_now()
    with app.app_context():  # opened ten days ago, due in two: over half its time is used
        db.session.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(
                created_at=now - timedelta(days=10),
                due_at=now + timedelta(days=2),
                remind_at=now,
            )
        )
        db.session.commit()
    workers.start(
        redis_url,
        queue,
        MOTCUA_SMTP_HOST=smtp_server.host,
        MOTCUA_SMTP_PORT=str(smtp_server.port),
    )
    [message] = smtp_server.wait_for(1, timeout=30)
    assert message["To"] == "tham_dinh@tanan.gov.vn"
    assert message["Subject"].startswith(f"Nhắc việc: hồ sơ {dossier['code']}")
    with app.app_context():
        notes = db.session.scalars(select(Notification)).all()
        assert len(notes) == 2  # both appraisers (nobody holds the step); one has an address
        for note in notes:
            assert note.point in ("50%", "1d") and note.task_id == task_id
            assert note.created_at < now + timedelta(days=2)  # before the step is due
