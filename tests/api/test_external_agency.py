"""An agency outside the platform, over real HTTP: social insurance (BH29) registered as
external receives its part of the birth group as a signed POST carrying only its data,
reports its result back signed with the same secret, and the group returns only then. A
tampered, stale, replayed or unsigned report is refused and changes nothing; an agency that
is down fails the handoff after its tries, and an operator hands it back to delivery.

Both the reference agency (tests/reference_agency.py) and the platform are served over HTTP
on 127.0.0.1; delivery runs in-process right after the commit that records the handoff."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.jobs import relay_due
from api.services import make_external
from api.services.runtime import JobSettings
from api.services.signatures import (
    MESSAGE_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    check_signature,
    new_secret,
    signed_headers,
)
from api.store import GroupDossier, Handoff, OutboxJob, db
from tests.conftest import birth_declaration
from tests.groups import BHYT, birth_group_submission, work_dossier
from tests.reference_agency import ReferenceAgency, Served

pytestmark = pytest.mark.usefixtures("group_officers")

INSURANCE = "1.011605"  # the birth group's health insurance card, BH29's part
POLICE = "1.004194"  # permanent residence, CA29.01's part (inside the platform)


@pytest.fixture
def agency(app, group_officers):
    """Returns BH29 as a reference agency outside the platform, served over HTTP."""
    agency = ReferenceAgency(new_secret()).start()
    with app.app_context():
        make_external("BH29", agency.url, agency.secret)
        db.session.commit()
    yield agency
    agency.stop()


@pytest.fixture
def platform(app):
    """Returns the URL the test's platform app is served at over HTTP (for callbacks)."""
    served = Served(app).start()
    yield served.url
    served.stop()


def receive_group(as_officer) -> str:
    body = birth_group_submission(birth_declaration())
    response = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=body)
    assert response.status_code == 201, response.json
    return response.json["code"]


def group_of(as_officer, code: str) -> dict:
    response = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}")
    assert response.status_code == 200, response.json
    return response.json


def parts_by_procedure(group: dict) -> dict[str, dict]:
    return {part["procedure"]: part for part in group["parts"]}


def child_code(as_officer, username: str, group_code: str) -> str:
    """Returns the code of the agency's own dossier in the group, as it sees the group."""
    response = as_officer(username).get(f"/api/dossiers/{group_code}")
    assert response.status_code == 200, response.json
    [code] = [p["dossier_code"] for p in response.json["parts"] if p["dossier_code"]]
    return code


def commune_signs(as_officer, code: str) -> None:
    """Works the commune's birth registration to the end: it hands the others their parts."""
    work_dossier(as_officer, "H29.01", child_code(as_officer, "h29.01.tiep_nhan", code))


def insurance_handoffs(app) -> list[dict]:
    """Returns BH29's handoffs as stored, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(Handoff, GroupDossier.code)
            .join(GroupDossier, GroupDossier.id == Handoff.group_id)
            .where(Handoff.procedure_code == INSURANCE)
            .order_by(Handoff.created_at, Handoff.id)
        )
        return [
            {
                "id": h.id,
                "group": group_code,
                "state": h.state,
                "attempts": h.attempts,
                "last_error": h.last_error,
                "delivered_at": h.delivered_at,
                "result": h.result,
                "result_at": h.result_at,
            }
            for h, group_code in rows
        ]


def sent_group(as_officer, clock, agency) -> tuple[str, str]:
    """Returns the code of a birth group whose insurance part was sent to the agency, and
    the handoff's (message) id."""
    code = receive_group(as_officer)
    clock.set(2026, 3, 2, 10, 0)
    commune_signs(as_officer, code)
    [message] = agency.messages
    return code, message["message_id"]


