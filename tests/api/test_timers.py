"""BPMN timers fired by the platform: a boundary timer escalates an untouched step to the
leader through the one write path, a timer fires once however often it is handed out, and a
hand-out that is lost (a worker killed, Redis gone) is swept again when its lease ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from api.jobs import InProcessQueue, relay_due
from api.jobs.runner import run_timers
from api.services import NoQueue, procedures
from api.store import Dossier, db
from tests.conftest import deploy_test_procedure
from tests.engine.conftest import fixture_bytes
from tests.escalation import ESCALATION, FORMS, received_at_appraisal


@pytest.fixture
def escalation(app, officers, clock, monkeypatch):
    bpmn = fixture_bytes("escalation.bpmn")
    deploy_test_procedure(app, clock, monkeypatch, ESCALATION, bpmn, FORMS)


class LostQueue(NoQueue):
    """Takes the timers handed to it and loses them (a worker killed, Redis restarted)."""

    def __init__(self):
        self.lost: list[int] = []

    def room_for_timers(self) -> int:
        return 100

    def push_timers(self, dossier_ids) -> None:
        self.lost += list(dossier_ids)


def at_appraisal(as_officer) -> dict:
    """Returns a dossier received Monday 09:00 whose reception is done: appraisal is open
    and its boundary timer (1 working day: Tuesday 09:00) waits."""
    reception = as_officer("h29.01.tiep_nhan")
    code = received_at_appraisal(reception)["code"]
    return reception.get(f"/api/dossiers/{code}").json


def timer_due_at(app, code: str):
    with app.app_context():
        return db.session.scalar(select(Dossier.timer_due_at).where(Dossier.code == code))


def dossier_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Dossier.id).where(Dossier.code == code))


def test_a_boundary_timer_escalates_an_untouched_step_to_the_leader(
    escalation, app, as_officer, clock
):
    dossier = at_appraisal(as_officer)
    code = dossier["code"]
    [appraisal] = [t for t in dossier["tasks"] if t["state"] == "open"]
    assert appraisal["step"] == "tham_dinh"
    assert timer_due_at(app, code).isoformat() == "2026-03-03T02:00:00+00:00"

    clock.set(2026, 3, 3, 8, 59)
    relay_due(app)  # not due yet: nothing happens
    reception = as_officer("h29.01.tiep_nhan")
    view = reception.get(f"/api/dossiers/{code}").json
    assert {t["step"]: t["state"] for t in view["tasks"]} == {
        "tiep_nhan": "completed",
        "tham_dinh": "open",
    }

    clock.set(2026, 3, 3, 9, 0)
    relay_due(app)  # the embedded queue fires it at once
    view = reception.get(f"/api/dossiers/{code}").json
    states = {t["step"]: t["state"] for t in view["tasks"]}
    assert states == {"tiep_nhan": "completed", "tham_dinh": "cancelled", "lanh_dao_xu_ly": "open"}
    [fired] = [e for e in view["timeline"] if e["action"] == "timer_fired"]
    assert fired["detail"]["timers"] == ["qua_han_tham_dinh"]
    assert fired["officer"] is None and fired["at"] == "2026-03-03T09:00:00+07:00"
    assert timer_due_at(app, code) is None

    leader = as_officer("h29.01.lanh_dao")
    [task] = [t for t in leader.get("/api/tasks").json["items"] if t["dossier_code"] == code]
    assert task["step"] == "lanh_dao_xu_ly"
    assert task["due_at"] == "2026-03-03T14:30:00+07:00"  # half a day (4 h) from 09:00
    assert leader.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    done = leader.post(f"/api/tasks/{task['id']}/complete", json={"data": {"ok": True}})
    assert done.status_code == 200 and done.json["dossier_status"]["code"] == 10


def test_a_step_done_in_time_leaves_an_intermediate_timer_that_finishes_the_dossier(
    escalation, app, as_officer, clock
):
    code = at_appraisal(as_officer)["code"]
    officer = as_officer("h29.01.tham_dinh")
    [task] = [t for t in officer.get("/api/tasks").json["items"] if t["dossier_code"] == code]
    clock.set(2026, 3, 2, 10, 0)
    assert officer.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    done = officer.post(f"/api/tasks/{task['id']}/complete", json={"data": {"ok": True}})
    assert done.status_code == 200, done.json
    assert timer_due_at(app, code).isoformat() == "2026-03-02T05:00:00+00:00"  # PT2H

    clock.set(2026, 3, 3, 9, 30)  # after the boundary timer's due time too: it was cancelled
    relay_due(app)
    view = officer.get(f"/api/dossiers/{code}").json
    assert view["status"]["code"] == 10 and view["finished_at"] == "2026-03-03T09:30:00+07:00"
    [fired] = [e for e in view["timeline"] if e["action"] == "timer_fired"]
    assert fired["detail"]["timers"] == ["cho_niem_yet"]


def test_the_same_due_timer_handed_out_twice_fires_once(escalation, app, as_officer, clock):
    code = at_appraisal(as_officer)["code"]
    clock.set(2026, 3, 3, 9, 0)
    ids = [dossier_id(app, code)]
    assert run_timers(app, ids) == 1
    assert run_timers(app, ids) == 0  # the second finds the saved state: nothing due
    view = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
    assert [e["action"] for e in view["timeline"]].count("timer_fired") == 1
    assert [t["step"] for t in view["tasks"]].count("lanh_dao_xu_ly") == 1


def test_a_lost_hand_out_is_swept_again_when_its_lease_ends(escalation, app, as_officer, clock):
    code = at_appraisal(as_officer)["code"]
    lost = LostQueue()
    app.extensions["motcua"].queue = lost
    clock.set(2026, 3, 3, 9, 0)
    relay_due(app)
    assert lost.lost == [dossier_id(app, code)]
    lease = app.extensions["motcua"].jobs.lease
    assert timer_due_at(app, code) == clock.now + lease  # claimed: out of the next sweeps
    relay_due(app)
    assert len(lost.lost) == 1  # handed out once per lease

    app.extensions["motcua"].queue = InProcessQueue(app)
    clock.now += lease - timedelta(seconds=1)
    relay_due(app)
    assert "lanh_dao_xu_ly" not in [
        t["step"] for t in as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json["tasks"]
    ]
    clock.now += timedelta(seconds=1)
    relay_due(app)  # the lease ended: swept again, fired now
    view = as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json
    assert [e["action"] for e in view["timeline"]].count("timer_fired") == 1
    assert timer_due_at(app, code) is None


def test_a_timer_whose_way_on_fails_is_logged_and_tried_again_later(
    app, officers, as_officer, clock, monkeypatch
):
    # After the posting timer, a script that fails on every dossier (the check and its dry
    # run would refuse it; this version is deployed past them, as one deployed before them).
    monkeypatch.setattr(procedures, "dry_run_of", lambda op, proc, groups=None: lambda _: [])
    bpmn = fixture_bytes("escalation.bpmn").replace(
        b'<bpmn:sequenceFlow id="f5" sourceRef="cho_niem_yet" targetRef="end_done" />',
        b'<bpmn:scriptTask id="ghi_so" name="Ghi so"><bpmn:script>n = 1 / 0</bpmn:script>'
        b"</bpmn:scriptTask>"
        b'<bpmn:sequenceFlow id="f5" sourceRef="cho_niem_yet" targetRef="ghi_so" />'
        b'<bpmn:sequenceFlow id="f7" sourceRef="ghi_so" targetRef="end_done" />',
    )
    deploy_test_procedure(app, clock, monkeypatch, ESCALATION, bpmn, FORMS)
    code = at_appraisal(as_officer)["code"]
    officer = as_officer("h29.01.tham_dinh")
    [task] = [t for t in officer.get("/api/tasks").json["items"] if t["dossier_code"] == code]
    assert officer.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    done = officer.post(f"/api/tasks/{task['id']}/complete", json={"data": {"ok": True}})
    assert done.status_code == 200, done.json

    clock.set(2026, 3, 2, 11, 0)  # the posting timer (PT2H) is due; its way on fails
    relay_due(app)
    view = officer.get(f"/api/dossiers/{code}").json
    [failed] = [e for e in view["timeline"] if e["action"] == "timer_failed"]
    assert failed["officer"] is None and "ghi_so" in failed["detail"]["errors"]
    assert view["status"]["code"] == 4 and view["finished_at"] is None  # nothing else moved
    assert timer_due_at(app, code) == clock.now + timedelta(minutes=10)

    clock.set(2026, 3, 2, 11, 9)
    relay_due(app)  # not before its retry
    clock.set(2026, 3, 2, 11, 10)
    relay_due(app)
    view = officer.get(f"/api/dossiers/{code}").json
    assert [e["action"] for e in view["timeline"]].count("timer_failed") == 2


def _timeline(as_officer, code: str) -> dict:
    return as_officer("h29.01.tiep_nhan").get(f"/api/dossiers/{code}").json


def test_the_timers_of_several_dossiers_fire_in_one_batch_each_as_if_alone(
    escalation, app, as_officer, clock
):
    # On PostgreSQL the batch's transitions are written by one statement (store.WriteBatch):
    # each dossier still gets its own version, tasks and event, as if it had fired alone.
    codes = [at_appraisal(as_officer)["code"] for _ in range(3)]
    versions = {code: _version(app, code) for code in codes}
    clock.set(2026, 3, 3, 9, 0)
    assert run_timers(app, [dossier_id(app, code) for code in codes]) == 3
    for code in codes:
        view = _timeline(as_officer, code)
        assert {t["step"]: t["state"] for t in view["tasks"]} == {
            "tiep_nhan": "completed",
            "tham_dinh": "cancelled",
            "lanh_dao_xu_ly": "open",
        }
        assert [e["action"] for e in view["timeline"]].count("timer_fired") == 1
        assert timer_due_at(app, code) is None
        assert _version(app, code) == versions[code] + 1


def test_a_batch_in_which_one_dossier_moved_keeps_nothing_and_fires_the_others_alone(
    escalation, app, as_officer, clock, monkeypatch
):
    # A dossier whose version moved under the batch (its lock lost: a bug, never seen) fails
    # the batch's one write; the batch is rolled back whole, then each dossier is tried alone:
    # the others fire, the moved one keeps its claim and fires nothing.
    codes = [at_appraisal(as_officer)["code"] for _ in range(3)]

    def stale(ref):
        ref.version -= 1

    lock_changing(monkeypatch, dossier_id(app, codes[1]), stale)
    clock.set(2026, 3, 3, 9, 0)
    assert run_timers(app, [dossier_id(app, code) for code in codes]) == 2
    for code in codes:
        view = _timeline(as_officer, code)
        steps = [t["step"] for t in view["tasks"]]
        fired = [e["action"] for e in view["timeline"]].count("timer_fired")
        if code == codes[1]:
            assert fired == 0 and "lanh_dao_xu_ly" not in steps
            assert timer_due_at(app, code) is not None  # still waits: swept again later
        else:
            assert fired == 1 and steps.count("lanh_dao_xu_ly") == 1


def lock_changing(monkeypatch, dossier: int, change) -> None:
    """Makes the timers' lock hand `change` the locked ref of one dossier, as if read so."""
    from api.services import timers

    lock = timers.lock_for_timers

    def changed(ids):
        locked = lock(ids)
        for row in locked:
            if row.ref.id == dossier:
                change(row.ref)
        return locked

    monkeypatch.setattr(timers, "lock_for_timers", changed)


def _version(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Dossier.version).where(Dossier.code == code))


def test_a_group_dossier_in_a_batch_is_written_before_its_group_follows_it(
    escalation, app, as_officer, clock, monkeypatch
):
    # A group's bookkeeping (`interlink.follow`) reads and logs after the transition: a
    # dossier of a group in a timer batch is written at once, not kept for the batch's end.
    from api.services import transitions

    codes = [at_appraisal(as_officer)["code"] for _ in range(2)]
    in_group = dossier_id(app, codes[1])

    def in_a_group(ref):
        ref.group_id = -1  # stands for a group: `follow` is replaced below

    lock_changing(monkeypatch, in_group, in_a_group)

    seen = []

    def follow(dossier, plan, op, officer_id):
        written = db.session.scalar(select(Dossier.version).where(Dossier.id == dossier.id))
        seen.append((dossier.id, written, dossier.version))

    monkeypatch.setattr(transitions, "follow", follow)
    clock.set(2026, 3, 3, 9, 0)
    assert run_timers(app, [dossier_id(app, code) for code in codes]) == 2
    [(followed, written, planned)] = seen
    assert followed == in_group and written == planned
