"""People in browsers: sign-in with a password, the session cookie, CSRF, lockout, sign-out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.services import operation
from api.services.people import set_password
from api.store import Officer, Task, db
from tests.conftest import appraisal_task, receive

PASSWORD = "mật khẩu đủ dài 2026"
WRONG = "tên đăng nhập hoặc mật khẩu không đúng"
CSRF = {"code": 403, "message": "CSRF token missing or wrong"}


@pytest.fixture
def passwords(app, officers):
    """Gives every officer of the `officers` fixture the same password."""
    with app.app_context():
        op = operation()
        for username in officers:
            set_password(op, username, PASSWORD)
        db.session.commit()
    return PASSWORD


def sign_in(client, username, password=PASSWORD, **kwargs):
    return client.post("/api/session", json={"username": username, "password": password}, **kwargs)


def browser(app, username):
    """Returns a test client signed in as the officer, and the session's CSRF token."""
    client = app.test_client()
    response = sign_in(client, username)
    assert response.status_code == 200, response.json
    return client, response.json["csrf_token"]


def test_sign_in_sets_a_strict_http_only_cookie_and_answers_the_officer(app, passwords):
    client = app.test_client()
    response = sign_in(client, "h29.01.lanh_dao")
    assert response.status_code == 200, response.json
    assert response.json["officer"] == {
        "username": "h29.01.lanh_dao",
        "full_name": "",
        "agency": {"code": "H29.01", "name": "UBND xã Tân An"},
        "roles": ["lanh_dao"],
    }
    token = response.json["csrf_token"]
    assert len(token) >= 32
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("motcua_session=")
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert attribute in cookie
    assert "Secure" not in cookie  # plain http, MOTCUA_SECURE_COOKIES unset
    secret = client.get_cookie("motcua_session").value
    with app.app_context():
        stored = db.session.execute(db.text("SELECT id, csrf_token FROM web_sessions")).all()
        officer = db.session.scalars(db.select(Officer).filter_by(username="h29.01.lanh_dao")).one()
        assert officer.password_hash.startswith("$argon2id$")
        assert PASSWORD not in officer.password_hash
    assert len(stored) == 1 and stored[0][0] != secret and len(stored[0][0]) == 64
    shown = client.get("/api/session")
    assert shown.status_code == 200
    assert shown.json == response.json
    assert client.get("/api/tasks").status_code == 200  # the cookie alone authenticates


def test_secure_cookie_over_https_or_when_configured(app, passwords):
    response = sign_in(app.test_client(), "h29.01.lanh_dao", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]
    app.config["MOTCUA_SECURE_COOKIES"] = True
    response = sign_in(app.test_client(), "h29.01.lanh_dao")
    assert "Secure" in response.headers["Set-Cookie"]


def test_every_wrong_answer_gets_the_same_401(app, passwords, officers):
    with app.app_context():
        db.session.scalars(
            db.select(Officer).filter_by(username="h29.02.van_thu")
        ).one().password_hash = None
        db.session.scalars(
            db.select(Officer).filter_by(username="h29.02.lanh_dao")
        ).one().active = False
        db.session.commit()
    client = app.test_client()
    answers = [
        sign_in(client, "nobody.here"),
        sign_in(client, "h29.01.lanh_dao", "not the password"),
        sign_in(client, "h29.02.van_thu"),  # no password set
        sign_in(client, "h29.02.lanh_dao"),  # inactive
        sign_in(client, ""),
    ]
    for response in answers:
        assert response.status_code == 401
        assert response.json["message"] == WRONG
        assert "Set-Cookie" not in response.headers
    assert client.get("/api/session").status_code == 401


def test_five_failures_lock_the_account_even_for_the_right_password(app, passwords, clock):
    client = app.test_client()
    for _ in range(4):
        assert sign_in(client, "h29.01.tiep_nhan", "wrong password!").status_code == 401
    assert sign_in(client, "h29.01.tiep_nhan").status_code == 200  # a success resets the count
    for _ in range(5):
        assert sign_in(client, "h29.01.tiep_nhan", "wrong password!").status_code == 401
    locked = sign_in(client, "h29.01.tiep_nhan")
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == 15 * 60
    assert "tạm khóa" in locked.json["message"] and "15 phút" in locked.json["message"]
    assert "Set-Cookie" not in locked.headers
    # Another officer is not affected.
    assert sign_in(client, "h29.01.tham_dinh").status_code == 200
    clock.now += timedelta(minutes=10)
    locked = sign_in(client, "h29.01.tiep_nhan")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) == 5 * 60
    clock.now += timedelta(minutes=5)
    assert sign_in(client, "h29.01.tiep_nhan").status_code == 200


