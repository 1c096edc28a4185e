"""What a dossier row says about where its workflow stands, through HTTP and the store:
`next_due_at` (the earliest due date among its open tasks, NULL once finished), the status
while parallel steps are open (the furthest along the diagram assigns), and the optimistic
version check that refuses a write based on a stale dossier and keeps nothing of it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from api.services import compiled_version
from api.store import Dossier, Event, Task, db
from engine import ProcessInstance
from processes import OPEN_TASK_STATES
from processes.catalogue import AgencyKind, LegalDeadline, Procedure
from tests.api.test_parallel_steps import FORMS, PARALLEL, parallel  # noqa: F401 (a fixture)
from tests.conftest import birth_submission, deploy_test_procedure

RECEPTIONIST = "h29.01.tiep_nhan"


# --- helpers ---------------------------------------------------------------------------------


def receive(as_officer, body: dict | None = None) -> dict:
    response = as_officer(RECEPTIONIST).post("/api/dossiers", json=body or birth_submission())
    assert response.status_code == 201, response.json
    return response.json


def claim_and_complete(as_officer, username: str, task_id: str, data: dict) -> dict:
    officer = as_officer(username)
    assert officer.post(f"/api/tasks/{task_id}/claim").status_code == 200
    done = officer.post(f"/api/tasks/{task_id}/complete", json={"data": data})
    assert done.status_code == 200, done.json
    return done.json


def due_dates(app, code: str) -> tuple[datetime | None, list[datetime]]:
    """Returns the dossier's stored next_due_at and the due dates of its open task rows."""
    with app.app_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        open_due = db.session.scalars(
            select(Task.due_at).where(
                Task.dossier_id == dossier.id, Task.state.in_(OPEN_TASK_STATES)
            )
        ).all()
        return dossier.next_due_at, list(open_due)


def assert_next_due_is_earliest_open(app, code: str, expected: str | None) -> None:
    """`expected` is the API's due date of the task that should come first (None: none open)."""
    next_due_at, open_due = due_dates(app, code)
    if expected is None:
        assert open_due == [] and next_due_at is None
        return
    assert next_due_at is not None, "next_due_at is NULL while tasks are open"
    assert next_due_at == min(open_due)
    assert next_due_at == datetime.fromisoformat(expected)


# --- next_due_at -------------------------------------------------------------------------------

BIRTH_STEPS = [
    ("tiep_nhan", "h29.01.tiep_nhan", {"decision": "accept"}),
    ("tham_dinh", "h29.01.tham_dinh", {"assessment": "eligible", "opinion": "Đủ điều kiện"}),
    ("phe_duyet", "h29.01.lanh_dao", {"approved": True}),
    (
        "ky_so",
        "h29.01.lanh_dao",
        {
            "signed": True,
            "certificate_serial": "54-01",
            "registration_number": "12/2026",
            "personal_id": "001226012345",
        },
    ),
    ("tra_ket_qua", "h29.01.van_thu", {"delivery": "online", "receiver_name": "Trần Thị Bình"}),
]


def test_next_due_at_follows_the_open_task_through_the_birth_procedure(app, as_officer, clock):
    dossier = receive(as_officer)
    code, [task] = dossier["code"], dossier["tasks"]
    assert_next_due_is_earliest_open(app, code, task["due_at"])
    seen = {task["due_at"]}
    # Each step is done at a later instant, so each next step gets a due date of its own.
    instants = [(9, 30), (13, 0), (14, 0), (15, 0), (16, 0)]
    for (hour, minute), (step, username, data) in zip(instants, BIRTH_STEPS, strict=True):
        assert task["step"] == step
        clock.set(2026, 3, 2, hour, minute)
        next_tasks = claim_and_complete(as_officer, username, task["id"], data)["next_tasks"]
        if step == "tra_ket_qua":
            assert next_tasks == []
            break
        [task] = next_tasks
        assert task["due_at"] not in seen
        seen.add(task["due_at"])
        assert_next_due_is_earliest_open(app, code, task["due_at"])
    assert_next_due_is_earliest_open(app, code, None)
    assert as_officer(RECEPTIONIST).get(f"/api/dossiers/{code}").json["finished_at"]


