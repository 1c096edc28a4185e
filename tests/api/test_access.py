"""Authentication, agency scoping and the one error shape."""

from __future__ import annotations

from tests.conftest import birth_submission


def submit(as_officer) -> dict:
    response = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=birth_submission())
    assert response.status_code == 201
    return response.json


def test_no_token_is_401(as_officer):
    for url in ("/api/tasks", "/api/procedures", "/api/dossiers/H29.01-260302-0001"):
        response = as_officer(None).get(url)
        assert response.status_code == 401
        assert response.json["code"] == 401 and response.json["message"]


def test_unknown_token_is_401(app, officers):
    client = app.test_client()
    response = client.get("/api/tasks", headers={"Authorization": "Bearer mc_not-a-token"})
    assert response.status_code == 401


def test_tokens_are_stored_hashed(app, officers):
    from sqlalchemy import select

    from api.services import hash_token
    from api.store import ApiToken, db

    with app.app_context():
        stored = set(db.session.scalars(select(ApiToken.token_hash)))
    assert not stored & set(officers.values())
    assert all(len(h) == 64 for h in stored)
    assert {hash_token(token) for token in officers.values()} == stored  # the SHA-256, nothing else


def test_other_agency_sees_404_for_dossier_and_tasks(as_officer):
    dossier = submit(as_officer)
    task_id = dossier["tasks"][0]["id"]
    stranger = as_officer("h29.02.tiep_nhan")
    assert stranger.get(f"/api/dossiers/{dossier['code']}").status_code == 404
    for response in (
        stranger.get(f"/api/tasks/{task_id}"),
        stranger.post(f"/api/tasks/{task_id}/claim"),
        stranger.post(f"/api/tasks/{task_id}/release"),
        stranger.post(f"/api/tasks/{task_id}/complete", json={"data": {"decision": "accept"}}),
    ):
        assert response.status_code == 404
        assert response.json["message"] == "task not found"
    missing = stranger.get("/api/tasks/00000000-0000-0000-0000-000000000000")
    assert missing.json == stranger.get(f"/api/tasks/{task_id}").json  # indistinguishable
    assert stranger.get("/api/tasks").json["items"] == []


def test_malformed_json_is_400(as_officer):
    response = as_officer("h29.01.tiep_nhan").post(
        "/api/dossiers", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["code"] == 400 and "JSON" in response.json["message"]


def test_invalid_declaration_is_422_naming_each_field_and_writes_nothing(as_officer):
    body = birth_submission()
    del body["data"]["child"]["full_name"]
    body["data"]["child"]["date_of_birth"] = "2026-02-30"
    body["applicant"] = {}
    body["channel"] = 9
    officer = as_officer("h29.01.tiep_nhan")
    response = officer.post("/api/dossiers", json=body)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"applicant.full_name", "channel"}
    body["applicant"] = {"full_name": "Trần Thị Bình"}
    body["channel"] = 1
    response = officer.post("/api/dossiers", json=body)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"data.child.full_name", "data.child.date_of_birth"}
    assert officer.get("/api/tasks").json["items"] == []
    assert officer.get("/api/dossiers/H29.01-260302-0001").status_code == 404


def test_only_reception_officers_submit_dossiers(as_officer):
    response = as_officer("h29.01.tham_dinh").post("/api/dossiers", json=birth_submission())
    assert response.status_code == 403


def test_unknown_procedure_is_422(as_officer):
    response = as_officer("h29.01.tiep_nhan").post(
        "/api/dossiers", json=birth_submission(procedure="9.999999")
    )
    assert response.status_code == 422
    assert "procedure" in response.json["errors"]


def test_catalogue_lists_birth_registration_with_its_steps(as_officer):
    catalogue = as_officer("h29.01.van_thu").get("/api/procedures").json
    by_code = {entry["code"]: entry for entry in catalogue}
    assert {code for code, e in by_code.items() if e["kind"] == "group"} == {"LT-KS", "LT-KT"}
    assert len(by_code) == 9  # seven procedures, two interlinked groups
    procedure = by_code["1.001193"]
    assert procedure["kind"] == "procedure"
    assert procedure["name"] == "Đăng ký khai sinh"
    assert procedure["deadline"]["value"] == "0"
    assert {s["step"]: s["role"] for s in procedure["steps"]} == {
        "tiep_nhan": "tiep_nhan",
        "nhan_bo_sung": "tiep_nhan",
        "tham_dinh": "tham_dinh",
        "phe_duyet": "lanh_dao",
        "ky_so": "lanh_dao",
        "tra_ket_qua": "van_thu",
    }


def test_openapi_document_lists_every_endpoint(app):
    document = app.test_client().get("/api/openapi.json").json
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in (
        "/api/procedures",
        "/api/dossiers",
        "/api/dossiers/{code}",
        "/api/tasks",
        "/api/tasks/{task_id}",
        "/api/tasks/{task_id}/claim",
        "/api/tasks/{task_id}/release",
        "/api/tasks/{task_id}/complete",
    ):
        assert path in paths
    page = app.test_client().get("/api/docs")
    assert page.status_code == 200 and b"/api/docs/assets/swagger-ui-bundle.js" in page.data
    bundle = app.test_client().get("/api/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.data) > 100_000  # served locally, no CDN
    bundle.close()


def test_revoked_token_is_refused(app, as_officer):
    runner = app.test_cli_runner()
    assert as_officer("h29.01.van_thu").get("/api/tasks").status_code == 200
    result = runner.invoke(args=["tokens", "revoke", "--username", "h29.01.van_thu"])
    assert result.exit_code == 0 and "revoked 1 token(s)" in result.output
    assert as_officer("h29.01.van_thu").get("/api/tasks").status_code == 401


def test_token_cache_remembers_a_caller_only_for_its_ttl(app, as_officer, monkeypatch):
    import api.services.token_cache as token_cache
    from api.services import runtime

    with app.app_context():
        cache = runtime().tokens
    cache.seconds = 5
    moment = [1000.0]
    monkeypatch.setattr(token_cache.time, "monotonic", lambda: moment[0])
    officer = as_officer("h29.01.van_thu")
    assert officer.get("/api/tasks").status_code == 200
    app.test_cli_runner().invoke(args=["tokens", "revoke", "--username", "h29.01.van_thu"])
    assert officer.get("/api/tasks").status_code == 200  # still remembered
    moment[0] += 6
    assert officer.get("/api/tasks").status_code == 401


def test_health_needs_no_token_and_checks_the_database(app):
    response = app.test_client().get("/api/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "queue": "in_process"}


def test_a_body_that_is_not_an_object_is_422_at_the_root(as_officer):
    response = as_officer("h29.01.tiep_nhan").post("/api/dossiers", json=[1, 2])
    assert response.status_code == 422
    assert "(root)" in response.json["errors"]


def test_wrong_method_is_405_with_allow(as_officer):
    response = as_officer("h29.01.tiep_nhan").get(
        "/api/tasks/00000000-0000-0000-0000-000000000000/claim"
    )
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert response.json["code"] == 405
