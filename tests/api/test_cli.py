"""The `motcua` console: agencies, officers and tokens, and the demo seed."""

from __future__ import annotations

import json

from tests.conftest import birth_submission


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_officer_created_on_the_console_can_use_the_api(app):
    code, out = run(
        app,
        "agencies",
        "create",
        "--code",
        "H30.07",
        "--name",
        "UBND xã Hòa Bình",
        "--kind",
        "ubnd_xa",
    )
    assert code == 0, out
    code, out = run(
        app,
        "officers",
        "create",
        "--agency",
        "H30.07",
        "--username",
        "h30.07.an",
        "--role",
        "tiep_nhan",
        "--role",
        "tham_dinh",
        "--json",
    )
    assert code == 0, out
    officer = json.loads(out)
    assert officer["roles"] == ["tham_dinh", "tiep_nhan"] and officer["agency"] == "H30.07"
    code, out = run(app, "procedures", "deploy")
    assert code == 0 and "1.001193 v1" in out
    client = app.test_client()
    headers = {"Authorization": f"Bearer {officer['token']}"}
    response = client.post("/api/dossiers", json=birth_submission(), headers=headers)
    assert response.status_code == 201
    assert response.json["code"].startswith("H30.07-")


def test_console_refuses_bad_input_with_a_message(app):
    code, out = run(
        app, "agencies", "create", "--code", "bad code", "--name", "X", "--kind", "ubnd_xa"
    )
    assert code != 0 and "invalid agency code" in out
    code, out = run(app, "agencies", "create", "--code", "H30.08", "--name", "X", "--kind", "chợ")
    assert code != 0 and "unknown agency kind" in out
    run(app, "agencies", "create", "--code", "H30.08", "--name", "X", "--kind", "ubnd_xa")
    code, out = run(
        app, "officers", "create", "--agency", "H30.08", "--username", "x1", "--role", "king"
    )
    assert code != 0 and "invalid roles" in out
    code, out = run(
        app, "officers", "create", "--agency", "NOPE", "--username", "x2", "--role", "van_thu"
    )
    assert code != 0 and "no agency NOPE" in out


def test_demo_seed_is_idempotent_and_lists_the_same_tokens(app):
    code, out = run(app, "demo", "seed", "--json")
    assert code == 0, out
    seeded = json.loads(out)["officers"]
    # Two communes, and the police, social insurance and social protection agencies of their
    # groups: one officer per role each (operator and process designer included).
    assert len(seeded) == 6 * 6
    assert {o["agency"] for o in seeded} == {
        "H29.01",
        "H29.02",
        "CA29.01",
        "CA29.02",
        "BH29",
        "XH29",
    }
    assert {tuple(o["roles"]) for o in seeded} == {
        ("tiep_nhan",),
        ("tham_dinh",),
        ("lanh_dao",),
        ("van_thu",),
        ("quan_tri",),
        ("thiet_ke",),
    }
    code, again = run(app, "demo", "seed", "--json")
    assert json.loads(again)["officers"] == seeded
    code, listed = run(app, "demo", "officers", "--json")
    assert json.loads(listed)["officers"] == seeded
    code, token = run(app, "demo", "token", "h29.01.lanh_dao")
    assert token.strip() == next(o["token"] for o in seeded if o["username"] == "h29.01.lanh_dao")
    client = app.test_client()
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {token.strip()}"})
    assert response.status_code == 200


# --- operator defects: a refused command says why in words, exits non-zero, changes nothing ---


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def refused(result, *words: str) -> str:
    """Returns the output of a command that must have been refused in words: exit status 1
    through click (not an exception escaping the command), no traceback, each word said."""
    out = result.output
    assert result.exit_code == 1, out
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in out and out.startswith("Error: "), out
    for word in words:
        assert word in out, (word, out)
    return out


def status(app, token: str, url: str = "/api/tasks") -> int:
    return app.test_client().get(url, headers={"Authorization": f"Bearer {token}"}).status_code


def add_tokens(app, username: str, *tokens: str) -> None:
    """Issues these exact tokens to an officer (prefixes chosen to collide on purpose)."""
    from api.services import get_officer, issue_token, operation
    from api.store import db

    with app.app_context():
        officer = get_officer(username)
        for token in tokens:
            issue_token(operation(), officer, label="test", token=token)
        db.session.commit()