def test_an_outside_agency_receives_only_its_data_signed_and_the_group_waits_for_its_result(
    app, as_officer, clock, agency, platform
):
    code = receive_group(as_officer)
    assert agency.hits == 0  # nobody downstream hears of it before the commune signs
    clock.set(2026, 3, 2, 10, 0)
    commune_signs(as_officer, code)

    # Exactly one message, whose signature the agency checked itself (and we check again).
    assert agency.hits == 1 and agency.refused == []
    [received] = agency.received
    message = received.message
    assert message["procedure"] == INSURANCE and message["group_code"] == code
    assert received.headers[MESSAGE_ID_HEADER] == message["message_id"]
    refused = check_signature(
        agency.secret,
        received.headers[TIMESTAMP_HEADER],
        received.headers[SIGNATURE_HEADER],
        received.body,
        time.time(),
    )
    assert refused is None
    # Only the insurance data: no other agency's part.
    assert message["data"]["bhyt"] == BHYT
    assert "thuong_tru" not in message["data"]
    assert message["result_path"] == f"/api/handoffs/{message['message_id']}/result"
    [handoff] = insurance_handoffs(app)
    assert handoff["id"] == message["message_id"]
    assert handoff["state"] == "sent" and handoff["attempts"] == 1

    group = group_of(as_officer, code)
    assert group["status"]["code"] == 4
    parts = parts_by_procedure(group)
    insurance, police = parts[INSURANCE], parts[POLICE]
    assert insurance["agency"]["code"] == "BH29" and insurance["agency"]["external"] is True
    assert insurance["taken_over_at"] == "2026-03-02T10:00:00+07:00"
    assert insurance["due_at"] == "2026-03-04T10:00:00+07:00"
    assert insurance["finished_at"] is None and insurance["outcome"] is None
    # The police part still runs inside the platform; BH29's officers have nothing to do.
    assert police["agency"]["code"] == "CA29.01" and police["agency"]["external"] is False
    [police_task] = as_officer("ca29.01.tham_dinh").get("/api/tasks").json["items"]
    assert police_task["step"] == "thuong_tru_tham_dinh"
    assert as_officer("bh29.tham_dinh").get("/api/tasks").json["items"] == []

    clock.set(2026, 3, 3, 14, 0)
    work_dossier(as_officer, "CA29.01", child_code(as_officer, "ca29.01.van_thu", code))
    group = group_of(as_officer, code)
    assert group["status"]["code"] == 4 and group["finished_at"] is None  # BH29 has not

    clock.set(2026, 3, 4, 9, 30)
    card = {"so_the_bhyt": "TE1292600000001", "gia_tri_den": "2032-02-19"}
    status, body = agency.report(platform, message["message_id"], 10, card)
    assert status == 200, body
    group = group_of(as_officer, code)
    assert group["status"]["code"] == 10
    assert group["finished_at"] == "2026-03-04T09:30:00+07:00"
    insurance = parts_by_procedure(group)[INSURANCE]
    assert insurance["status"]["code"] == 10
    assert insurance["finished_at"] == "2026-03-04T09:30:00+07:00"
    assert insurance["outcome"] == "on_time"
    [handoff] = insurance_handoffs(app)
    assert handoff["state"] == "delivered" and handoff["result"]["result"] == card
    assert agency.hits == 1  # nothing more was sent to it

    # The agency itself records a message once, and refuses one whose body was changed.
    again = signed_headers(agency.secret, int(time.time()), received.body, handoff["id"])
    assert agency.post(agency.url, received.body, again)[0] == 200
    assert agency.post(agency.url, received.body + b" ", again)[0] == 401
    assert len(agency.received) == 1


def test_a_tampered_stale_replayed_or_unsigned_report_is_refused_and_changes_nothing(
    app, as_officer, clock, agency, platform
):
    code, message_id = sent_group(as_officer, clock, agency)
    clock.set(2026, 3, 3, 9, 0)

    def standing():
        group = group_of(as_officer, code)
        part = parts_by_procedure(group)[INSURANCE]
        [handoff] = insurance_handoffs(app)
        return group["status"], group["finished_at"], part["finished_at"], handoff

    before = standing()
    assert before[0]["code"] == 4 and before[3]["state"] == "sent"

    refusals = {
        "tampered": lambda: agency.report(platform, message_id, tamper=True),
        "stale": lambda: agency.report(platform, message_id, timestamp=int(time.time()) - 301),
        "unsigned": lambda: agency.post(
            f"{platform}/api/handoffs/{message_id}/result",
            b'{"status": 10, "result": {}}',
            {"Content-Type": "application/json"},
        ),
    }
    for why, send in refusals.items():
        status, body = send()
        assert status == 401, (why, body)
        assert standing() == before, why

    # A correctly signed report four minutes old is still within the tolerance.
    status, body = agency.report(platform, message_id, timestamp=int(time.time()) - 240)
    assert status == 200, body
    accepted = standing()
    assert accepted[2] == "2026-03-03T09:00:00+07:00" and accepted[3]["state"] == "delivered"
    assert accepted[0]["code"] == 4  # the police have not returned theirs yet
    clock.set(2026, 3, 3, 9, 1)
    status, body = agency.report(platform, message_id, replay_of=message_id)
    assert status == 401, body  # not 409 (no result awaited): refused as a replay first
    assert "replay" in str(body)
    assert standing() == accepted