@pytest.mark.usefixtures("parallel")  # deploys tests/fixtures/bpmn/parallel_withdrawal.bpmn
def test_next_due_at_is_the_earliest_of_parallel_steps_and_survives_a_sibling_completing(
    app, as_officer
):
    body = {"procedure": PARALLEL.code, "applicant": {"full_name": "Lê Văn Cường"}, "data": {}}
    dossier = receive(as_officer, body)
    tasks = {task["step"]: task for task in dossier["tasks"]}
    processing, withdrawal = tasks["xu_ly"], tasks["rut_ho_so"]  # budgets 1 and 0.5 days
    due = {step: datetime.fromisoformat(task["due_at"]) for step, task in tasks.items()}
    assert due["rut_ho_so"] < due["xu_ly"]
    assert_next_due_is_earliest_open(app, dossier["code"], withdrawal["due_at"])

    # Completing one branch opens nothing: the sibling, still open, keeps the date.
    done = claim_and_complete(as_officer, RECEPTIONIST, processing["id"], {})
    assert [t["id"] for t in done["next_tasks"]] == [withdrawal["id"]]
    assert_next_due_is_earliest_open(app, dossier["code"], withdrawal["due_at"])

    claim_and_complete(as_officer, "h29.01.tiep_nhan2", withdrawal["id"], {})
    assert_next_due_is_earliest_open(app, dossier["code"], None)


# --- the status while parallel steps are open --------------------------------------------------

RANKED = Procedure(
    code="9.000002",
    slug="xep_hang",
    name="Hai bước song song có trạng thái (thử nghiệm)",
    agency_kind=AgencyKind.COMMUNE,
    deadline=LegalDeadline(Decimal("2")),
    process_id="xep_hang",
    declaration_form="song_song/ghi_chu",
)

_PROPERTIES = """<bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="form_key" value="song_song/ghi_chu" />
        <spiffworkflow:property name="budget_days" value="{budget}" />
        <spiffworkflow:property name="dossier_status" value="{status}" />
      </spiffworkflow:properties></bpmn:extensionElements>"""


