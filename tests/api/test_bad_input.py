"""Bad input found when the API was probed from outside: each is a clear 4xx in the one error
shape, the same on SQLite and PostgreSQL, with a bounded answer, and nothing written."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from api.store import Dossier, db
from tests.conftest import birth_declaration, birth_submission

MAX_ANSWER_BYTES = 20_000


def post_raw(app, officers, url, body, content_type="application/json", headers=None, **kwargs):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {officers['h29.01.tiep_nhan']}", **(headers or {})}
    if content_type:
        headers["Content-Type"] = content_type
    if body is not None:
        kwargs["data"] = body
    return client.post(url, headers=headers, **kwargs)


def dossier_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Dossier))


def assert_error_shape(response, code):
    assert response.status_code == code, response.get_data(as_text=True)[:500]
    body = response.json
    assert body["code"] == code and body["status"] and body["message"]
    assert len(response.get_data()) <= MAX_ANSWER_BYTES


def test_a_nul_character_in_a_declaration_is_422_naming_the_field(app, officers, as_officer):
    declaration = birth_declaration()
    declaration["child"]["full_name"] = "Nguyễn\x00An"
    response = as_officer("h29.01.tiep_nhan").post(
        "/api/dossiers", json=birth_submission(data=declaration)
    )
    assert_error_shape(response, 422)
    assert list(response.json["errors"]) == ["data.child.full_name"]
    assert "NUL" in response.json["message"]
    assert dossier_count(app) == 0


def test_a_nul_character_in_a_key_or_answer_is_422(app, officers, as_officer):
    submission = birth_submission()
    submission["applicant"] = {"full_name": "Trần Thị Bình", "ghi\x00chú": "x"}
    response = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=submission)
    assert_error_shape(response, 422)
    # refused for the NUL, before the schema could refuse the unknown key for another reason
    assert "NUL" in response.json["message"]
    assert list(response.json["errors"]) == ["applicant.ghi\x00chú"]
    assert dossier_count(app) == 0


def test_a_nul_character_in_the_path_or_query_is_422(as_officer):
    officer = as_officer("h29.01.tiep_nhan")
    assert_error_shape(officer.get("/api/dossiers/H29.01-260302-0001%00"), 422)
    response = officer.get("/api/tasks?procedure=1.001193%00")
    assert_error_shape(response, 422)
    assert list(response.json["errors"]) == ["query.procedure"]


def test_a_lone_surrogate_in_json_is_422(app, officers):
    body = json.dumps(birth_submission(), ensure_ascii=False).replace("Trần Thị", "\\ud800", 1)
    assert "\\ud800" in body
    response = post_raw(app, officers, "/api/dossiers", body.encode())
    assert_error_shape(response, 422)
    assert "surrogate" in response.json["message"]
    assert dossier_count(app) == 0


@pytest.mark.parametrize("depth", [100, 1_000, 100_000])
def test_json_nested_deeply_is_refused_not_a_server_error(app, officers, depth):
    body = '{"procedure": "1.001193", "data": ' + "[" * depth + "]" * depth + "}"
    response = post_raw(app, officers, "/api/dossiers", body.encode())
    assert_error_shape(response, 422)
    assert "nested" in response.json["message"]


@pytest.mark.parametrize("digits", [101, 4_301, 100_000])
def test_an_integer_with_too_many_digits_is_422(app, officers, digits):
    submission = birth_submission()
    body = json.dumps(submission).replace('"channel": 1', '"channel": ' + "9" * digits)
    response = post_raw(app, officers, "/api/dossiers", body.encode())
    assert_error_shape(response, 422)
    assert "digits" in response.json["message"]


def test_nan_is_not_a_json_number(app, officers):
    body = json.dumps(birth_submission()).replace('"channel": 1', '"channel": NaN')
    assert_error_shape(post_raw(app, officers, "/api/dossiers", body.encode()), 422)


@pytest.mark.parametrize("number", ["1e400", "-1e400"])
def test_a_number_that_overflows_to_infinity_is_422(app, officers, number):
    # float("1e400") is infinity: PostgreSQL refused it (a 500), SQLite stored it and answered
    # with a bare Infinity, which is not JSON.
    body = json.dumps(birth_submission()).replace('"count": 1', f'"count": {number}')
    response = post_raw(app, officers, "/api/dossiers", body.encode())
    assert_error_shape(response, 422)
    assert "out of range" in response.json["message"]
    assert dossier_count(app) == 0


def test_a_wrong_content_type_is_415_not_missing_fields(app, officers):
    body = json.dumps(birth_submission()).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        response = post_raw(app, officers, "/api/dossiers", body, content_type=content_type)
        assert_error_shape(response, 415)
        assert "application/json" in response.json["message"]


def test_an_empty_body_without_a_content_type_lists_the_missing_fields(app, officers):
    response = post_raw(app, officers, "/api/dossiers", b"", content_type=None)
    assert_error_shape(response, 422)
    assert {"procedure", "applicant", "data"} <= set(response.json["errors"])


def test_a_body_over_the_limit_is_413_announced_or_chunked(app, officers):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    big = json.dumps(birth_submission(data={"padding": "x" * 20_000})).encode()
    assert_error_shape(post_raw(app, officers, "/api/dossiers", big), 413)
    chunked = post_raw(
        app,
        officers,
        "/api/dossiers",
        None,
        input_stream=io.BytesIO(big),
        environ_overrides={"wsgi.input_terminated": True},
        headers={"Transfer-Encoding": "chunked"},
    )
    assert_error_shape(chunked, 413)
    assert dossier_count(app) == 0


def test_thousands_of_form_errors_give_a_bounded_answer(app, officers, as_officer):
    # A 0.6 MiB declaration full of wrong documents once produced a 26 MiB answer.
    declaration = birth_declaration()
    declaration["documents"] = [{"name": 5, "kind": "?", "count": -1, "extra": True}] * 20_000
    declaration.update({f"unknown_{n}": n for n in range(5_000)})
    response = as_officer("h29.01.tiep_nhan").post(
        "/api/dossiers", json=birth_submission(data=declaration)
    )
    assert_error_shape(response, 422)
    assert sum(map(len, response.json["errors"].values())) <= 60


def test_errors_past_the_cap_are_counted_not_listed(app, officers, as_officer):
    declaration = birth_declaration()
    declaration["documents"] = [{"name": 5, "kind": "?", "count": -1}] * 30
    response = as_officer("h29.01.tiep_nhan").post(
        "/api/dossiers", json=birth_submission(data=declaration)
    )
    assert_error_shape(response, 422)
    listed = sum(map(len, response.json["errors"].values()))
    assert listed <= 50
    assert f"{listed} are listed" in response.json["message"]
    assert "more are not" in response.json["message"]
    assert dossier_count(app) == 0


def test_completing_with_a_nul_in_the_answers_is_422_and_writes_nothing(app, as_officer):
    officer = as_officer("h29.01.tiep_nhan")
    dossier = officer.post("/api/dossiers", json=birth_submission()).json
    task_id = dossier["tasks"][0]["id"]
    assert officer.post(f"/api/tasks/{task_id}/claim").status_code == 200
    response = officer.post(
        f"/api/tasks/{task_id}/complete", json={"data": {"decision": "accept", "note": "a\x00b"}}
    )
    assert_error_shape(response, 422)
    assert list(response.json["errors"]) == ["data.note"]
    again = officer.get(f"/api/dossiers/{dossier['code']}").json
    assert again["tasks"][0]["state"] == "claimed"
    assert [event["action"] for event in again["timeline"]] == ["submitted", "claimed"]
