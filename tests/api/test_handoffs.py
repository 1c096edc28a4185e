"""Handoffs between process instances: delivered once however often delivery runs, kept
when they arrive before the receiver waits for them, failing visibly (and retried by an
operator) when no agency serves the area; the operators' view is scoped to their agency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from api.services import create_agency, operation
from api.services.handoffs import deliver_handoff
from api.services.versions import deploy_group
from api.store import Dossier, Event, Handoff, db
from processes import AgencyKind, Group, GroupMember, LegalDeadline, Procedure
from tests.conftest import birth_declaration, deploy_test_procedure
from tests.engine.conftest import fixture_bytes
from tests.groups import birth_group_submission, work_dossier

pytestmark = pytest.mark.usefixtures("group_officers")


def handoffs(app) -> list[Handoff]:
    with app.app_context():
        rows = list(db.session.scalars(select(Handoff).order_by(Handoff.created_at, Handoff.id)))
        db.session.expunge_all()
        return rows


def dossiers_per_procedure(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Dossier.procedure_code, func.count()).group_by(Dossier.procedure_code)
        )
        return dict(rows.all())


def receive_birth_group(as_officer) -> tuple[str, str]:
    response = as_officer("h29.01.tiep_nhan").post(
        "/api/dossiers", json=birth_group_submission(birth_declaration())
    )
    assert response.status_code == 201, response.json
    [commune] = [p["dossier_code"] for p in response.json["parts"] if p["dossier_code"]]
    return response.json["code"], commune


def test_a_handoff_delivered_again_starts_no_second_receiver(app, as_officer):
    work_dossier(as_officer, "H29.01", receive_birth_group(as_officer)[1])
    assert [h.state for h in handoffs(app)] == ["delivered", "delivered"]
    before = dossiers_per_procedure(app)
    ids = [handoff.id for handoff in handoffs(app)]
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(Event))
        for handoff_id in ids:
            assert deliver_handoff(handoff_id) == "delivered"  # nothing to do
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Event)) == events
    assert dossiers_per_procedure(app) == before


def test_with_no_agency_for_the_area_delivery_fails_visibly_and_an_operator_retries(
    app, as_officer, clock
):
    # The second commune's area has police but no social insurance of its own: H29's serves
    # it. Remove that one: nothing serves H29.02.
    with app.app_context():
        db.session.execute(
            db.update(db.metadata.tables["agencies"])
            .where(db.metadata.tables["agencies"].c.code == "BH29")
            .values(area="H30")
        )
        db.session.commit()
    app.extensions["motcua"].jobs = app.extensions["motcua"].jobs.__class__(
        max_attempts=2, backoff=app.extensions["motcua"].jobs.backoff
    )
    work_dossier(as_officer, "H29.01", receive_birth_group(as_officer)[1])
    from api.jobs import relay_due

    clock.now += app.extensions["motcua"].jobs.backoff
    relay_due(app)
    states = {h.procedure_code: h for h in handoffs(app)}
    assert states["1.004194"].state == "delivered"
    failed = states["1.011605"]
    assert failed.state == "failed" and failed.attempts == 2
    assert "no agency of kind bhxh serves area H29.01" in failed.last_error

    operator = as_officer("h29.01.quan_tri")
    listed = operator.get("/api/handoffs?state=failed").json
    assert [h["id"] for h in listed] == [failed.id]
    assert as_officer("h29.01.tham_dinh").get("/api/handoffs").status_code == 403
    assert as_officer("h29.02.quan_tri").get("/api/handoffs").json == []  # not its agency's
    assert as_officer("h29.02.quan_tri").post(f"/api/handoffs/{failed.id}/retry").status_code == 404
    assert operator.post(f"/api/handoffs/{states['1.004194'].id}/retry").status_code == 409

    with app.app_context():
        create_agency(
            operation(),
            code="BH29.01",
            name="BHXH khu vực",
            kind=AgencyKind.SOCIAL_INSURANCE.value,
            area="H29.01",
        )
        db.session.commit()
    retried = operator.post(f"/api/handoffs/{failed.id}/retry")
    assert retried.status_code == 200, retried.json
    assert (retried.json["state"], retried.json["attempts"]) == ("pending", 0)  # handed back
    [after] = [h for h in handoffs(app) if h.id == failed.id]
    assert after.state == "delivered"  # by the job that ran after the retry's commit
    assert dossiers_per_procedure(app)["1.011605"] == 1


@pytest.fixture
def kept_message_group(app, clock, monkeypatch):
    """A test group whose second message reaches the receiver before it waits for it."""
    bpmn = fixture_bytes("kept_message_group.bpmn")
    note = {"type": "object", "properties": {"ghi_chu": {"type": "string"}}}
    empty = {"type": "object", "additionalProperties": False}
    sender = Procedure(
        code="T.GUI",
        slug="gui",
        name="Gửi thử",
        agency_kind=AgencyKind.COMMUNE,
        deadline=LegalDeadline(Decimal(1)),
        process_id="gui",
        declaration_form="gui/to_khai",
    )
    receiver = Procedure(
        code="T.NHAN",
        slug="nhan",
        name="Nhận thử",
        agency_kind=AgencyKind.POLICE,
        deadline=LegalDeadline(Decimal(2)),
        process_id="nhan",
        declaration_form="nhan/ho_so",
        group_part_form="nhan/to_khai_lien_thong",
    )
    deploy_test_procedure(
        app, clock, monkeypatch, sender, bpmn, {"gui/buoc": note, "gui/to_khai": empty}
    )
    deploy_test_procedure(
        app,
        clock,
        monkeypatch,
        receiver,
        bpmn,
        {"nhan/buoc": empty, "nhan/ho_so": {"type": "object"}, "nhan/to_khai_lien_thong": empty},
    )
    group = Group(
        code="LT-TEST",
        slug="thu",
        name="Nhóm thử",
        deadline=LegalDeadline(Decimal(3)),
        members=(GroupMember("T.GUI", Decimal(1)), GroupMember("T.NHAN", Decimal(2))),
    )
    forms = {
        "gui/buoc": note,
        "gui/to_khai": empty,
        "nhan/buoc": empty,
        "nhan/ho_so": {"type": "object"},
        "nhan/to_khai_lien_thong": empty,
    }
    with app.app_context():
        deploy_group(operation(), group, bpmn, forms, {p.code: p for p in (sender, receiver)})
        db.session.commit()
    return group


def step(as_officer, username: str, task_id: str, data: dict) -> dict:
    officer = as_officer(username)
    assert officer.post(f"/api/tasks/{task_id}/claim").status_code == 200
    done = officer.post(f"/api/tasks/{task_id}/complete", json={"data": data})
    assert done.status_code == 200, done.json
    return done.json


def only_task(as_officer, username: str) -> dict:
    [task] = as_officer(username).get("/api/tasks").json["items"]
    return task


def test_a_message_that_arrives_before_its_receiver_waits_is_kept_until_it_does(
    app, as_officer, kept_message_group
):
    body = {
        "procedure": "LT-TEST",
        "applicant": {"full_name": "Người thử"},
        "data": {"gui": {}, "nhan": {}},
    }
    group = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=body)
    assert group.status_code == 201, group.json
    step(
        as_officer,
        "h29.01.tham_dinh",
        only_task(as_officer, "h29.01.tham_dinh")["id"],
        {"ghi_chu": "một"},
    )
    receiving = only_task(as_officer, "ca29.01.tham_dinh")
    assert receiving["step"] == "xu_ly"
    # The sender's second message arrives while the receiver is still on its first step.
    step(
        as_officer,
        "h29.01.tham_dinh",
        only_task(as_officer, "h29.01.tham_dinh")["id"],
        {"ghi_chu": "hai"},
    )
    assert {h.message: h.state for h in handoffs(app)} == {
        "Hồ sơ thử": "delivered",
        "Bổ sung thử": "waiting",
    }
    state = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{group.json['code']}").json
    assert state["status"]["code"] == 4  # the sender finished; the receiver has not

    # Once the receiver waits for it, the kept message is delivered and the receiver goes on.
    done = step(as_officer, "ca29.01.tham_dinh", receiving["id"], {})
    assert done["next_tasks"] == []  # waiting for the message, delivered after the commit
    assert {h.message: h.state for h in handoffs(app)} == {
        "Hồ sơ thử": "delivered",
        "Bổ sung thử": "delivered",
    }
    last = only_task(as_officer, "ca29.01.tham_dinh")
    assert last["step"] == "hoan_tat"
    detail = as_officer("ca29.01.tham_dinh").get(f"/api/tasks/{last['id']}").json
    assert detail["data"]["bo_sung"] == {"bo_sung": "hai"}
    assert detail["data"]["ho_so"] == {"so": "một"}
    step(as_officer, "ca29.01.tham_dinh", last["id"], {})
    state = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{group.json['code']}").json
    assert state["status"]["code"] == 10
