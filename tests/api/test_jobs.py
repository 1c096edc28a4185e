"""Background jobs: recorded in the outbox in the caller's transaction, run after its commit
(here in-process, each in its own app context and transaction), retried with backoff and
failed visibly after the last try, done once however often they run; arguments are ids and
plain values only."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from flask import g
from sqlalchemy import select

from api.jobs import InProcessQueue, enqueue, in_app_context, register, relay_due, run_job
from api.services import (
    JobSettings,
    NoQueue,
    commit,
    create_agency,
    find_agency,
    operation,
    rollback,
)
from api.store import Agency, OutboxJob, db

RUNS: list[dict] = []


@register("test.jobs.create_agency")
def create_agency_job(code: str, name: str) -> str:
    # No commit here: the runner commits the job's transaction.
    create_agency(operation(), code=code, name=name, kind="ubnd_xa")
    RUNS.append({"job": "create_agency", "g": g.get("marker"), "session": id(db.session())})
    return code


@register("test.jobs.write_then_fail")
def write_then_fail_job(code: str) -> None:
    create_agency(operation(), code=code, name="Sẽ bị hủy", kind="ubnd_xa")
    RUNS.append({"job": "write_then_fail"})
    raise RuntimeError("the job broke after writing")


@register("test.jobs.fail_at_commit")
def fail_at_commit_job(code: str) -> None:
    # A duplicate code added without the service's check: the commit itself fails.
    db.session.add(Agency(code=code, name="Trùng mã", kind="ubnd_xa", created_at=operation().at))
    RUNS.append({"job": "fail_at_commit"})


@pytest.fixture(autouse=True)
def no_runs():
    RUNS.clear()
    yield
    RUNS.clear()


@pytest.fixture
def captured(caplog):
    """Returns the records of the `motcua` loggers (they do not propagate to caplog's root)."""
    logger = logging.getLogger("motcua")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="motcua")
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


def job_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "motcua.jobs"]


def agency_codes(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Agency.code)))


def outbox(app) -> list[OutboxJob]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxJob).order_by(OutboxJob.id)))
        db.session.expunge_all()
        return rows


def test_a_job_runs_after_its_callers_commit_in_its_own_app_context(app, captured):
    with app.app_context():
        g.marker = "the caller's"
        caller_session = id(db.session())
        job_id = enqueue("test.jobs.create_agency", "H31.01", "UBND xã Mới")
        assert RUNS == []  # recorded, not run: the caller has not committed
        commit()
        [run] = RUNS
        assert run["g"] is None  # not the caller's app context
        assert run["session"] != caller_session  # nor its session
        assert g.marker == "the caller's"
        assert find_agency("H31.01").name == "UBND xã Mới"
    assert "H31.01" in agency_codes(app)
    [row] = outbox(app)
    assert (row.id, row.state, row.attempts, row.args) == (
        job_id,
        "done",
        1,
        ["H31.01", "UBND xã Mới"],
    )
    [line] = job_lines(captured)
    assert line.levelno == logging.INFO and line.getMessage() == "job done"
    assert line.job == "test.jobs.create_agency" and line.job_args == ["H31.01", "UBND xã Mới"]
    assert line.duration_ms >= 0


def test_a_job_recorded_by_a_transaction_that_rolls_back_never_runs(app):
    with app.app_context():
        enqueue("test.jobs.create_agency", "H31.09", "UBND xã Không")
        rollback()
        commit()  # a later commit of the same session hands nothing over
    assert RUNS == [] and outbox(app) == []
    assert "H31.09" not in agency_codes(app)


def test_a_failing_job_is_recorded_retried_with_backoff_and_fails_after_its_last_try(
    app, clock, captured
):
    runtime_settings(app, max_attempts=3, backoff_seconds=10)
    with app.app_context():
        enqueue("test.jobs.write_then_fail", "H31.02")
        commit()  # not raised into the caller
        assert find_agency("H31.02") is None  # the job's write was rolled back
    [row] = outbox(app)
    assert (row.state, row.attempts) == ("pending", 1)
    assert "the job broke after writing" in row.last_error
    assert row.available_at == clock.now + timedelta(seconds=10)
    assert relay_due(app) == 0  # not due yet: nothing runs
    clock.now += timedelta(seconds=10)
    assert relay_due(app) == 1
    [row] = outbox(app)
    assert (row.state, row.attempts) == ("pending", 2)
    assert row.available_at == clock.now + timedelta(seconds=20)  # doubled
    clock.now += timedelta(seconds=20)
    relay_due(app)
    [row] = outbox(app)
    assert (row.state, row.attempts) == ("failed", 3)  # the last try: visible, not retried
    clock.now += timedelta(hours=1)
    assert relay_due(app) == 0
    assert [r["job"] for r in RUNS] == ["write_then_fail"] * 3
    assert "H31.02" not in agency_codes(app)
    lines = job_lines(captured)
    assert [(r.getMessage(), r.outcome) for r in lines] == [
        ("job failed", "retry"),
        ("job failed", "retry"),
        ("job failed", "failed"),
    ]
    assert lines[0].job == "test.jobs.write_then_fail" and lines[0].job_args == ["H31.02"]


