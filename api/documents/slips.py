"""The legal slips of the one-stop counter (Decree 61/2018/NĐ-CP; the forms of Circular
01/2018/TT-VPCP, kept by Circular 03/2025) and the result documents a signing step issues.

Pure: each function takes plain dataclasses and returns the PDF's bytes. What each slip
carries is listed in docs/domain.md#legal-slips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle

from .pdf import Page, day_text, moment_text, short_day, text

CHANNELS = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Qua dịch vụ bưu chính công ích"}
OUTCOMES = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}
COPY_KINDS = {"original": "Bản chính", "copy": "Bản sao"}

RECEIPT = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
SUPPLEMENT = "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
REFUSAL = "Phiếu từ chối tiếp nhận giải quyết hồ sơ"
APOLOGY = "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
CONTROL = "Phiếu kiểm soát quá trình giải quyết hồ sơ"
REGISTER = "Sổ theo dõi hồ sơ"
STOP = "Thông báo dừng xử lý hồ sơ"


@dataclass(frozen=True)
class AgencyInfo:
    code: str
    name: str
    place: str = ""  # where the slip is issued, for "…, ngày … tháng … năm …"


@dataclass(frozen=True)
class Person:
    full_name: str
    address: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Item:
    """A document handed in: its name, original or copy, how many."""

    name: str
    kind: str = ""
    count: int = 1


@dataclass(frozen=True)
class DossierInfo:
    code: str
    procedure_code: str
    procedure_name: str
    applicant: Person
    received_at: datetime
    due_at: datetime
    deadline_days: Decimal | int | str = ""
    channel: int = 1
    items: tuple[Item, ...] = ()
    received_by: str = ""  # the reception officer's name


@dataclass(frozen=True)
class ControlRow:
    """One agency's part of an interlinked dossier on the control slip."""

    agency: str
    procedure: str
    handed_over_at: datetime | None
    taken_over_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    outcome: str | None  # early | on_time | late
    status: str = ""


@dataclass(frozen=True)
class RegisterRow:
    code: str
    procedure: str
    applicant: str
    contact: str
    agency: str
    received_at: datetime
    due_at: datetime
    finished_at: datetime | None
    status: str
    outcome: str | None
    count: int = 1


def _place_day(agency: AgencyInfo, at: datetime | date) -> str:
    place = agency.place or agency.name
    return f"{place}, {day_text(at)}"


def _dossier_lines(page: Page, dossier: DossierInfo) -> None:
    page.line("Mã hồ sơ", dossier.code, bold_value=True)
    page.line("Ông/Bà", dossier.applicant.full_name, bold_value=True)
    if dossier.applicant.address:
        page.line("Địa chỉ", dossier.applicant.address)
    contact = ", ".join(
        part
        for part in (
            f"Số điện thoại: {dossier.applicant.phone}" if dossier.applicant.phone else "",
            f"Email: {dossier.applicant.email}" if dossier.applicant.email else "",
        )
        if part
    )
    if contact:
        page.line(contact)
    page.line(
        "Nội dung yêu cầu giải quyết",
        f"{dossier.procedure_name} (mã thủ tục {dossier.procedure_code})",
    )


def _addressed(title: str, agency: AgencyInfo, dossier: DossierInfo, issued_at: datetime) -> Page:
    """Returns a slip's page opened as the forms about a received dossier open: the header,
    the agency received the dossier of the applicant, and when it was received."""
    page = Page(title, subject=dossier.code)
    page.header(agency.name, place_day=_place_day(agency, issued_at))
    page.line(f"{agency.name} đã tiếp nhận hồ sơ của:")
    _dossier_lines(page, dossier)
    page.line("Thời gian nhận hồ sơ", moment_text(dossier.received_at))
    return page


