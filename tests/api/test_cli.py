"""The `motcua` console: agencies, officers and tokens, and the demo seed."""

from __future__ import annotations

import json

from tests.conftest import birth_submission


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_officer_created_on_the_console_can_use_the_api(app):
    code, out = run(app, "agencies", "create", "--code", "H30.07", "--name", "UBND xã Hòa Bình",
                    "--kind", "ubnd_xa")
    assert code == 0, out
    code, out = run(app, "officers", "create", "--agency", "H30.07", "--username", "h30.07.an",
                    "--role", "tiep_nhan", "--role", "tham_dinh", "--json")
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
    code, out = run(app, "agencies", "create", "--code", "bad code", "--name", "X", "--kind", "ubnd_xa")
    assert code != 0 and "invalid agency code" in out
    code, out = run(app, "agencies", "create", "--code", "H30.08", "--name", "X", "--kind", "chợ")
    assert code != 0 and "unknown agency kind" in out
    run(app, "agencies", "create", "--code", "H30.08", "--name", "X", "--kind", "ubnd_xa")
    code, out = run(app, "officers", "create", "--agency", "H30.08", "--username", "x1", "--role", "king")
    assert code != 0 and "invalid roles" in out
    code, out = run(app, "officers", "create", "--agency", "NOPE", "--username", "x2", "--role", "van_thu")
    assert code != 0 and "no agency NOPE" in out


def test_demo_seed_is_idempotent_and_lists_the_same_tokens(app):
    code, out = run(app, "demo", "seed", "--json")
    assert code == 0, out
    seeded = json.loads(out)["officers"]
    assert len(seeded) == 8
    assert {o["agency"] for o in seeded} == {"H29.01", "H29.02"}
    assert {tuple(o["roles"]) for o in seeded} == {("tiep_nhan",), ("tham_dinh",), ("lanh_dao",), ("van_thu",)}
    code, again = run(app, "demo", "seed", "--json")
    assert json.loads(again)["officers"] == seeded
    code, listed = run(app, "demo", "officers", "--json")
    assert json.loads(listed)["officers"] == seeded
    code, token = run(app, "demo", "token", "h29.01.lanh_dao")
    assert token.strip() == next(o["token"] for o in seeded if o["username"] == "h29.01.lanh_dao")
    client = app.test_client()
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {token.strip()}"})
    assert response.status_code == 200