def test_a_job_run_twice_does_its_work_once(app):
    app.extensions["motcua"].queue = NoQueue()  # hand nothing over: run it by hand
    with app.app_context():
        job_id = enqueue("test.jobs.create_agency", "H31.03", "UBND xã Đầu")
        commit()
    assert run_job(app, job_id) == "done"
    assert run_job(app, job_id) == "skipped"
    assert [r["job"] for r in RUNS] == ["create_agency"]


def test_a_job_whose_commit_fails_is_recorded_and_the_app_serves_on(app, captured):
    with app.app_context():
        enqueue("test.jobs.create_agency", "H31.03", "UBND xã Đầu")
        enqueue("test.jobs.fail_at_commit", "H31.03")
        commit()
        assert [r["job"] for r in RUNS] == ["create_agency", "fail_at_commit"]
    done, failed = outbox(app)
    assert done.state == "done" and failed.state == "pending" and failed.attempts == 1
    assert "unique" in failed.last_error.lower()  # it failed where meant to: the commit
    assert app.test_client().get("/api/health").status_code == 200


def test_a_job_handed_to_a_queue_that_lost_it_is_relayed_after_its_lease(app, clock):
    app.extensions["motcua"].queue = NoQueue()  # Redis down: the hand-over is lost
    with app.app_context():
        enqueue("test.jobs.create_agency", "H31.08", "UBND xã Sau")
        commit()
    assert RUNS == [] and relay_due(app) == 0  # within its lease: a worker may have it
    clock.now += app.extensions["motcua"].jobs.lease + timedelta(seconds=1)
    app.extensions["motcua"].queue = InProcessQueue(app)  # the queue is back
    assert relay_due(app) == 1
    assert "H31.08" in agency_codes(app)


def test_a_console_command_runs_a_job_without_any_app_context(app):
    from flask import has_app_context

    assert not has_app_context()
    assert in_app_context(app, "test.jobs.create_agency")("H31.04", "UBND xã Thợ") == "H31.04"
    assert not has_app_context()
    assert "H31.04" in agency_codes(app)
    with pytest.raises(RuntimeError, match="the job broke"):
        in_app_context(app, "test.jobs.write_then_fail")("H31.05")
    assert "H31.05" not in agency_codes(app)


def runtime_settings(app, *, max_attempts: int, backoff_seconds: float) -> None:
    current = app.extensions["motcua"]
    current.jobs = JobSettings(
        max_attempts=max_attempts,
        backoff=timedelta(seconds=backoff_seconds),
        lease=current.jobs.lease,
    )


@pytest.mark.parametrize(
    "argument",
    [object(), {"code": "H31.06"}, ["H31.06"], ("H31.06",), datetime(2026, 3, 2), b"H31.06"],
    ids=["object", "dict", "list", "tuple", "datetime", "bytes"],
)
def test_enqueue_refuses_anything_but_ids_and_plain_values(app, argument):
    with app.app_context():
        with pytest.raises(TypeError, match="ids and plain values"):
            enqueue("test.jobs.create_agency", "H31.06", argument)
        commit()
    assert RUNS == []
    assert "H31.06" not in agency_codes(app)


def test_enqueue_refuses_a_model_object(app):
    with app.app_context():
        agency = create_agency(operation(), code="H31.07", name="Đối tượng", kind="ubnd_xa")
        db.session.commit()
        with pytest.raises(TypeError, match="Agency"):
            enqueue("test.jobs.create_agency", agency, "x")
    assert RUNS == []


def test_an_unknown_job_is_a_key_error(app):
    with app.app_context():
        with pytest.raises(KeyError, match="no job test.jobs.nothing"):
            enqueue("test.jobs.nothing", 1)
    with pytest.raises(KeyError):
        in_app_context(app, "test.jobs.nothing")


def test_a_job_name_is_registered_once():
    # The same function again is harmless (a module imported twice); another is a mistake.
    assert register("test.jobs.create_agency")(create_agency_job) is create_agency_job
    with pytest.raises(ValueError, match="registered twice"):
        register("test.jobs.create_agency")(lambda code, name: None)


def test_a_relay_sweeps_when_it_starts_not_an_interval_later(app, monkeypatch):
    # Work that fell due while no worker ran (timers, a lost queue's jobs) starts when the
    # first worker does.
    import threading

    from api.jobs import runner

    swept = threading.Event()
    monkeypatch.setattr(runner, "relay_due", lambda _app: swept.set())
    relay = runner.RelayThread(app, interval=60).start()
    try:
        assert swept.wait(timeout=10)
    finally:
        relay.stop()
