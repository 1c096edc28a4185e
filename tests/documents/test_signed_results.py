"""The signing step's result: a birth dossier worked through `ky_so` issues its birth extract,
signed with the agency's key (PAdES), kept byte for byte and listed with the dossier; anyone
can check it with POST /api/verify against the platform's CA. A changed byte, another CA, no
signature or garbage each get a clear answer, never a 500. Without a key the step still
completes and the extract is kept unsigned, the event saying why."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from api.documents import signing
from tests.conftest import BIRTH_STEPS, receive

AGENCY_NAME = "UBND xã Tân An"


def demo_pki(app, *agencies: str) -> dict:
    args = ["signing", "demo-pki", "--json"]
    for code in agencies:
        args += ["--agency", code]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def work_birth(as_officer, applicant: dict | None = None) -> str:
    """Returns the code of a birth dossier worked from reception to its result's return."""
    dossier = receive(as_officer, **({"applicant": applicant} if applicant else {}))
    task = dossier["tasks"][0]["id"]
    for username, step, answers, _ in BIRTH_STEPS:
        officer = as_officer(username)
        assert officer.post(f"/api/tasks/{task}/claim").status_code == 200
        done = officer.post(f"/api/tasks/{task}/complete", json={"data": answers})
        assert done.status_code == 200, (step, done.json)
        task = (done.json["next_tasks"] or [{"id": None}])[0]["id"]
    assert (
        as_officer("h29.01.van_thu").get(f"/api/dossiers/{dossier['code']}").json["status"]["code"]
        == 10
    )
    return dossier["code"]


def verify(client, body: bytes, content_type: str = "application/pdf"):
    return client.post("/api/verify", data=body, headers={"Content-Type": content_type})


def test_a_signed_birth_extract_is_issued_and_verified(app, as_officer, tmp_path):
    made = demo_pki(app, "H29.01")
    assert made["agencies"] == [{"agency": "H29.01", "file": str(tmp_path / "signing/H29.01.p12")}]
    assert (tmp_path / "signing" / "ca.pem").is_file()
    code = work_birth(as_officer)

    clerk = as_officer("h29.01.van_thu")
    listed = clerk.get(f"/api/dossiers/{code}/documents")
    assert listed.status_code == 200, listed.json
    [document] = listed.json
    assert document["kind"] == "result"
    assert document["signed_by"] == AGENCY_NAME
    assert document["filename"] == f"trich_luc_khai_sinh-{code}.pdf"
    downloaded = clerk.get(f"/api/dossiers/{code}/documents/{document['id']}")
    assert downloaded.status_code == 200 and downloaded.mimetype == "application/pdf"
    pdf = downloaded.data
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    for expected in (
        "TRÍCH LỤC KHAI SINH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: 12/2026",
        "Họ, chữ đệm, tên: Nguyễn Minh An",
        "Ngày, tháng, năm sinh: 20/02/2026",
        "Giới tính: Nam",
        "Số định danh cá nhân: 001226012345",
        "Họ, chữ đệm, tên người mẹ: Trần Thị Bình",
        f"Mã hồ sơ: {code}",
    ):
        assert expected in text, expected
    timeline = clerk.get(f"/api/dossiers/{code}").json["timeline"]
    [issued] = [e for e in timeline if e["action"] == "document_issued"]
    assert issued["step"] == "ky_so" and issued["detail"]["signed_by"] == AGENCY_NAME
    assert issued["detail"]["document_id"] == document["id"]

    public = app.test_client()  # no token
    answer = verify(public, pdf)
    assert answer.status_code == 200, answer.json
    assert answer.json["valid"] is True and answer.json["intact"] is True
    assert answer.json["trusted"] is True and answer.json["covers_whole_document"] is True
    assert answer.json["signed_by"] == AGENCY_NAME
    assert answer.json["signed_at"]

    # One byte changed inside the signed range (the page's content), not the signature.
    changed = bytearray(pdf)
    at = changed.index(b"stream") + 20
    changed[at] ^= 0x01
    broken = verify(public, bytes(changed))
    assert broken.status_code == 200, broken.json
    assert broken.json["valid"] is False and broken.json["intact"] is False
    assert "changed" in broken.json["message"]

    # Content added after the signature: intact, but the signature no longer covers it all.
    appended = verify(public, pdf + b"\n%% added\n")
    assert appended.json["valid"] is False and appended.json["covers_whole_document"] is False

    # The documents are the agency's: another agency gets the same 404 as for nothing.
    other = as_officer("h29.02.van_thu")
    assert other.get(f"/api/dossiers/{code}/documents").status_code == 404
    assert other.get(f"/api/dossiers/{code}/documents/{document['id']}").status_code == 404
    assert clerk.get(f"/api/dossiers/{code}/documents/999999").status_code == 404
    assert public.get(f"/api/dossiers/{code}/documents").status_code == 401