def listed_tokens(app, username: str) -> list[dict]:
    result = invoke(app, "tokens", "list", "--username", username, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["tokens"]


def test_revoking_by_prefix_revokes_exactly_the_token_named_or_nothing(app, officers):
    user = "h29.01.van_thu"
    first = "mc_shared1" + "a" * 33
    second = "mc_shared2" + "b" * 33
    # Tokens are case-sensitive base64: this one must never answer to the others' prefixes.
    shouting = "mc_SHARED1" + "c" * 33
    add_tokens(app, user, first, second, shouting)
    everyone = [officers[user], first, second, shouting]
    assert [status(app, t) for t in everyone] == [200, 200, 200, 200]

    out = refused(
        invoke(app, "tokens", "revoke", "--username", user, "--prefix", "mc_nomatch"),
        "nothing was revoked",
    )
    assert "mc_nomatch" in out
    refused(invoke(app, "tokens", "revoke", "--username", user, "--prefix", "mc_sh"), "too short")
    # LIKE's wildcards are plain characters in a prefix.
    refused(
        invoke(app, "tokens", "revoke", "--username", user, "--prefix", "mc_______"),
        "nothing was revoked",
    )
    refused(
        invoke(app, "tokens", "revoke", "--username", user, "--prefix", "mc_shared%"),
        "nothing was revoked",
    )
    out = refused(
        invoke(app, "tokens", "revoke", "--username", user, "--prefix", "mc_shared"),
        "matches 2 live tokens",
    )
    assert "more characters" in out
    assert all(t["revoked_at"] is None for t in listed_tokens(app, user))  # nothing revoked
    assert [status(app, t) for t in everyone] == [200, 200, 200, 200]

    result = invoke(app, "tokens", "revoke", "--username", user, "--prefix", first[:10], "--json")
    assert result.exit_code == 0, result.output
    assert [r["prefix"] for r in json.loads(result.stdout)["revoked"]] == ["mc_shared1"]
    assert [status(app, t) for t in everyone] == [200, 401, 200, 200]

    # More characters than a listing's prefix must be the whole token, and the refusal says so.
    out = refused(
        invoke(app, "tokens", "revoke", "--username", user, "--prefix", second[:14]),
        "nothing was revoked",
        "whole token",
    )
    assert "starting with" not in out
    assert [status(app, t) for t in everyone] == [200, 401, 200, 200]

    result = invoke(app, "tokens", "revoke", "--username", user, "--prefix", second)
    assert (
        result.exit_code == 0
        and "revoked 1 token(s)" in result.output
        and "mc_shared2" in result.output
    )
    assert [status(app, t) for t in everyone] == [200, 401, 401, 200]
    # Revoked already: nothing live by that name any more.
    refused(
        invoke(app, "tokens", "revoke", "--username", user, "--prefix", second),
        "nothing was revoked",
    )
    refused(
        invoke(app, "tokens", "revoke", "--username", user, "--prefix", "mc_shared1"),
        "nothing was revoked",
    )

    result = invoke(app, "tokens", "revoke", "--username", user)
    assert result.exit_code == 0 and "revoked 2 token(s)" in result.output, result.output
    assert [status(app, t) for t in everyone] == [401, 401, 401, 401]
    refused(
        invoke(app, "tokens", "revoke", "--username", user), "no live token", "nothing was revoked"
    )
    refused(invoke(app, "tokens", "revoke", "--username", "nobody.here"), "no officer nobody.here")
    refused(
        invoke(app, "tokens", "revoke", "--username", "nobody.here", "--prefix", first),
        "no officer nobody.here",
    )
    # Another officer's tokens are not this officer's to name.
    refused(
        invoke(
            app, "tokens", "revoke", "--username", "h29.02.van_thu", "--prefix", officers[user][:10]
        ),
        "nothing was revoked",
    )
    assert status(app, officers["h29.02.van_thu"]) == 200


def test_tokens_list_shows_prefix_created_last_used_and_revoked(app, officers, clock):
    from datetime import datetime, timedelta

    user = "h29.01.lanh_dao"
    token = officers[user]
    [row] = listed_tokens(app, user)
    assert row["prefix"] == token[:10]
    assert datetime.fromisoformat(row["created_at"]) == clock.now
    assert row["last_used_at"] is None and row["revoked_at"] is None
    result = invoke(app, "tokens", "list", "--username", user)
    assert result.exit_code == 0
    assert (
        token[:10] in result.output and "last used -" in result.output and "live" in result.output
    )
    assert token not in result.output  # the token itself is never shown again

    clock.now += timedelta(hours=1)
    assert status(app, token) == 200
    [row] = listed_tokens(app, user)
    used = datetime.fromisoformat(row["last_used_at"])
    assert used == clock.now
    # A hint refreshed every few minutes, not a write per request.
    clock.now += timedelta(minutes=1)
    assert status(app, token) == 200
    assert datetime.fromisoformat(listed_tokens(app, user)[0]["last_used_at"]) == used
    clock.now += timedelta(minutes=10)
    assert status(app, token) == 200
    assert datetime.fromisoformat(listed_tokens(app, user)[0]["last_used_at"]) == clock.now
    # Times in Vietnam time, as the API shows them: 09:00 created, used at 10:11.
    result = invoke(app, "tokens", "list", "--username", user)
    assert "created 2026-03-02T09:00+07:00" in result.output
    assert "last used 2026-03-02T10:11+07:00" in result.output

    result = invoke(app, "tokens", "revoke", "--username", user, "--json")
    assert result.exit_code == 0
    [revoked] = json.loads(result.stdout)["revoked"]
    # One offset in one answer, whether the time was read back or just written.
    assert all(revoked[k].endswith("+07:00") for k in ("created_at", "last_used_at", "revoked_at"))
    [row] = listed_tokens(app, user)
    assert datetime.fromisoformat(row["revoked_at"]) == clock.now
    assert row == revoked
    result = invoke(app, "tokens", "list", "--username", user)
    assert "revoked 2026-03-02T10:11+07:00" in result.output and "live" not in result.output
    refused(invoke(app, "tokens", "list", "--username", "nobody.here"), "no officer nobody.here")


def test_officers_list_all_and_by_agency(app, officers):
    result = invoke(app, "officers", "list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)["officers"]
    assert [o["username"] for o in listed] == sorted(officers)
    assert all(o["active"] for o in listed)
    result = invoke(app, "officers", "list", "--agency", "H29.01", "--json")
    mine = json.loads(result.stdout)["officers"]
    assert {o["username"] for o in mine} == {u for u in officers if u.startswith("h29.01.")}
    assert {o["agency"] for o in mine} == {"H29.01"}
    result = invoke(app, "officers", "list", "--agency", "H29.01")
    assert result.exit_code == 0
    assert "h29.01.lanh_dao" in result.output and "h29.02." not in result.output
    assert "active" in result.output
    refused(invoke(app, "officers", "list", "--agency", "NOPE"), "no agency NOPE")


def test_deactivating_an_officer_stops_their_token_and_frees_their_tasks(app, officers):
    from sqlalchemy import select

    from api.store import Event, db

    client = app.test_client()
    reception = {"Authorization": f"Bearer {officers['h29.01.tiep_nhan']}"}
    leaving = {"Authorization": f"Bearer {officers['h29.01.tiep_nhan2']}"}
    dossier = client.post("/api/dossiers", json=birth_submission(), headers=reception).json
    task_id = dossier["tasks"][0]["id"]
    assert client.post(f"/api/tasks/{task_id}/claim", headers=leaving).status_code == 200

    result = invoke(app, "officers", "deactivate", "h29.01.tiep_nhan2", "--json")
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert done["active"] is False and done["released_tasks"] == 1
    assert status(app, officers["h29.01.tiep_nhan2"]) == 401
    task = client.get(f"/api/tasks/{task_id}", headers=reception).json
    assert task["state"] == "open" and task["assignee"] is None
    # Back in the pool: a colleague can take it.
    assert client.post(f"/api/tasks/{task_id}/claim", headers=reception).status_code == 200
    with app.app_context():
        [released] = db.session.scalars(
            select(Event).where(Event.task_id == task_id, Event.action == "released")
        ).all()
        assert released.officer_id is None and released.detail["holder"] == "h29.01.tiep_nhan2"

    refused(invoke(app, "officers", "deactivate", "h29.01.tiep_nhan2"), "already inactive")
    refused(invoke(app, "officers", "deactivate", "nobody.here"), "no officer nobody.here")
    listed = json.loads(invoke(app, "officers", "list", "--json").stdout)["officers"]
    assert {o["username"] for o in listed if not o["active"]} == {"h29.01.tiep_nhan2"}
    assert "inactive" in invoke(app, "officers", "list", "--agency", "H29.01").output
    # A token for an inactive officer would never work: none is printed.
    refused(invoke(app, "tokens", "create", "--username", "h29.01.tiep_nhan2"), "inactive")
    assert len(listed_tokens(app, "h29.01.tiep_nhan2")) == 1


def test_revoked_demo_token_is_replaced_by_the_next_seed_not_brought_back(app):
    assert invoke(app, "demo", "seed").exit_code == 0
    user = "h29.01.van_thu"
    result = invoke(app, "demo", "token", user)
    assert result.exit_code == 0
    old = result.stdout.strip()
    assert status(app, old) == 200

    assert invoke(app, "tokens", "revoke", "--username", user, "--prefix", old[:10]).exit_code == 0
    assert status(app, old) == 401
    refused(invoke(app, "demo", "token", user), "revoked", "motcua demo seed")
    listing = invoke(app, "demo", "officers", "--json")
    assert listing.exit_code == 0
    [row] = [o for o in json.loads(listing.stdout)["officers"] if o["username"] == user]
    assert row["token"] is None and "revoked" in row["problem"]
    assert f"warning: {user}" in listing.stderr
    # Other demo officers are untouched.
    assert invoke(app, "demo", "token", "h29.01.lanh_dao").exit_code == 0

    assert invoke(app, "demo", "seed").exit_code == 0
    result = invoke(app, "demo", "token", user)
    assert result.exit_code == 0, result.output
    new = result.stdout.strip()
    assert new != old and new.startswith("mc_")
    assert status(app, new) == 200
    assert status(app, old) == 401  # the revoked token stays dead
    # Seeding again changes nothing: the same live token, no new one issued.
    assert invoke(app, "demo", "seed").exit_code == 0
    assert invoke(app, "demo", "token", user).stdout.strip() == new
    assert len(listed_tokens(app, user)) == 2

    refused(invoke(app, "demo", "token", "nobody.here"), "no demo officer nobody.here")


def test_demo_token_of_a_deactivated_demo_officer_is_refused(app):
    assert invoke(app, "demo", "seed").exit_code == 0
    token = invoke(app, "demo", "token", "h29.02.lanh_dao").stdout.strip()
    assert invoke(app, "officers", "deactivate", "h29.02.lanh_dao").exit_code == 0
    refused(invoke(app, "demo", "token", "h29.02.lanh_dao"), "inactive")
    assert invoke(app, "demo", "seed").exit_code == 0  # an inactive officer stays inactive
    refused(invoke(app, "demo", "token", "h29.02.lanh_dao"), "inactive")
    assert status(app, token) == 401


def test_refused_commands_say_why_without_a_traceback(app, officers):
    for args, words in [
        (
            ("agencies", "create", "--code", "H29.01", "--name", "Again", "--kind", "ubnd_xa"),
            "exists",
        ),
        (
            (
                "officers",
                "create",
                "--agency",
                "H29.01",
                "--username",
                "h29.01.van_thu",
                "--role",
                "van_thu",
            ),
            "exists",
        ),
        (
            (
                "officers",
                "create",
                "--agency",
                "H29.01",
                "--username",
                "Bad Name",
                "--role",
                "van_thu",
            ),
            "invalid username",
        ),
        (("tokens", "create", "--username", "nobody.here"), "no officer"),
        (("tokens", "list", "--username", "nobody.here"), "no officer"),
        (("tokens", "revoke", "--username", "h29.01.van_thu", "--prefix", "x"), "too short"),
        (("officers", "deactivate", "nobody.here"), "no officer"),
    ]:
        refused(invoke(app, *args), words)


def test_console_on_a_database_never_migrated_says_to_migrate(app):
    from api.store import db

    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    for args in [
        ("demo", "seed"),
        ("demo", "token", "h29.01.van_thu"),
        ("procedures", "deploy"),
        ("agencies", "create", "--code", "H30.01", "--name", "X", "--kind", "ubnd_xa"),
        ("officers", "list"),
        ("officers", "deactivate", "h29.01.van_thu"),
        ("tokens", "list", "--username", "h29.01.van_thu"),
        ("tokens", "revoke", "--username", "h29.01.van_thu"),
    ]:
        refused(invoke(app, *args), "motcua db upgrade")
