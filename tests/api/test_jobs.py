"""Background jobs of the embedded default: run at once, each in its own app context and
transaction; a failure is logged and rolled back, never raised into the caller; arguments are
ids and plain values only."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from flask import g
from sqlalchemy import select

from api.jobs import enqueue, in_app_context, register
from api.services import create_agency, find_agency, operation
from api.store import Agency, db

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


def test_a_job_runs_in_its_own_app_context_and_commits_its_writes(app, captured):
    with app.app_context():
        g.marker = "the caller's"
        caller_session = id(db.session())
        assert enqueue("test.jobs.create_agency", "H31.01", "UBND xã Mới") is None
        [run] = RUNS
        assert run["g"] is None  # not the caller's app context
        assert run["session"] != caller_session  # nor its session
        assert g.marker == "the caller's"
        # Committed: the caller's session (and anyone's) sees it.
        assert find_agency("H31.01").name == "UBND xã Mới"
    assert "H31.01" in agency_codes(app)
    [line] = job_lines(captured)
    assert line.levelno == logging.INFO and line.getMessage() == "job done"
    assert line.job == "test.jobs.create_agency" and line.job_args == ["H31.01", "UBND xã Mới"]
    assert line.duration_ms >= 0


def test_a_failing_job_is_logged_and_rolled_back_not_raised(app, captured):
    with app.app_context():
        assert enqueue("test.jobs.write_then_fail", "H31.02") is None  # not raised
        assert RUNS == [{"job": "write_then_fail"}]
        # The caller's context goes on working.
        assert find_agency("H31.02") is None
    assert "H31.02" not in agency_codes(app)  # its write was rolled back
    [line] = job_lines(captured)
    assert line.levelno == logging.ERROR and line.getMessage() == "job failed"
    assert line.job == "test.jobs.write_then_fail" and line.job_args == ["H31.02"]
    assert line.exc_info and "the job broke after writing" in str(line.exc_info[1])


def test_a_job_whose_commit_fails_is_logged_and_rolled_back(app, captured):
    with app.app_context():
        enqueue("test.jobs.create_agency", "H31.03", "UBND xã Đầu")
        enqueue("test.jobs.fail_at_commit", "H31.03")
        assert [r["job"] for r in RUNS] == ["create_agency", "fail_at_commit"]
        assert (
            db.session.scalars(select(Agency).where(Agency.code == "H31.03")).one().name
            == "UBND xã Đầu"
        )
    done, failed = job_lines(captured)
    assert done.getMessage() == "job done" and failed.getMessage() == "job failed"
    assert "unique" in str(failed.exc_info[1]).lower()  # it failed where meant to: the commit
    # The app still serves afterwards: no transaction or session was left behind.
    assert app.test_client().get("/api/health").status_code == 200


def test_a_worker_runs_a_job_without_any_app_context(app, captured):
    from flask import has_app_context

    assert not has_app_context()
    assert in_app_context(app, "test.jobs.create_agency")("H31.04", "UBND xã Thợ") == "H31.04"
    assert not has_app_context()
    assert "H31.04" in agency_codes(app)
    assert in_app_context(app, "test.jobs.write_then_fail")("H31.05") is None
    assert "H31.05" not in agency_codes(app)
    assert [r.getMessage() for r in job_lines(captured)] == ["job done", "job failed"]


@pytest.mark.parametrize(
    "argument",
    [object(), {"code": "H31.06"}, ["H31.06"], ("H31.06",), datetime(2026, 3, 2), b"H31.06"],
    ids=["object", "dict", "list", "tuple", "datetime", "bytes"],
)
def test_enqueue_refuses_anything_but_ids_and_plain_values(app, argument):
    with app.app_context():
        with pytest.raises(TypeError, match="ids and plain values"):
            enqueue("test.jobs.create_agency", "H31.06", argument)
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
