"""The documents package alone (no database): Vietnamese text comes out as it was meant
whatever Unicode form it came in, the death extract carries its fields, every slip has its
title, and the bundled font ships with its license."""

from __future__ import annotations

import io
import tomllib
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

from pypdf import PdfReader

from api.documents import pdf, signing, slips

AGENCY = slips.AgencyInfo("H29.01", "UBND xã Tân An")
RECEIVED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
DUE = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def dossier(name: str = "Nguyễn Văn An") -> slips.DossierInfo:
    return slips.DossierInfo(
        code="H29.01-260302-0001",
        procedure_code="1.001193",
        procedure_name="Đăng ký khai sinh",
        applicant=slips.Person(name, phone="0912345678"),
        received_at=RECEIVED,
        due_at=DUE,
        deadline_days=2,
        items=(slips.Item("Giấy chứng sinh", "original", 1),),
    )


def test_decomposed_vietnamese_is_printed_precomposed():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn An")
    assert decomposed != "Nguyễn Văn An"
    data = slips.refusal(AGENCY, dossier(decomposed), reasons=["Thiếu tờ khai"], refused_at=DUE)
    text = text_of(data)
    assert "Ông/Bà: Nguyễn Văn An" in text
    assert "1. Thiếu tờ khai" in text
    assert "Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 02/03/2026" in text


def test_every_slip_carries_its_title_and_the_national_header():
    made = {
        slips.RECEIPT: slips.receipt(AGENCY, dossier(), lookup_secret="A", lookup_url="http://x"),
        slips.SUPPLEMENT: slips.supplement_request(
            AGENCY, dossier(), items=["Tờ khai"], reason="", requested_at=RECEIVED
        ),
        slips.REFUSAL: slips.refusal(AGENCY, dossier(), reasons=["x"], refused_at=RECEIVED),
        slips.APOLOGY: slips.apology(
            AGENCY,
            dossier(),
            reason="x",
            original_due_at=DUE,
            new_due_at=DUE,
            apologized_at=RECEIVED,
        ),
        slips.CONTROL: slips.control_slip(
            AGENCY,
            code="H29.01-260302-0002",
            group_name="Liên thông khai sinh",
            applicant=slips.Person("Nguyễn Văn An"),
            received_at=RECEIVED,
            due_at=DUE,
            rows=[],
            printed_at=DUE,
        ),
        slips.REGISTER: slips.register(
            AGENCY, start=date(2026, 3, 1), end=date(2026, 3, 31), rows=[], printed_at=DUE
        ),
        slips.STOP: slips.stop_notice(AGENCY, dossier(), reason="x", stopped_at=DUE),
    }
    for title, data in made.items():
        assert PdfReader(io.BytesIO(data)).metadata.title == title
        text = text_of(data)
        assert title.upper() in text, title
        assert pdf.NATION in text and pdf.MOTTO in text and "UBND XÃ TÂN AN" in text
    assert "3. Thời gian giải quyết hồ sơ theo quy định: 2 ngày làm việc" in text_of(
        made[slips.RECEIPT]
    )


def test_the_death_extract_carries_the_deceased_and_the_death():
    info = slips.ResultInfo(
        template="trich_luc_khai_tu",
        agency=AGENCY,
        code="H29.01-260302-0003",
        declaration={
            "deceased": {"full_name": "Lê Văn Tư", "sex": "male", "id_number": "001045067890"},
            "death": {"date": "2026-02-27", "place": "Tại nhà", "cause": "Tuổi già"},
            "declarant": {"full_name": "Lê Thị Năm"},
        },
        answers={"registration_number": "07/2026", "extract_number": "TLKT-07/2026"},
        issued_at=DUE,
        signer="UBND xã Tân An",
    )
    text = text_of(slips.result_document(info))
    for expected in (
        "TRÍCH LỤC KHAI TỬ",
        "Số: TLKT-07/2026",
        "Họ, chữ đệm, tên người đã chết: Lê Văn Tư",
        "Số định danh cá nhân: 001045067890",
        "Ngày chết: 27/02/2026",
        "Nơi chết: Tại nhà",
        "Nguyên nhân chết: Tuổi già",
        "Người đi đăng ký khai tử: Lê Thị Năm",
    ):
        assert expected in text, expected


def test_a_key_file_that_cannot_be_read_is_a_signing_error(tmp_path):
    path = signing.issue_agency_key(tmp_path, "H29.01", "UBND xã Tân An", password="đúng")
    data = slips.refusal(AGENCY, dossier(), reasons=["x"], refused_at=DUE)
    for p12, password in ((path.read_bytes(), "sai"), (b"not a key", "")):
        try:
            signing.sign_pdf(data, p12, password)
        except signing.SigningError as exc:
            assert "cannot be read" in str(exc)
        else:
            raise AssertionError("signed with a key that cannot be read")
    signed = signing.sign_pdf(data, path.read_bytes(), "đúng")
    result = signing.verify_pdf(signed.pdf, signing.load_trust_roots(tmp_path))
    assert result.valid and result.signed_by == "UBND xã Tân An"


def test_the_font_ships_with_its_license():
    fonts = Path(pdf.__file__).parent / "fonts"
    assert {p.name for p in fonts.iterdir()} >= {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE"}
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    shipped = project["tool"]["setuptools"]["package-data"]["api.documents"]
    assert "fonts/*.ttf" in shipped and "fonts/LICENSE" in shipped
