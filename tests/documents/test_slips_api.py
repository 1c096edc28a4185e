"""The legal slips and the register through the HTTP API, on SQLite and PostgreSQL: each one
is a PDF carrying what its form requires, in Vietnamese; another agency's dossier, or a slip
the dossier never had, is 404; a bad or too long register period is 422."""

from __future__ import annotations

import io

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from api.jobs import relay_due
from api.services.lookup import lookup_secret, lookup_url
from tests.api.test_apologies_and_outcomes import apologise, residence_dossier
from tests.api.test_supplements import ask
from tests.conftest import birth_declaration, receive
from tests.groups import birth_group_submission, work_dossier

pytestmark = pytest.mark.usefixtures("group_officers")

APPLICANT = {"full_name": "Nguyễn Văn An", "phone": "0987654321", "address": "Thôn Đông, xã Tân An"}


def pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    reader = PdfReader(io.BytesIO(response.data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def step(as_officer, username: str, task_id: str, answers: dict) -> dict:
    officer = as_officer(username)
    assert officer.post(f"/api/tasks/{task_id}/claim").status_code == 200
    done = officer.post(f"/api/tasks/{task_id}/complete", json={"data": answers})
    assert done.status_code == 200, done.json
    return done.json


def slip(as_officer, code: str, kind: str, username: str = "h29.01.tiep_nhan"):
    return as_officer(username).get(f"/api/dossiers/{code}/slips/{kind}")


def test_the_receipt_carries_the_dossier_and_a_qr_code_to_its_lookup_page(app, as_officer):
    dossier = receive(as_officer, applicant=APPLICANT)
    code = dossier["code"]
    assert slip(as_officer, code, "tiep-nhan").status_code == 404  # not accepted yet
    step(as_officer, "h29.01.tiep_nhan", dossier["tasks"][0]["id"], {"decision": "accept"})

    response = slip(as_officer, code, "tiep-nhan")
    text = flat(pdf_text(response))
    with app.app_context():
        secret, url = lookup_secret(code), lookup_url(code)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "UBND XÃ TÂN AN",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        f"Mã hồ sơ: {code}",
        "Ông/Bà: Nguyễn Văn An",
        "Địa chỉ: Thôn Đông, xã Tân An",
        "Nội dung yêu cầu giải quyết: Đăng ký khai sinh (mã thủ tục 1.001193)",
        "Giấy chứng sinh Bản chính 1",
        "4. Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 02/03/2026",
        "5. Thời gian trả kết quả giải quyết hồ sơ: 17 giờ 00 phút, ngày 02/03/2026",
        f"Mã tra cứu: {secret}",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
    ):
        assert expected in text, expected
    assert PdfReader(io.BytesIO(response.data)).metadata.title == (
        "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    )
    document = pypdfium2.PdfDocument(response.data)
    try:
        image = document[0].render(scale=3).to_pil()
    finally:
        document.close()
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [url]
    assert f"ma={code}" in url and secret in url

    # Another agency's officer gets the same 404 as for a dossier that does not exist.
    assert slip(as_officer, code, "tiep-nhan", "h29.02.tiep_nhan").status_code == 404
    assert slip(as_officer, "H29.01-260302-9999", "tiep-nhan").status_code == 404
    assert slip(as_officer, code, "khong-co").status_code == 404
    assert slip(as_officer, code, "xin-loi").status_code == 404  # no apology
    assert slip(as_officer, code, "tu-choi").status_code == 404
    assert slip(as_officer, code, "dung-xu-ly").status_code == 404
    assert slip(as_officer, code, "kiem-soat").status_code == 404  # not in a group
    assert as_officer(None).get(f"/api/dossiers/{code}/slips/tiep-nhan").status_code == 401


def test_a_supplement_asked_at_reception_lists_every_missing_item(as_officer, clock):
    dossier = receive(as_officer, applicant=APPLICANT)
    missing = ["Giấy chứng nhận kết hôn của cha mẹ", "Bản sao căn cước của người mẹ"]
    clock.set(2026, 3, 2, 9, 30)
    step(
        as_officer,
        "h29.01.tiep_nhan",
        dossier["tasks"][0]["id"],
        {"decision": "supplement", "missing_documents": missing, "note": "Thiếu giấy tờ"},
    )
    text = flat(pdf_text(slip(as_officer, dossier["code"], "bo-sung")))
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "Ông/Bà: Nguyễn Văn An" in text
    assert f"1. {missing[0]}" in text and f"2. {missing[1]}" in text
    assert "Lý do: Thiếu giấy tờ" in text
    assert "NGƯỜI HƯỚNG DẪN" in text
    assert slip(as_officer, dossier["code"], "tiep-nhan").status_code == 404


def test_a_supplement_asked_during_processing_gives_its_window(as_officer):
    dossier = residence_dossier(as_officer)
    assert ask(as_officer, dossier["code"]).status_code == 200
    text = flat(pdf_text(slip(as_officer, dossier["code"], "bo-sung", "ca29.01.tiep_nhan")))
    assert "Ông/Bà: Phạm Văn Hải" in text
    assert "1. Bản sao sổ hộ khẩu" in text and "2. Văn bản đồng ý của chủ hộ" in text
    assert "Lý do: Thiếu giấy tờ chứng minh chỗ ở" in text
    assert "trước 10 giờ 00 phút, ngày 11/03/2026" not in text  # asked at 09:00, not 10:00
    assert "trước 09 giờ 00 phút, ngày 11/03/2026" in text  # 7 working days


def test_a_refusal_gives_its_reasons(as_officer):
    dossier = receive(as_officer, applicant=APPLICANT)
    reason = "Người đi đăng ký không có quyền yêu cầu khai sinh cho trẻ"
    step(
        as_officer,
        "h29.01.tiep_nhan",
        dossier["tasks"][0]["id"],
        {"decision": "refuse", "refusal_reason": reason},
    )
    text = flat(pdf_text(slip(as_officer, dossier["code"], "tu-choi")))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "Ông/Bà: Nguyễn Văn An" in text
    assert f"1. {reason}" in text
    assert slip(as_officer, dossier["code"], "tiep-nhan").status_code == 404


def test_an_apology_gives_the_reason_and_both_appointments(as_officer, clock):
    dossier = residence_dossier(as_officer)
    clock.set(2026, 3, 2, 14, 0)
    reason = "Cần xác minh nơi cư trú với Công an tỉnh"
    assert apologise(as_officer, dossier["code"], "2026-03-06", reason=reason).status_code == 200
    text = flat(pdf_text(slip(as_officer, dossier["code"], "xin-loi", "ca29.01.lanh_dao")))
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "CÔNG AN XÃ TÂN AN" in text
    assert f"Lý do: {reason}" in text
    assert "Thời gian hẹn trả kết quả giải quyết hồ sơ: 09 giờ 00 phút, ngày 04/03/2026" in text
    assert "Thời gian hẹn trả kết quả mới: 17 giờ 00 phút, ngày 06/03/2026" in text
    assert "THỦ TRƯỞNG CƠ QUAN" in text
    assert "ngày 02 tháng 03 năm 2026" in text
    # The receipt keeps the first appointment.
    receipt = flat(pdf_text(slip(as_officer, dossier["code"], "tiep-nhan", "ca29.01.lanh_dao")))
    assert "5. Thời gian trả kết quả giải quyết hồ sơ: 09 giờ 00 phút, ngày 04/03/2026" in receipt


def test_a_stopped_dossier_has_its_stop_notice(app, as_officer, clock):
    dossier = residence_dossier(as_officer)
    assert slip(as_officer, dossier["code"], "dung-xu-ly", "ca29.01.tiep_nhan").status_code == 404
    assert ask(as_officer, dossier["code"]).status_code == 200
    clock.set(2026, 3, 11, 9, 1)
    relay_due(app)
    text = flat(pdf_text(slip(as_officer, dossier["code"], "dung-xu-ly", "ca29.01.tiep_nhan")))
    assert "THÔNG BÁO DỪNG XỬ LÝ HỒ SƠ" in text
    assert "Ông/Bà: Phạm Văn Hải" in text
    assert "Lý do: Quá thời hạn bổ sung, hoàn thiện hồ sơ" in text
    assert "kể từ 09 giờ 01 phút, ngày 11/03/2026" in text


def test_the_control_slip_of_a_group_shows_each_agency(as_officer, clock):
    response = as_officer("h29.01.tiep_nhan").post(
        "/api/dossiers", json=birth_group_submission(birth_declaration(), applicant=APPLICANT)
    )
    assert response.status_code == 201, response.json
    group = response.json
    commune = [p["dossier_code"] for p in group["parts"] if p["dossier_code"]][0]
    clock.set(2026, 3, 2, 10, 0)
    work_dossier(as_officer, "H29.01", commune)
    for username in ("h29.01.tiep_nhan", "ca29.01.tiep_nhan"):  # received, or holds a part
        text = flat(pdf_text(slip(as_officer, group["code"], "kiem-soat", username)))
        assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
        assert f"Mã hồ sơ: {group['code']}" in text
        assert "Người nộp hồ sơ: Nguyễn Văn An" in text
        for agency in ("UBND xã Tân An", "Công an xã Tân An", "Bảo hiểm xã hội tỉnh"):
            assert agency in text
        assert "10 giờ 00 phút, ngày 02/03/2026" in text  # handed over and taken over
        assert "Đúng hạn" in text  # the commune's outcome
    # A member dossier's code leads to its group's slip too.
    by_member = slip(as_officer, commune, "kiem-soat")
    assert f"Mã hồ sơ: {group['code']}" in flat(pdf_text(by_member))
    assert slip(as_officer, group["code"], "kiem-soat", "h29.02.tiep_nhan").status_code == 404


def test_the_register_lists_the_agency_s_dossiers_of_the_period(as_officer, clock):
    first = receive(as_officer, applicant=APPLICANT)
    clock.set(2026, 3, 3, 9, 0)
    second = receive(as_officer)
    other = receive(as_officer, "h29.02.tiep_nhan")
    officer = as_officer("h29.01.lanh_dao")
    text = flat(pdf_text(officer.get("/api/register?from=2026-03-01&to=2026-03-31")))
    assert "SỔ THEO DÕI HỒ SƠ" in text
    assert "Từ ngày 01/03/2026 đến ngày 31/03/2026" in text
    assert first["code"] in text and second["code"] in text
    assert other["code"] not in text
    assert "Nguyễn Văn An" in text and "Đăng ký khai sinh" in text
    assert "Tổng số hồ sơ: 2" in text
    one_day = flat(pdf_text(officer.get("/api/register?from=2026-03-03&to=2026-03-03")))
    assert second["code"] in one_day and first["code"] not in one_day

    for query in (
        "from=2026-03-01",
        "from=2026-03-31&to=2026-03-01",
        "from=01/03/2026&to=2026-03-31",
        "from=2025-01-01&to=2026-01-02",  # 367 days
    ):
        bad = officer.get(f"/api/register?{query}")
        assert bad.status_code == 422, (query, bad.json)
    assert officer.get("/api/register?from=2025-01-01&to=2026-01-01").status_code == 200
    assert as_officer(None).get("/api/register?from=2026-03-01&to=2026-03-31").status_code == 401


def test_a_register_with_too_many_dossiers_asks_for_a_shorter_period(as_officer, monkeypatch):
    receive(as_officer)
    receive(as_officer)
    monkeypatch.setattr("api.services.slips.MAX_REGISTER_ROWS", 1)
    answer = as_officer("h29.01.lanh_dao").get("/api/register?from=2026-03-01&to=2026-03-31")
    assert answer.status_code == 422 and "too many" in answer.json["message"]