def _qr(value: str, size_mm: float = 34) -> Drawing:
    widget = QrCodeWidget(value, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    size = size_mm * mm
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def receipt(
    agency: AgencyInfo, dossier: DossierInfo, *, lookup_secret: str, lookup_url: str
) -> bytes:
    """Giấy tiếp nhận hồ sơ và hẹn trả kết quả (form 01)."""
    page = Page(RECEIPT, subject=dossier.code)
    page.header(agency.name, place_day=_place_day(agency, dossier.received_at))
    page.subtitle(f"Mã hồ sơ: {dossier.code}")
    page.line(f"{agency.name} đã tiếp nhận hồ sơ của:")
    page.line("Ông/Bà", dossier.applicant.full_name, bold_value=True)
    if dossier.applicant.address:
        page.line("Địa chỉ", dossier.applicant.address)
    if dossier.applicant.phone:
        page.line("Số điện thoại", dossier.applicant.phone)
    if dossier.applicant.email:
        page.line("Email", dossier.applicant.email)
    page.line(
        "Nội dung yêu cầu giải quyết",
        f"{dossier.procedure_name} (mã thủ tục {dossier.procedure_code})",
    )
    page.line("Hình thức nộp", CHANNELS.get(dossier.channel, str(dossier.channel)))
    page.space(2)
    page.line("1. Thành phần hồ sơ nộp gồm:")
    if dossier.items:
        page.table(
            ["STT", "Tên giấy tờ", "Loại bản", "Số lượng"],
            [
                [i, item.name, COPY_KINDS.get(item.kind, item.kind), item.count]
                for i, item in enumerate(dossier.items, 1)
            ],
            [0.08, 0.6, 0.17, 0.15],
        )
    else:
        page.line("(không có giấy tờ kèm theo)")
    page.line("2. Số lượng hồ sơ", "01 (bộ)")
    if dossier.deadline_days != "":
        days = _days(dossier.deadline_days)
        page.line(
            "3. Thời gian giải quyết hồ sơ theo quy định",
            "trong ngày làm việc" if days == "0" else f"{days} ngày làm việc",
        )
    page.line("4. Thời gian nhận hồ sơ", moment_text(dossier.received_at))
    page.line("5. Thời gian trả kết quả giải quyết hồ sơ", moment_text(dossier.due_at))
    page.line("6. Đăng ký nhận kết quả tại", agency.name)
    page.space(2)
    s = page.styles
    lookup = [
        Paragraph(f"Mã tra cứu: <b>{text(lookup_secret)}</b>", s.body),
        Paragraph(
            text(
                "Quét mã QR hoặc nhập mã hồ sơ và mã tra cứu trên trang tra cứu để theo dõi "
                "tình trạng giải quyết hồ sơ."
            ),
            s.small,
        ),
    ]
    table = Table([[lookup, _qr(lookup_url)]], colWidths=[page.width - 40 * mm, 40 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    page.add(table)
    page.signatures(
        ("Người nộp hồ sơ", "(Ký và ghi rõ họ tên)", dossier.applicant.full_name),
        ("Người tiếp nhận hồ sơ", "(Ký và ghi rõ họ tên)", dossier.received_by),
    )
    return page.pdf()


def supplement_request(
    agency: AgencyInfo,
    dossier: DossierInfo,
    *,
    items: Sequence[str],
    reason: str,
    requested_at: datetime,
    window_ends_at: datetime | None = None,
    officer: str = "",
) -> bytes:
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (form 02): every missing item at once."""
    page = _addressed(SUPPLEMENT, agency, dossier, requested_at)
    page.space(2)
    page.line("Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:")
    page.lines(items)
    if reason:
        page.line("Lý do", reason)
    if window_ends_at is not None:
        page.line("Thời hạn bổ sung, hoàn thiện hồ sơ", f"trước {moment_text(window_ends_at)}")
    page.line(
        f"Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, Ông/Bà liên hệ với {agency.name}"
        f" ({officer or 'cán bộ tiếp nhận'}) để được hướng dẫn."
    )
    page.signatures(("Người hướng dẫn", "(Ký và ghi rõ họ tên)", officer))
    return page.pdf()


def refusal(
    agency: AgencyInfo,
    dossier: DossierInfo,
    *,
    reasons: Sequence[str],
    refused_at: datetime,
    officer: str = "",
) -> bytes:
    """Phiếu từ chối tiếp nhận giải quyết hồ sơ (form 03), with the reasons."""
    page = _addressed(REFUSAL, agency, dossier, refused_at)
    page.space(2)
    page.line(
        "Qua xem xét, cơ quan thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể"
        " như sau:"
    )
    page.lines(reasons)
    page.line("Xin thông báo cho Ông/Bà được biết và thực hiện.")
    page.signatures(("Người tiếp nhận hồ sơ", "(Ký và ghi rõ họ tên)", officer))
    return page.pdf()


def apology(
    agency: AgencyInfo,
    dossier: DossierInfo,
    *,
    reason: str,
    original_due_at: datetime,
    new_due_at: datetime,
    apologized_at: datetime,
    signer: str = "",
) -> bytes:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (form 04), signed by the head of the agency."""
    page = _addressed(APOLOGY, agency, dossier, apologized_at)
    page.line("Thời gian hẹn trả kết quả giải quyết hồ sơ", moment_text(original_due_at))
    page.space(2)
    page.line(f"Tuy nhiên đến nay, {agency.name} chưa trả kết quả giải quyết hồ sơ cho Ông/Bà.")
    page.line("Lý do", reason)
    page.line(
        f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {agency.name} xin lỗi Ông/Bà và hẹn "
        "lại thời gian trả kết quả giải quyết hồ sơ vào"
    )
    page.line("Thời gian hẹn trả kết quả mới", moment_text(new_due_at), bold_value=True)
    page.signatures(("Thủ trưởng cơ quan", "(Ký, ghi rõ họ tên và đóng dấu)", signer))
    return page.pdf()


def control_slip(
    agency: AgencyInfo,
    *,
    code: str,
    group_name: str,
    applicant: Person,
    received_at: datetime,
    due_at: datetime,
    rows: Sequence[ControlRow],
    printed_at: datetime,
    outcome: str | None = None,
    original_due_at: datetime | None = None,
    apology_by: str | None = None,
) -> bytes:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ (form 05): each agency's hand-over and
    take-over times, due date, finish and outcome; after an apology, the first appointment
    and the agency that moved it."""
    page = Page(CONTROL, wide=True, subject=code)
    page.header(agency.name, place_day=_place_day(agency, printed_at))
    page.line("Mã hồ sơ", code, bold_value=True)
    page.line("Tên thủ tục (liên thông)", group_name)
    page.line("Người nộp hồ sơ", applicant.full_name, bold_value=True)
    page.line("Cơ quan tiếp nhận", agency.name)
    page.line("Thời gian nhận hồ sơ", moment_text(received_at))
    if original_due_at is not None:
        page.line("Thời gian hẹn trả kết quả (lần đầu)", moment_text(original_due_at))
        page.line("Thời gian hẹn lại trả kết quả", moment_text(due_at), bold_value=True)
        if apology_by:
            page.line("Cơ quan xin lỗi, hẹn lại", apology_by)
    else:
        page.line("Thời gian hẹn trả kết quả", moment_text(due_at))
    page.space(2)
    page.table(
        [
            "STT",
            "Cơ quan giải quyết",
            "Thủ tục",
            "Giao hồ sơ",
            "Nhận hồ sơ",
            "Hạn giải quyết",
            "Hoàn thành",
            "Kết quả giải quyết",
            "Ghi chú",
        ],
        [
            [
                i,
                row.agency,
                row.procedure,
                _moment(row.handed_over_at),
                _moment(row.taken_over_at),
                _moment(row.due_at),
                _moment(row.finished_at),
                OUTCOMES.get(row.outcome or "", "Đang giải quyết"),
                row.status,
            ]
            for i, row in enumerate(rows, 1)
        ],
        [0.04, 0.15, 0.16, 0.11, 0.11, 0.11, 0.11, 0.09, 0.12],
        dense=True,
    )
    if outcome:
        page.space(2)
        page.line("Kết quả chung của hồ sơ", OUTCOMES.get(outcome, outcome), bold_value=True)
    page.signatures(("Người lập phiếu", "(Ký và ghi rõ họ tên)", ""))
    return page.pdf()


def register(
    agency: AgencyInfo, *, start: date, end: date, rows: Sequence[RegisterRow], printed_at
) -> bytes:
    """Sổ theo dõi hồ sơ (form 06) for a period: one row per dossier received in it."""
    page = Page(REGISTER, wide=True, subject=f"{agency.code} {start}..{end}")
    page.header(agency.name, place_day=_place_day(agency, printed_at))
    page.subtitle(f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}")
    page.table(
        [
            "STT",
            "Mã hồ sơ",
            "Tên thủ tục hành chính",
            "Số lượng hồ sơ (bộ)",
            "Tên cá nhân, tổ chức",
            "Địa chỉ, số điện thoại",
            "Cơ quan chủ trì giải quyết",
            "Nhận hồ sơ",
            "Hẹn trả kết quả",
            "Trả kết quả",
            "Trạng thái",
            "Ghi chú",
        ],
        [
            [
                i,
                row.code,
                row.procedure,
                row.count,
                row.applicant,
                row.contact,
                row.agency,
                short_day(row.received_at),
                short_day(row.due_at),
                short_day(row.finished_at),
                row.status,
                OUTCOMES.get(row.outcome or "", ""),
            ]
            for i, row in enumerate(rows, 1)
        ],
        [0.03, 0.14, 0.13, 0.045, 0.1, 0.1, 0.09, 0.07, 0.07, 0.07, 0.085, 0.07],
        dense=True,
        plain=(0, 1, 3, 7, 8, 9),
    )
    page.space(2)
    page.line("Tổng số hồ sơ", str(len(rows)))
    return page.pdf()


def stop_notice(
    agency: AgencyInfo,
    dossier: DossierInfo,
    *,
    reason: str,
    stopped_at: datetime,
    signer: str = "",
) -> bytes:
    """Thông báo dừng xử lý hồ sơ (status 8), with the reason."""
    page = _addressed(STOP, agency, dossier, stopped_at)
    page.line("Thời gian hẹn trả kết quả", moment_text(dossier.due_at))
    page.space(2)
    page.line(f"{agency.name} thông báo dừng xử lý hồ sơ nêu trên kể từ {moment_text(stopped_at)}.")
    page.line("Lý do", reason)
    page.line("Xin thông báo cho Ông/Bà được biết.")
    page.signatures(("Thủ trưởng cơ quan", "(Ký, ghi rõ họ tên và đóng dấu)", signer))
    return page.pdf()


# --- result documents (issued by a signing step; see api/services/documents.py) ---------

SEXES = {"male": "Nam", "female": "Nữ"}


def _get(data: dict[str, Any], *path: str) -> str:
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def _iso_day(value: str) -> str:
    try:
        return short_day(date.fromisoformat(value))
    except ValueError:
        return value


@dataclass(frozen=True)
class ResultInfo:
    """What a result document shows: the dossier, the declaration and the answers of the
    steps so far (registration number, personal id…), and who signs."""

    template: str
    agency: AgencyInfo
    code: str
    declaration: dict[str, Any]
    answers: dict[str, Any]
    issued_at: datetime
    signer: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _birth_extract(info: ResultInfo) -> bytes:
    d, a = info.declaration, info.answers
    page = Page("Trích lục khai sinh", subject=info.code)
    page.header(
        info.agency.name,
        number=f"Số: {a.get('registration_number', '')}",
        place_day=_place_day(info.agency, info.issued_at),
    )
    page.subtitle("(Bản chính)")
    page.line("Họ, chữ đệm, tên", _get(d, "child", "full_name"), bold_value=True)
    page.line("Ngày, tháng, năm sinh", _iso_day(_get(d, "child", "date_of_birth")))
    page.line("Giới tính", SEXES.get(_get(d, "child", "sex"), _get(d, "child", "sex")))
    page.line("Dân tộc", _get(d, "child", "ethnicity") or "Kinh")
    page.line("Quốc tịch", _get(d, "child", "nationality") or "Việt Nam")
    page.line("Nơi sinh", _get(d, "child", "place_of_birth"))
    page.line("Số định danh cá nhân", a.get("personal_id", ""))
    page.space(2)
    page.line("Họ, chữ đệm, tên người mẹ", _get(d, "mother", "full_name"))
    if _get(d, "father", "full_name"):
        page.line("Họ, chữ đệm, tên người cha", _get(d, "father", "full_name"))
    page.line("Người đi đăng ký khai sinh", _get(d, "declarant", "full_name"))
    page.line("Nơi đăng ký khai sinh", info.agency.name)
    page.line("Ngày đăng ký", day_text(info.issued_at))
    page.line("Mã hồ sơ", info.code)
    page.signatures(("Người ký trích lục", "(Ký số)", info.signer))
    return page.pdf()


def _death_extract(info: ResultInfo) -> bytes:
    d, a = info.declaration, info.answers
    deceased = d.get("deceased") if isinstance(d.get("deceased"), dict) else {}
    page = Page("Trích lục khai tử", subject=info.code)
    page.header(
        info.agency.name,
        number=f"Số: {a.get('extract_number') or a.get('registration_number', '')}",
        place_day=_place_day(info.agency, info.issued_at),
    )
    page.subtitle("(Bản chính)")
    page.line("Họ, chữ đệm, tên người đã chết", _get(deceased, "full_name"), bold_value=True)
    death = d.get("death") if isinstance(d.get("death"), dict) else {}
    page.line("Giới tính", SEXES.get(_get(deceased, "sex"), _get(deceased, "sex")))
    if _get(deceased, "date_of_birth"):
        page.line("Ngày, tháng, năm sinh", _iso_day(_get(deceased, "date_of_birth")))
    page.line("Số định danh cá nhân", _get(deceased, "id_number"))
    page.line("Ngày chết", _iso_day(_get(death, "date")))
    page.line("Nơi chết", _get(death, "place"))
    page.line("Nguyên nhân chết", _get(death, "cause"))
    page.line("Người đi đăng ký khai tử", _get(d, "declarant", "full_name"))
    page.line("Nơi đăng ký khai tử", info.agency.name)
    page.line("Ngày đăng ký", day_text(info.issued_at))
    page.line("Mã hồ sơ", info.code)
    page.signatures(("Người ký trích lục", "(Ký số)", info.signer))
    return page.pdf()


RESULT_TEMPLATES = {
    "trich_luc_khai_sinh": ("Trích lục khai sinh", _birth_extract),
    "trich_luc_khai_tu": ("Trích lục khai tử", _death_extract),
}


def result_document(info: ResultInfo) -> bytes:
    """Returns the result document of a template (KeyError for one not known)."""
    return RESULT_TEMPLATES[info.template][1](info)


def _days(value: Decimal | int | str) -> str:
    if isinstance(value, Decimal):
        value = value.normalize()
        return f"{value:f}".replace(".", ",")
    return str(value)


def _moment(at: datetime | None) -> str:
    return moment_text(at) if at else ""