def ranked_diagram(first: str) -> bytes:
    """Returns a diagram that forks into two steps with different statuses, tham_dinh (2,
    accepted) and xu_ly (4, processing), joins them, then trả kết quả (9) and the end (10).
    `first` names the step the fork's first outgoing flow leads to, which is the order
    the workflow lists ready steps in."""
    branches = {
        "tham_dinh": ("to_a", "from_a", "Thẩm định", "0.25", 2),
        "xu_ly": ("to_b", "from_b", "Xử lý", "1", 4),
    }
    order = [first] + [name for name in branches if name != first]
    outgoing = "".join(f"<bpmn:outgoing>{branches[name][0]}</bpmn:outgoing>" for name in order)
    tasks = "\n".join(
        f'<bpmn:userTask id="{name}" name="{title}">'
        + _PROPERTIES.format(budget=budget, status=status)
        + f"<bpmn:incoming>{into}</bpmn:incoming><bpmn:outgoing>{out}</bpmn:outgoing>"
        + "</bpmn:userTask>"
        for name in order
        for into, out, title, budget, status in [branches[name]]
    )
    flows = "\n".join(
        f'<bpmn:sequenceFlow id="{branches[name][0]}" sourceRef="fork" targetRef="{name}" />'
        for name in order
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs"
    targetNamespace="http://motcua.test">
  <bpmn:process id="xep_hang" name="Song song có trạng thái" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="Lane_tiep_nhan" name="Cán bộ tiếp nhận">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>fork</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>tham_dinh</bpmn:flowNodeRef><bpmn:flowNodeRef>xu_ly</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>join</bpmn:flowNodeRef><bpmn:flowNodeRef>tra_ket_qua</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="fork">
      <bpmn:incoming>f1</bpmn:incoming>{outgoing}
    </bpmn:parallelGateway>
    {tasks}
    <bpmn:parallelGateway id="join">
      <bpmn:incoming>from_a</bpmn:incoming><bpmn:incoming>from_b</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:userTask id="tra_ket_qua" name="Trả kết quả">
      {_PROPERTIES.format(budget="0.125", status=9)}
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="dossier_status" value="10" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork" />
    {flows}
    <bpmn:sequenceFlow id="from_a" sourceRef="tham_dinh" targetRef="join" />
    <bpmn:sequenceFlow id="from_b" sourceRef="xu_ly" targetRef="join" />
    <bpmn:sequenceFlow id="f2" sourceRef="join" targetRef="tra_ket_qua" />
    <bpmn:sequenceFlow id="f3" sourceRef="tra_ket_qua" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.fixture(
    params=["tham_dinh", "xu_ly"], ids=["lower status listed first", "higher status listed first"]
)
def ranked(request, app, officers, clock, monkeypatch) -> str:
    """Deploys the ranked diagram in both fork orders, so that taking the first (or the
    last) open step's status instead of the highest is wrong in one of them; returns the
    step the workflow lists first."""
    # The parallel diagram of test_parallel_steps cannot tell max from min: only one of its
    # branches carries a status.
    diagram = ranked_diagram(request.param)
    version_id = deploy_test_procedure(app, clock, monkeypatch, RANKED, diagram, FORMS)
    with app.app_context():
        workflow = ProcessInstance.start(compiled_version(version_id), {})
    assert workflow.ready_steps()[0].step.name == request.param
    return request.param


def test_status_while_parallel_steps_are_open_is_the_furthest_along(ranked, app, as_officer):
    body = {"procedure": RANKED.code, "applicant": {"full_name": "Lê Văn Cường"}, "data": {}}
    dossier = receive(as_officer, body)
    tasks = {task["step"]: task["id"] for task in dossier["tasks"]}
    assert set(tasks) == {"tham_dinh", "xu_ly"}
    assert dossier["status"]["code"] == 4
    with app.app_context():
        stored = db.session.scalars(
            select(Dossier.status).where(Dossier.code == dossier["code"])
        ).one()
    assert stored == 4

    # The lower branch done, the open one is the furthest along: still 4.
    done = claim_and_complete(as_officer, RECEPTIONIST, tasks["tham_dinh"], {})
    assert done["dossier_status"]["code"] == 4
    assert [t["step"] for t in done["next_tasks"]] == ["xu_ly"]
    reread = as_officer(RECEPTIONIST).get(f"/api/dossiers/{dossier['code']}").json
    assert reread["status"]["code"] == 4
    submitted = [e for e in reread["timeline"] if e["action"] == "submitted"]
    assert submitted[0]["status_after"]["code"] == 4

    done = claim_and_complete(as_officer, RECEPTIONIST, tasks["xu_ly"], {})
    assert done["dossier_status"]["code"] == 9
    [delivery] = done["next_tasks"]
    done = claim_and_complete(as_officer, RECEPTIONIST, delivery["id"], {})
    assert done["dossier_status"]["code"] == 10


# --- the optimistic version check -------------------------------------------------------------


def counts(app, code: str) -> dict:
    with app.app_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        by_state = dict(
            db.session.execute(
                select(Task.state, func.count())
                .where(Task.dossier_id == dossier.id)
                .group_by(Task.state)
            ).all()
        )
        events = db.session.scalars(
            select(Event.action).where(Event.dossier_id == dossier.id).order_by(Event.id)
        ).all()
        return {
            "version": dossier.version,
            "status": dossier.status,
            "state": dossier.workflow_state,
            "next_due_at": dossier.next_due_at,
            "tasks": by_state,
            "events": list(events),
        }


def test_a_write_based_on_a_stale_dossier_version_is_409_and_keeps_nothing(
    app, as_officer, monkeypatch
):
    import api.services.tasks as task_service

    dossier = receive(as_officer)
    code, task_id = dossier["code"], dossier["tasks"][0]["id"]
    officer = as_officer(RECEPTIONIST)
    assert officer.post(f"/api/tasks/{task_id}/claim").status_code == 200
    before = counts(app, code)
    assert before["tasks"] == {"claimed": 1} and before["events"] == ["submitted", "claimed"]

    restore = task_service.restore
    bumped = []

    def restore_then_bump(locked, op):
        # Another writer's transition, landing after this request read the dossier: its
        # version moves on. The request's own connection does it (it holds the dossier's lock,
        # so on PostgreSQL another connection would wait for it; SQLite has one writer).
        db.session.connection().execute(
            text("UPDATE dossiers SET version = version + 1 WHERE id = :id"), {"id": locked.id}
        )
        bumped.append(locked.version)
        return restore(locked, op)

    monkeypatch.setattr(task_service, "restore", restore_then_bump)
    response = officer.post(f"/api/tasks/{task_id}/complete", json={"data": {"decision": "accept"}})
    monkeypatch.setattr(task_service, "restore", restore)

    assert bumped == [before["version"]]
    assert response.status_code == 409, response.json
    assert "changed meanwhile" in response.json["message"]
    after = counts(app, code)
    assert after == before  # no task completed or opened, no event, the dossier untouched
    task = officer.get(f"/api/tasks/{task_id}").json
    assert (task["state"], task["assignee"], task["submitted"]) == ("claimed", RECEPTIONIST, None)

    # Nothing was half-written: the same completion, retried, goes through once.
    retried = officer.post(f"/api/tasks/{task_id}/complete", json={"data": {"decision": "accept"}})
    assert retried.status_code == 200
    assert counts(app, code)["version"] == before["version"] + 1