def test_too_many_failures_from_one_address_are_slowed(app, passwords):
    client = app.test_client()
    # Password spraying: one wrong password tried on many accounts, never 5 on one.
    names = [n for n in _usernames(app) if n.startswith("h29.")]
    tried = 0
    for username in names * 3:
        response = sign_in(client, username, "Password123!")
        if response.status_code == 429:
            break
        assert response.status_code == 401
        tried += 1
    assert tried == 20
    assert "địa chỉ" in response.json["message"] and int(response.headers["Retry-After"]) > 0
    # Another address is not slowed.
    other = sign_in(client, "h29.01.van_thu", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def _usernames(app):
    with app.app_context():
        return list(db.session.scalars(db.select(Officer.username).order_by(Officer.username)))


def test_sign_out_revokes_the_session_on_the_server(app, passwords):
    client, token = browser(app, "h29.01.lanh_dao")
    secret = client.get_cookie("motcua_session").value
    assert client.delete("/api/session").status_code == 403  # no CSRF token
    response = client.delete("/api/session", headers={"X-CSRF-Token": token})
    assert response.status_code == 204
    assert "motcua_session=;" in response.headers["Set-Cookie"]
    # The same secret, replayed by a browser that kept it, no longer works.
    replay = app.test_client()
    replay.set_cookie("motcua_session", secret)
    assert replay.get("/api/session").status_code == 401
    assert replay.get("/api/tasks").status_code == 401


def test_a_session_ends_after_8_hours_idle_or_12_in_all(app, passwords, clock):
    client, _ = browser(app, "h29.01.lanh_dao")
    clock.now += timedelta(hours=7, minutes=59)
    assert client.get("/api/tasks").status_code == 200  # seen: the idle time starts again
    clock.now += timedelta(hours=3, minutes=59)
    assert client.get("/api/tasks").status_code == 200
    clock.now += timedelta(minutes=2)  # 12 hours after sign-in
    assert client.get("/api/tasks").status_code == 401
    client, _ = browser(app, "h29.01.lanh_dao")
    clock.now += timedelta(hours=8)
    assert client.get("/api/session").status_code == 401


def test_cookie_requests_that_change_something_need_the_csrf_token(
    app, passwords, as_officer, officers
):
    dossier = receive(as_officer)
    task_id = dossier["tasks"][0]["id"]
    client, token = browser(app, "h29.01.tiep_nhan")
    for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": token + "x"}):
        response = client.post(f"/api/tasks/{task_id}/claim", headers=headers)
        assert response.status_code == 403
        assert {k: response.json[k] for k in CSRF} == CSRF
    with app.app_context():
        assert db.session.get(Task, task_id).state == "open"  # nothing changed
    # A GET needs no token.
    assert client.get(f"/api/tasks/{task_id}").status_code == 200
    response = client.post(f"/api/tasks/{task_id}/claim", headers={"X-CSRF-Token": token})
    assert response.status_code == 200 and response.json["assignee"] == "h29.01.tiep_nhan"
    # A bearer token needs none, also beside a cookie.
    bearer = {"Authorization": f"Bearer {officers['h29.01.tiep_nhan']}"}
    release = client.post(f"/api/tasks/{task_id}/release", headers=bearer)
    assert release.status_code == 200, release.json


def test_a_session_sees_what_its_token_would(app, passwords, as_officer):
    dossier, appraisal = appraisal_task(as_officer)
    other, other_token = browser(app, "h29.02.tiep_nhan")
    assert other.get(f"/api/dossiers/{dossier['code']}").status_code == 404
    assert other.get(f"/api/tasks/{appraisal}").status_code == 404
    reception, token = browser(app, "h29.01.tiep_nhan")
    assert reception.get(f"/api/dossiers/{dossier['code']}").status_code == 200
    refused = reception.post(f"/api/tasks/{appraisal}/claim", headers={"X-CSRF-Token": token})
    assert refused.status_code == 403 and "tham_dinh" in refused.json["message"]


def test_a_deactivated_officer_is_refused_at_once(app, passwords):
    client, _ = browser(app, "h29.01.van_thu")
    assert client.get("/api/tasks").status_code == 200
    result = app.test_cli_runner().invoke(args=["officers", "deactivate", "h29.01.van_thu"])
    assert result.exit_code == 0, result.output
    assert client.get("/api/tasks").status_code == 401
    assert client.get("/api/session").status_code == 401
    assert sign_in(app.test_client(), "h29.01.van_thu").json["message"] == WRONG
    # Reactivated, they sign in again; the old session stays ended.
    with app.app_context():
        db.session.scalars(
            db.select(Officer).filter_by(username="h29.01.van_thu")
        ).one().active = True
        db.session.commit()
    assert client.get("/api/tasks").status_code == 401
    assert sign_in(app.test_client(), "h29.01.van_thu").status_code == 200


def test_console_sets_a_password_and_ends_the_officers_sessions(app, officers):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["officers", "password", "h29.01.van_thu", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    result = runner.invoke(
        args=["officers", "password", "h29.01.van_thu", "--password-stdin"],
        input="một mật khẩu mới\n",
    )
    assert result.exit_code == 0, result.output
    assert "một mật khẩu mới" not in result.output
    client = app.test_client()
    assert sign_in(client, "h29.01.van_thu", "một mật khẩu mới").status_code == 200
    # Asked twice, hidden; a mismatch is asked again.
    result = runner.invoke(
        args=["officers", "password", "h29.01.van_thu"],
        input="first-password\nsecond-password\nthird-password\nthird-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "third-password" not in result.output
    assert client.get("/api/session").status_code == 401  # signed out by the change
    assert sign_in(client, "h29.01.van_thu", "third-password").status_code == 200
    refused = runner.invoke(
        args=["officers", "password", "nobody", "--password-stdin"], input="long enough password\n"
    )
    assert refused.exit_code == 1 and "no officer nobody" in refused.output


def test_demo_officers_sign_in_with_the_documented_password(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    listed = runner.invoke(args=["demo", "officers"]).output
    assert "motcua-demo-2026" in listed
    client = app.test_client()
    assert sign_in(client, "h29.01.tiep_nhan", "motcua-demo-2026").status_code == 200
