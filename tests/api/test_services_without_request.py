"""The operations run where there is no request: a worker, a timer, the console. Inside a plain
app context (no test client, no request context) the services receive a dossier and walk it
to the end, the system actor acts in an agency's name, and refusals come out as the domain's
exception classes, with no HTTP status anywhere."""

from __future__ import annotations

import uuid

import pytest
from flask import has_request_context
from sqlalchemy import select

from api import services
from api.services import (
    Actor,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    claim_task,
    complete_task,
    find_officer,
    get_dossier,
    receive_dossier,
    release_all_held_by,
)
from api.store import Event, Task, db
from tests.conftest import BIRTH_STEPS, birth_submission

STEPS = BIRTH_STEPS


def actor_of(username: str) -> Actor:
    """Returns the actor a worker would build for an officer, from the database alone."""
    officer = find_officer(username)
    assert officer is not None
    return Actor.officer(
        officer_id=officer.id,
        username=officer.username,
        agency_id=officer.agency_id,
        agency_code=officer.agency.code,
        agency_kind=officer.agency.kind,
        roles=frozenset(officer.roles),
    )


def receive(actor: Actor):
    body = birth_submission()
    return receive_dossier(
        actor,
        procedure_code=body["procedure"],
        applicant=body["applicant"],
        channel=body["channel"],
        data=body["data"],
    )


def assert_no_http(error: DomainError) -> None:
    """A domain error names no HTTP status: no code, no response, not an HTTP exception."""
    assert isinstance(error, DomainError)
    assert not any(cls.__module__.startswith(("werkzeug", "flask")) for cls in type(error).__mro__)
    for name in ("code", "status", "status_code", "response"):
        assert not hasattr(error, name), name
    assert not any(str(code) in str(error) for code in (400, 401, 403, 404, 409, 422, 500, 503))


def test_a_worker_walks_a_birth_dossier_to_the_end_without_a_request(app, officers):
    with app.app_context():
        assert not has_request_context()
        transition = receive(actor_of("h29.01.tiep_nhan"))
        code = transition.dossier.code
        assert code.startswith("H29.01-260302-")
        assert [t["step"] for t in transition.open_tasks] == ["tiep_nhan"]
        open_tasks = transition.open_tasks
        for index, (username, step, data, status) in enumerate(STEPS):
            [task] = [t for t in open_tasks if t["step"] == step]
            actor = actor_of(username)
            claimed = claim_task(actor, task["id"])
            assert claimed["state"] == "claimed" and claimed["assignee_username"] == username
            completion = complete_task(actor, task["id"], data)
            assert completion.task["state"] == "completed"
            assert completion.transition.dossier.status == status
            open_tasks = completion.transition.open_tasks
            expected = [STEPS[index + 1][1]] if index + 1 < len(STEPS) else []
            assert [t["step"] for t in open_tasks] == expected
        assert not has_request_context()

    # What the operations committed is there for anyone who looks afterwards.
    with app.app_context():
        dossier = get_dossier(actor_of("h29.01.van_thu"), code)
        assert dossier.status == 10 and dossier.finished_at is not None
        states = db.session.scalars(select(Task.state).where(Task.dossier_id == dossier.id)).all()
        assert states and set(states) == {"completed"}
        completed_by = db.session.scalars(
            select(Event.officer_id)
            .where(Event.dossier_id == dossier.id, Event.action == "completed")
            .order_by(Event.at, Event.id)
        ).all()
        assert completed_by == [find_officer(s[0]).id for s in STEPS]


def test_the_system_actor_releases_held_tasks_as_nobody(app, officers):
    with app.app_context():
        reception = actor_of("h29.01.tiep_nhan")
        task_id = receive(reception).open_tasks[0]["id"]
        claim_task(reception, task_id)
        officer = find_officer("h29.01.tiep_nhan")
        system = Actor.system(
            agency_id=officer.agency_id,
            agency_code=officer.agency.code,
            agency_kind=officer.agency.kind,
            reason="officer left",
        )
        assert not system.is_officer and system.officer_id is None and system.username is None
        assert str(system) == "system (officer left)"
        assert release_all_held_by(system, officer.id, reason="officer left") == 1
        db.session.commit()

    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task.state == "open" and task.assignee_id is None
        [released] = db.session.scalars(
            select(Event).where(Event.task_id == task_id, Event.action == "released")
        ).all()
        assert released.officer_id is None
        assert released.detail["holder"] == "h29.01.tiep_nhan"
        assert released.detail["reason"] == "officer left"
        # Nothing left to release: the count says so and nothing more is written.
        assert release_all_held_by(system, officer.id, reason="again") == 0


def test_refusals_are_domain_errors_without_http_statuses(app, officers):
    with app.app_context():
        reception = actor_of("h29.01.tiep_nhan")
        task_id = receive(reception).open_tasks[0]["id"]

        with pytest.raises(NotFound) as missing:
            claim_task(reception, str(uuid.uuid4()))
        assert_no_http(missing.value)
        assert str(missing.value) == "task not found"
        db.session.rollback()

        with pytest.raises(NotFound) as malformed:
            complete_task(reception, "not-a-task-id", {"decision": "accept"})
        assert_no_http(malformed.value)
        db.session.rollback()

        with pytest.raises(Conflict) as unclaimed:
            complete_task(reception, task_id, {"decision": "accept"})
        assert_no_http(unclaimed.value)
        assert "claim the task" in str(unclaimed.value)
        db.session.rollback()

        with pytest.raises(Forbidden) as no_role:
            claim_task(actor_of("h29.01.tham_dinh"), task_id)
        assert_no_http(no_role.value)
        db.session.rollback()

        # Another agency's task is indistinguishable from a missing one.
        with pytest.raises(NotFound) as stranger:
            claim_task(actor_of("h29.02.tiep_nhan"), task_id)
        assert str(stranger.value) == str(missing.value)
        db.session.rollback()

        claim_task(reception, task_id)
        with pytest.raises(Conflict) as held:
            claim_task(actor_of("h29.01.tiep_nhan2"), task_id)
        assert_no_http(held.value)
        assert "h29.01.tiep_nhan" in str(held.value)
        db.session.rollback()

        # The exception classes are the services' own, exported from the package.
        for cls in (NotFound, Conflict, Forbidden):
            assert (
                getattr(services, cls.__name__) is cls and cls.__module__ == "api.services.errors"
            )
