"""A procedure with two parallel steps, where one (the citizen withdraws) ends the other:
the cancelled task leaves every inbox, and a completion racing it gets 409, never a 500."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from processes.catalogue import AgencyKind, LegalDeadline, Procedure
from tests.conftest import deploy_test_procedure
from tests.engine.conftest import fixture_bytes

PARALLEL = Procedure(
    code="9.000001",
    slug="song_song",
    name="Xử lý song song (thử nghiệm)",
    agency_kind=AgencyKind.COMMUNE,
    deadline=LegalDeadline(Decimal("2")),
    process_id="song_song",
    declaration_form="song_song/ghi_chu",
)
FORMS = {"song_song/ghi_chu": {"type": "object", "properties": {"note": {"type": "string"}}}}


@pytest.fixture
def parallel(app, officers, clock, monkeypatch):
    bpmn = fixture_bytes("parallel_withdrawal.bpmn")
    deploy_test_procedure(app, clock, monkeypatch, PARALLEL, bpmn, FORMS)


def submit(as_officer) -> tuple[str, dict[str, str]]:
    body = {"procedure": PARALLEL.code, "applicant": {"full_name": "Lê Văn Cường"}, "data": {}}
    dossier = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=body).json
    return dossier["code"], {task["step"]: task["id"] for task in dossier["tasks"]}


def test_withdrawal_cancels_the_parallel_step(parallel, as_officer):
    code, tasks = submit(as_officer)
    officer = as_officer("h29.01.tiep_nhan")
    assert officer.post(f"/api/tasks/{tasks['rut_ho_so']}/claim").status_code == 200
    done = officer.post(f"/api/tasks/{tasks['rut_ho_so']}/complete", json={"data": {}})
    assert done.status_code == 200 and done.json["next_tasks"] == []
    dossier = officer.get(f"/api/dossiers/{code}").json
    assert dossier["status"]["code"] == 7 and dossier["finished_at"]
    assert {t["step"]: t["state"] for t in dossier["tasks"]} == {
        "xu_ly": "cancelled",
        "rut_ho_so": "completed",
    }
    assert officer.get("/api/tasks").json["items"] == []
    assert officer.post(f"/api/tasks/{tasks['xu_ly']}/claim").status_code == 409


HOLDERS = {"rut_ho_so": "h29.01.tiep_nhan", "xu_ly": "h29.01.tiep_nhan2"}


def race(app, officers, as_officer, monkeypatch, first: str):
    """Returns the dossier code and {step: (status, message)} of both sibling completions,
    the `first` step's holding the dossier while the other's queues on it."""
    import api.services.tasks as task_service

    code, tasks = submit(as_officer)
    for step, username in HOLDERS.items():
        assert as_officer(username).post(f"/api/tasks/{tasks[step]}/claim").status_code == 200
    restore, holding = task_service.restore, threading.Event()

    def slow_restore(dossier, op):
        if threading.current_thread().name == first:
            holding.set()  # holds the dossier now
            threading.Event().wait(0.5)  # widens the window; either order must be right
        return restore(dossier, op)

    monkeypatch.setattr(task_service, "restore", slow_restore)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 must show as a 500, not kill the thread
    answers = {}

    def complete(step):
        response = app.test_client().post(
            f"/api/tasks/{tasks[step]}/complete",
            json={"data": {}},
            headers={"Authorization": f"Bearer {officers[HOLDERS[step]]}"},
        )
        message = response.json["message"] if response.status_code != 200 else ""
        answers[step] = (response.status_code, message)

    holder = threading.Thread(target=complete, name=first, args=(first,))
    holder.start()
    assert holding.wait(10)
    complete(next(step for step in HOLDERS if step != first))
    holder.join(timeout=30)
    return code, answers


def test_completion_racing_a_withdrawal_gets_409(parallel, app, officers, as_officer, monkeypatch):
    code, answers = race(app, officers, as_officer, monkeypatch, first="rut_ho_so")
    assert answers["rut_ho_so"][0] == 200
    assert answers["xu_ly"] == (409, "the task is already cancelled")
    dossier = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
    assert dossier["status"]["code"] == 7


def test_a_completion_queued_on_the_dossier_sees_what_the_first_one_did(
    parallel, app, officers, as_officer, monkeypatch
):
    # The queued completion must plan from the workflow as the first one left it: the sibling
    # it finished stays completed (it was once overwritten as cancelled on PostgreSQL).
    code, answers = race(app, officers, as_officer, monkeypatch, first="xu_ly")
    assert answers == {"xu_ly": (200, ""), "rut_ho_so": (200, "")}
    dossier = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
    states = {task["step"]: task["state"] for task in dossier["tasks"]}
    assert states == {"xu_ly": "completed", "rut_ho_so": "completed"}


@pytest.fixture
def parallel_with_signing(app, officers, clock, monkeypatch):
    """The parallel procedure where processing (xu_ly) opens a signing step (ky) and the
    withdrawal no longer terminates the dossier."""
    source = fixture_bytes("parallel_withdrawal.bpmn").decode()
    for old, new in (
        (
            "<bpmn:flowNodeRef>end_withdrawn</bpmn:flowNodeRef>",
            "<bpmn:flowNodeRef>end_withdrawn</bpmn:flowNodeRef><bpmn:flowNodeRef>ky</bpmn:flowNodeRef>",
        ),
        (
            "<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>",
            "<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4a</bpmn:outgoing>",
        ),
        (
            '<bpmn:sequenceFlow id="f4" sourceRef="xu_ly" targetRef="end_done" />',
            '<bpmn:userTask id="ky" name="Ký"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="form_key" value="song_song/ghi_chu" />'
            '<spiffworkflow:property name="budget_days" value="1" />'
            "</spiffworkflow:properties></bpmn:extensionElements>"
            "<bpmn:incoming>f4a</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>"
            '<bpmn:sequenceFlow id="f4a" sourceRef="xu_ly" targetRef="ky" />'
            '<bpmn:sequenceFlow id="f4" sourceRef="ky" targetRef="end_done" />',
        ),
        ('<bpmn:terminateEventDefinition id="terminate" />', ""),
    ):
        assert old in source
        source = source.replace(old, new)
    deploy_test_procedure(app, clock, monkeypatch, PARALLEL, source.encode(), FORMS)


def test_a_task_the_first_completion_opened_is_not_opened_again(
    parallel_with_signing, app, officers, as_officer, monkeypatch
):
    # Planning from a stale list of open tasks once inserted `ky` a second time (a 500).
    code, answers = race(app, officers, as_officer, monkeypatch, first="xu_ly")
    assert answers == {"xu_ly": (200, ""), "rut_ho_so": (200, "")}
    dossier = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
    states = sorted((task["step"], task["state"]) for task in dossier["tasks"])
    assert states == [("ky", "open"), ("rut_ho_so", "completed"), ("xu_ly", "completed")]
