"""POST /api/lookup: a citizen looks a dossier up with its code and the receipt's secret."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.test_apologies_and_outcomes import apologise, residence_dossier
from tests.api.test_supplements import MISSING, ask
from tests.conftest import birth_declaration, receive
from tests.groups import birth_group_submission

pytestmark = pytest.mark.usefixtures("group_officers")

NOT_FOUND = "không tìm thấy hồ sơ"


def look(app, code, secret, address="203.0.113.7", **kwargs):
    return app.test_client().post(
        "/api/lookup",
        json={"code": code, "secret": secret},
        environ_base={"REMOTE_ADDR": address},
        **kwargs,
    )


def secret_of(as_officer, code, username="h29.01.tiep_nhan"):
    return as_officer(username).get(f"/api/dossiers/{code}").json["lookup_secret"]


def test_the_receipts_code_and_secret_show_where_the_dossier_stands(app, as_officer):
    dossier = receive(as_officer)
    secret = dossier["lookup_secret"]  # printed on the receipt
    assert secret == secret_of(as_officer, dossier["code"])
    assert len(secret) == 11 and secret[5] == "-"
    response = look(app, dossier["code"], secret)
    assert response.status_code == 200, response.json
    assert response.json == {
        "code": dossier["code"],
        "procedure": {"code": "1.001193", "name": response.json["procedure"]["name"]},
        "status": {"code": 1, "label": dossier["status"]["label"]},
        "received_at": "2026-03-02T09:00:00+07:00",
        "appointment_date": dossier["appointment_date"],
        "supplement": None,
        "apology": None,
        "finished_at": None,
    }
    assert "Trần Thị Bình" not in response.get_data(as_text=True)  # nothing personal
    # Typed as people type it: lower case, spaces, no dash.
    typed = secret.replace("-", " ").lower()
    assert look(app, dossier["code"].lower(), typed).status_code == 200
    # No sign-in needed, and a token does not widen the answer.
    assert "Authorization" not in response.request.headers


def test_wrong_code_and_wrong_secret_get_the_same_404(app, as_officer):
    dossier = receive(as_officer)
    secret = dossier["lookup_secret"]
    other = receive(as_officer)
    wrong_secret = look(app, dossier["code"], other["lookup_secret"], address="198.51.100.1")
    wrong_code = look(app, "H29.01-260302-9999", secret, address="198.51.100.2")
    for response in (wrong_secret, wrong_code):
        assert response.status_code == 404
        assert response.json["message"] == NOT_FOUND
    assert wrong_secret.json == wrong_code.json
    assert look(app, "", "x", address="198.51.100.3").status_code == 422


def test_repeated_failures_make_the_address_wait_longer_each_time(app, as_officer, clock):
    dossier = receive(as_officer)
    secret = dossier["lookup_secret"]
    for _ in range(5):
        assert look(app, dossier["code"], "AAAAA-AAAAA").status_code == 404
    waiting = look(app, dossier["code"], secret)  # even the right secret now waits
    assert waiting.status_code == 429
    assert waiting.headers["Retry-After"] == "600"
    assert "10 phút" in waiting.json["message"]
    # Another address is not affected.
    assert look(app, dossier["code"], secret, address="192.0.2.44").status_code == 200
    clock.now += timedelta(minutes=10)
    assert look(app, dossier["code"], secret).status_code == 200
    assert look(app, dossier["code"], "AAAAA-AAAAA").status_code == 404  # doubles
    waiting = look(app, dossier["code"], secret)
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "1200"
    # Long after, the address starts afresh.
    clock.now += timedelta(hours=2)
    assert look(app, dossier["code"], "AAAAA-AAAAA").status_code == 404
    assert look(app, dossier["code"], secret).status_code == 200


def test_behind_a_proxy_the_forwarded_address_counts_only_when_configured(app, as_officer):
    dossier = receive(as_officer)

    def fail(forwarded):
        headers = {"X-Forwarded-For": forwarded}
        return look(app, dossier["code"], "AAAAA-AAAAA", address="10.0.0.1", headers=headers)

    # Not configured: the proxy's own address is the client; forged headers change nothing.
    for n in range(5):
        assert fail(f"192.0.2.{n}").status_code == 404
    assert fail("192.0.2.99").status_code == 429
    app.config["MOTCUA_PROXY_HOPS"] = 1
    # Behind one proxy: the address it appended counts, whatever the client put before it.
    for n in range(5):
        assert fail(f"forged-{n}, 198.51.100.20").status_code == 404
    assert fail("forged, 198.51.100.20").status_code == 429
    assert fail("198.51.100.21").status_code == 404


def test_supplement_and_apology_are_shown(app, as_officer, clock):
    dossier, second = residence_dossier(as_officer), residence_dossier(as_officer)
    code = dossier["code"]
    secret = secret_of(as_officer, code, "ca29.01.tiep_nhan")
    clock.set(2026, 3, 2, 10, 0)
    assert ask(as_officer, code).status_code == 200
    shown = look(app, code, secret).json
    assert shown["status"]["code"] == 5
    assert shown["supplement"] == {"requested_at": "2026-03-02T10:00:00+07:00", "items": MISSING}
    assert shown["apology"] is None
    clock.set(2026, 3, 2, 14, 0)
    reason = "Cần xác minh nơi cư trú với Công an tỉnh"
    assert apologise(as_officer, second["code"], "2026-03-06", reason=reason).status_code == 200
    shown = look(app, second["code"], secret_of(as_officer, second["code"], "ca29.01.tiep_nhan"))
    assert shown.json["apology"] == {
        "reason": reason,
        "new_appointment_date": "2026-03-06",
        "original_appointment_date": "2026-03-04",
    }
    assert shown.json["appointment_date"] == "2026-03-06"


def test_a_group_dossier_shows_its_status_and_appointment_only(app, as_officer):
    response = as_officer("h29.01.tiep_nhan").post(
        "/api/dossiers", json=birth_group_submission(birth_declaration())
    )
    assert response.status_code == 201, response.json
    group = response.json
    secret = group["lookup_secret"]
    assert secret
    assert (
        as_officer("h29.01.lanh_dao").get(f"/api/dossiers/{group['code']}").json["lookup_secret"]
        == secret
    )
    shown = look(app, group["code"], secret)
    assert shown.status_code == 200, shown.json
    assert shown.json == {
        "code": group["code"],
        "procedure": {"code": "LT-KS", "name": group["name"]},
        "status": group["status"],
        "received_at": group["received_at"],
        "appointment_date": group["appointment_date"],
        "supplement": None,
        "apology": None,
        "finished_at": None,
    }
    text = shown.get_data(as_text=True)
    assert "parts" not in text and "Trần Thị Bình" not in text and "CA29" not in text