def test_without_a_key_the_step_completes_and_the_extract_is_kept_unsigned(app, as_officer):
    code = work_birth(as_officer)
    clerk = as_officer("h29.01.van_thu")
    [document] = clerk.get(f"/api/dossiers/{code}/documents").json
    assert document["signed_by"] is None
    timeline = clerk.get(f"/api/dossiers/{code}").json["timeline"]
    [issued] = [e for e in timeline if e["action"] == "document_issued"]
    assert issued["detail"]["unsigned_reason"] == "no signing key for agency H29.01"
    pdf = clerk.get(f"/api/dossiers/{code}/documents/{document['id']}").data
    answer = verify(app.test_client(), pdf)
    assert answer.status_code == 200
    assert answer.json["valid"] is False and answer.json["message"] == "the PDF has no signature"


def test_a_pdf_signed_under_another_ca_is_intact_but_not_trusted(app, as_officer, tmp_path):
    demo_pki(app, "H29.01")
    elsewhere = tmp_path / "elsewhere"
    key = signing.issue_agency_key(elsewhere, "X", "Cơ quan giả mạo")
    code = work_birth(as_officer)
    clerk = as_officer("h29.01.van_thu")
    [document] = clerk.get(f"/api/dossiers/{code}/documents").json
    pdf = clerk.get(f"/api/dossiers/{code}/documents/{document['id']}").data
    # The platform's own signature, then a forger's over it: the last one is checked.
    forged = signing.sign_pdf(pdf, Path(key).read_bytes(), field_name="Khac").pdf
    answer = verify(app.test_client(), forged)
    assert answer.status_code == 200, answer.json
    assert answer.json["intact"] is True and answer.json["trusted"] is False
    assert answer.json["valid"] is False and answer.json["signed_by"] == "Cơ quan giả mạo"


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"this is not a pdf", "application/pdf"),
        (b"%PDF-1.7\n garbage that is no PDF at all", "application/pdf"),
        (b"", "application/pdf"),
        (b"%PDF-1.7", "application/json"),
    ],
)
def test_garbage_gets_a_clear_422(app, officers, body, content_type):
    answer = verify(app.test_client(), body, content_type)
    assert answer.status_code == 422, answer.json
    assert answer.json["message"]


def test_the_demo_seed_makes_every_demo_agency_a_key(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--json"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "signing"
    assert (folder / "ca.pem").is_file() and (folder / "H29.01.p12").is_file()
    assert len(list(folder.glob("*.p12"))) >= 2
    assert app.test_cli_runner().invoke(args=["signing", "demo-pki", "--agency", "NOPE"]).exit_code


def test_verify_takes_a_pdf_of_up_to_10_mb(app, officers):
    client = app.test_client()
    padding = b"%PDF-1.7\n" + b"x" * (6 * 1024 * 1024)  # over the API's 4 MiB, under 10 MB
    assert verify(client, padding).status_code == 422  # read, and not a PDF: not a 413
    assert verify(client, padding + b"x" * (5 * 1024 * 1024)).status_code == 413