def test_an_agency_that_is_down_fails_the_handoff_and_an_operator_hands_it_back(
    app, as_officer, clock, agency, platform
):
    app.extensions["motcua"].jobs = JobSettings(
        max_attempts=3, backoff=timedelta(seconds=5), lease=timedelta(seconds=30)
    )
    agency.down = True
    codes = [receive_group(as_officer) for _ in range(2)]
    clock.set(2026, 3, 2, 10, 0)
    for code in codes:
        commune_signs(as_officer, code)
        clock.now += timedelta(seconds=2)  # the second one is handed over two seconds later
    first, second = insurance_handoffs(app)
    assert (first["group"], second["group"]) == tuple(codes)
    assert agency.hits == 2 and agency.received == []
    assert first["state"] == "pending" and first["attempts"] == 1
    assert "BH29" in first["last_error"] and "503" in first["last_error"]

    assert relay_due(app) == 0  # the next try waits for its backoff
    clock.now += timedelta(seconds=6)
    assert relay_due(app) == 2
    assert [h["attempts"] for h in insurance_handoffs(app)] == [2, 2]
    assert {h["state"] for h in insurance_handoffs(app)} == {"pending"}
    clock.now += timedelta(seconds=11)
    assert relay_due(app) == 2
    clock.now += timedelta(hours=1)
    assert relay_due(app) == 0  # tried three times: no more
    assert agency.hits == 6 and agency.received == []
    for handoff in insurance_handoffs(app):
        assert handoff["state"] == "failed" and handoff["attempts"] == 3
        assert handoff["last_error"] == "DeliveryFailed: BH29 answered 503"
    with app.app_context():
        jobs = db.session.scalars(select(OutboxJob).where(OutboxJob.state == "failed")).all()
        assert sorted(j.args[0] for j in jobs) == sorted([first["id"], second["id"]])
    group = group_of(as_officer, codes[0])
    assert parts_by_procedure(group)[INSURANCE]["taken_over_at"] is None

    operator = as_officer("h29.01.quan_tri")
    listed = operator.get("/api/handoffs?state=failed")
    assert listed.status_code == 200, listed.json
    assert {h["id"] for h in listed.json} == {first["id"], second["id"]}
    assert all(h["attempts"] == 3 and "BH29" in h["last_error"] for h in listed.json)
    assert as_officer("h29.01.tiep_nhan").get("/api/handoffs?state=failed").status_code == 403
    refused = as_officer("h29.01.tiep_nhan").post(f"/api/handoffs/{first['id']}/retry")
    assert refused.status_code == 403
    assert insurance_handoffs(app)[0]["state"] == "failed"

    agency.down = False
    clock.now += timedelta(minutes=5)
    retried = operator.post(f"/api/handoffs/{first['id']}/retry")
    assert retried.status_code == 200, retried.json
    assert [m["message_id"] for m in agency.messages] == [first["id"]]
    first_now, second_now = insurance_handoffs(app)
    assert first_now["state"] == "sent" and first_now["attempts"] == 1
    assert second_now["state"] == "failed"
    part = parts_by_procedure(group_of(as_officer, codes[0]))[INSURANCE]
    assert part["agency"]["code"] == "BH29" and part["taken_over_at"] is not None
    assert operator.post(f"/api/handoffs/{first['id']}/retry").status_code == 409

    # The console retries the other one the same way, with fresh tries: while the agency
    # is down again, the first of them fails and leaves it pending, not failed.
    agency.down = True
    result = app.test_cli_runner().invoke(args=["handoffs", "retry", second["id"]])
    assert result.exit_code == 0, result.output
    second_now = insurance_handoffs(app)[1]
    assert second_now["state"] == "pending" and second_now["attempts"] == 1
    agency.down = False
    clock.now += timedelta(seconds=6)
    assert relay_due(app) == 1
    assert [m["message_id"] for m in agency.messages] == [first["id"], second["id"]]
    assert [h["state"] for h in insurance_handoffs(app)] == ["sent", "sent"]
    assert agency.hits == 9 and agency.refused == []


def test_an_agency_that_reports_before_answering_the_delivery_is_heard(
    app, as_officer, clock, agency, platform
):
    # The delivery's POST is made outside any transaction: the agency's callback, sent
    # while our POST still waits for its answer, neither waits on a lock nor is refused.
    agency.report_before_answering = platform
    code = receive_group(as_officer)
    clock.set(2026, 3, 2, 10, 0)
    commune_signs(as_officer, code)
    status, body = agency.reported_first
    assert status == 200, body
    [handoff] = insurance_handoffs(app)
    assert handoff["state"] == "delivered"  # the late answer to our POST changed nothing
    assert handoff["attempts"] == 1
    insurance = parts_by_procedure(group_of(as_officer, code))[INSURANCE]
    assert insurance["agency"]["code"] == "BH29"
    assert insurance["taken_over_at"] == insurance["finished_at"] == "2026-03-02T10:00:00+07:00"
    assert insurance["status"]["code"] == 10
