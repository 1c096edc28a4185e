"""Reminders and escalation as the agency's policy: the officers who could take an open step
are reminded when half its time is used (by email, over a real SMTP server, before it is
due), the holder once it is held, the leaders when it is overdue; every notification is
recorded and shown to its officer; webhooks are signed; the policy is the operators'."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from api.jobs import relay_due
from api.services.accounts import set_officer_email, set_webhook
from api.services.channels import SmtpSettings
from api.services.signatures import check_signature
from api.store import NotificationDelivery, Task, db
from tests.conftest import appraisal_task
from tests.webhook_receiver import url

APPRAISERS = ("h29.01.tham_dinh", "h29.01.tham_dinh2")


def with_email(app, smtp_server, *usernames):
    app.extensions["motcua"].smtp = SmtpSettings(smtp_server.host, smtp_server.port)
    with app.app_context():
        for username in usernames:
            set_officer_email(username, f"{username.replace('.', '_')}@tanan.gov.vn")
        db.session.commit()


def notifications(as_officer, username):
    response = as_officer(username).get("/api/notifications")
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_a_reminder_is_recorded_and_emailed_before_the_step_is_due(
    app, as_officer, clock, smtp_server
):
    with_email(app, smtp_server, *APPRAISERS, "h29.01.lanh_dao")
    dossier, task_id = appraisal_task(as_officer)  # opened Monday 09:00, due 11:00 (0.25 day)
    relay_due(app)  # the schedule is computed: nothing to say yet
    clock.set(2026, 3, 2, 9, 59)
    relay_due(app)
    assert notifications(as_officer, APPRAISERS[0]) == []

    clock.set(2026, 3, 2, 10, 0)  # half its office time used, nobody holds it yet
    relay_due(app)
    messages = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in messages) == [
        "h29_01_tham_dinh2@tanan.gov.vn",
        "h29_01_tham_dinh@tanan.gov.vn",
    ]
    code = dossier["code"]
    assert messages[0]["Subject"] == (
        f"Nhắc việc: hồ sơ {code} – Thẩm định hồ sơ (hạn 11:00 ngày 02/03/2026)"
    )
    assert "Chưa có cán bộ nhận xử lý" in messages[0].get_content()
    for username in APPRAISERS:
        [note] = notifications(as_officer, username)
        assert note["kind"] == "reminder" and note["point"] == "50%"
        assert note["task_id"] == task_id and note["created_at"] == "2026-03-02T10:00:00+07:00"
        assert [(d["channel"], d["state"]) for d in note["deliveries"]] == [("email", "sent")]
    relay_due(app)  # said once
    assert len(notifications(as_officer, APPRAISERS[0])) == 1

    holder = as_officer(APPRAISERS[0])
    assert holder.post(f"/api/tasks/{task_id}/claim").status_code == 200
    clock.set(2026, 3, 2, 11, 29)  # due at 11:00, but on time until the session ends
    relay_due(app)
    assert notifications(as_officer, "h29.01.lanh_dao") == []
    clock.set(2026, 3, 2, 11, 30)  # overdue: the leaders hear of it, not the appraisers
    relay_due(app)
    [late] = notifications(as_officer, "h29.01.lanh_dao")
    assert late["kind"] == "overdue" and late["subject"].startswith(f"Quá hạn: hồ sơ {code}")
    assert f"Người xử lý: {APPRAISERS[0]}" in late["body"]
    assert len(notifications(as_officer, APPRAISERS[0])) == 1
    assert len(smtp_server.wait_for(3)) == 3
    [flagged] = [t for t in holder.get("/api/tasks?overdue=true").json["items"]]
    assert flagged["id"] == task_id


def test_a_held_step_reminds_its_holder_only_and_a_done_step_nobody(app, as_officer, clock):
    _, task_id = appraisal_task(as_officer)
    holder = as_officer(APPRAISERS[1])
    assert holder.post(f"/api/tasks/{task_id}/claim").status_code == 200
    clock.set(2026, 3, 2, 10, 30)
    relay_due(app)
    assert notifications(as_officer, APPRAISERS[0]) == []
    [note] = notifications(as_officer, APPRAISERS[1])
    assert note["deliveries"] == []  # no email address, no webhook: recorded and shown only

    _, other = appraisal_task(as_officer)
    assert holder.post(f"/api/tasks/{other}/claim").status_code == 200
    done = holder.post(
        f"/api/tasks/{other}/complete",
        json={"data": {"assessment": "eligible", "opinion": "Hồ sơ hợp lệ"}},
    )
    assert done.status_code == 200, done.json
    clock.set(2026, 3, 2, 12, 0)
    relay_due(app)
    assert [n["task_id"] for n in notifications(as_officer, APPRAISERS[1])].count(other) == 0


def test_notifications_are_posted_to_the_agencys_webhook_signed(app, as_officer, clock, receiver):
    with app.app_context():
        _, secret = set_webhook("H29.01", url(receiver, "/ok/motcua"))
        db.session.commit()
    _, task_id = appraisal_task(as_officer)
    relay_due(app)
    clock.set(2026, 3, 2, 10, 0)
    relay_due(app)
    assert len(receiver.received) == 2  # one per appraiser
    path, headers, body = receiver.received[0]
    assert path == "/ok/motcua"
    assert (
        check_signature(
            secret,
            headers["X-Motcua-Timestamp"],
            headers["X-Motcua-Signature"],
            body,
            clock.now.timestamp(),
        )
        is None
    )
    payload = json.loads(body)
    assert payload["task"] == task_id and payload["kind"] == "reminder"
    assert payload["subject"].startswith("Nhắc việc: hồ sơ")


def test_a_delivery_that_fails_is_retried_then_failed_and_a_refused_address_at_once(
    app, as_officer, clock, receiver
):
    with app.app_context():
        set_webhook("H29.01", url(receiver, "/fail"))
        db.session.commit()
    appraisal_task(as_officer)
    relay_due(app)
    clock.set(2026, 3, 2, 10, 0)
    relay_due(app)
    with app.app_context():
        deliveries = db.session.scalars(select(NotificationDelivery)).all()
        assert {(d.state, d.attempts) for d in deliveries} == {("pending", 1)}
        assert "answered 500" in deliveries[0].last_error
    max_attempts = app.extensions["motcua"].jobs.max_attempts
    for _ in range(max_attempts):
        clock.now += app.extensions["motcua"].jobs.delay(max_attempts)
        relay_due(app)
    with app.app_context():
        states = {d.state for d in db.session.scalars(select(NotificationDelivery))}
        assert states == {"failed"}


def test_the_reminder_policy_is_the_operators_and_open_steps_follow_it(
    app, group_officers, as_officer, clock
):
    reader = as_officer("h29.01.tham_dinh")
    assert reader.get("/api/reminder-policy").json == {"points": ["50%", "1d"], "overdue": True}
    refused = reader.put("/api/reminder-policy", json={"points": ["25%"]})
    assert refused.status_code == 403
    bad = as_officer("h29.01.quan_tri").put("/api/reminder-policy", json={"points": ["soon"]})
    assert bad.status_code == 422 and "points.0" in bad.json["errors"]
    changed = as_officer("h29.01.quan_tri").put(
        "/api/reminder-policy", json={"points": ["25%"], "overdue": False}
    )
    assert changed.status_code == 200, changed.json
    assert changed.json == {"points": ["25%"], "overdue": False}

    appraisal_task(as_officer)
    relay_due(app)
    clock.set(2026, 3, 2, 9, 30)  # a quarter of its two hours
    relay_due(app)
    [note] = notifications(as_officer, APPRAISERS[0])
    assert note["point"] == "25%"
    clock.set(2026, 3, 2, 12, 0)
    relay_due(app)
    assert notifications(as_officer, "h29.01.lanh_dao") == []  # no overdue notice


def test_a_step_opens_with_its_first_reminder_instant(app, as_officer, clock):
    # Computed in the write path from the agency's policy: the sweep first looks at the task
    # when it has something to say (not once more, right after it opened, to find out).
    _, task_id = appraisal_task(as_officer)  # opened Monday 09:00, due 11:00
    with app.app_context():
        remind_at = db.session.scalar(select(Task.remind_at).where(Task.id == task_id))
    assert remind_at == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 10:00: half its time used


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_operators_set_policies_webhooks_and_addresses_on_the_console(app, officers, as_officer):
    code, out = run(app, "agencies", "reminders", "H29.01", "--json")
    assert code == 0 and json.loads(out) == {
        "code": "H29.01",
        "points": ["50%", "1d"],
        "overdue": True,
    }
    code, out = run(app, "agencies", "reminders", "H29.01", "--at", "30%", "--no-overdue")
    assert code == 0, out
    reader = as_officer("h29.01.tham_dinh")
    assert reader.get("/api/reminder-policy").json == {"points": ["30%"], "overdue": False}
    code, out = run(app, "agencies", "reminders", "H29.01", "--at", "later")
    assert code != 0 and "points.0" in out
    code, out = run(app, "agencies", "reminders", "H29.01", "--default")
    assert code == 0 and reader.get("/api/reminder-policy").json["points"] == ["50%", "1d"]

    code, out = run(app, "agencies", "webhook", "H29.01", "--url", "ftp://x", "--json")
    assert code != 0 and "http or https" in out
    code, out = run(app, "agencies", "webhook", "H29.01", "--url", "https://tinh.example/h")
    assert code == 0 and "secret (shown once)" in out
    code, out = run(app, "agencies", "webhook", "H29.01", "--off")
    assert code == 0 and "no webhook" in out

    code, out = run(app, "officers", "email", "h29.01.tham_dinh", "not an address")
    assert code != 0 and "email" in out
    code, out = run(app, "officers", "email", "h29.01.tham_dinh", "an@tanan.gov.vn", "--json")
    assert code == 0 and json.loads(out)["email"] == "an@tanan.gov.vn"
    code, out = run(app, "officers", "email", "h29.01.tham_dinh", "--clear")
    assert code == 0 and "no email" in out
