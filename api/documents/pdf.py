"""The page every slip is printed on: A4, DejaVu Sans (it has every Vietnamese letter), the
national header beside the agency's name, the title, and the signatures block.

Pure: text in, PDF bytes out. Text is put in Unicode NFC (precomposed letters: the font has a
glyph for each, and a reader extracts what was meant) and escaped for reportlab's markup.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"

_registered = False


def register_fonts() -> None:
    """Registers the bundled DejaVu Sans with reportlab (once per process)."""
    global _registered
    if _registered:
        return
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR)
    _registered = True


def text(value: object) -> str:
    """Returns a value as NFC text escaped for a Paragraph ('' for None)."""
    if value is None:
        return ""
    return escape(unicodedata.normalize("NFC", str(value)))


def local(at: datetime) -> datetime:
    return at.astimezone(VIETNAM)


def day_text(day: date | datetime) -> str:
    """`ngày 02 tháng 03 năm 2026` (a datetime counts by its day in Vietnam)."""
    if isinstance(day, datetime):
        day = local(day).date()
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def moment_text(at: datetime) -> str:
    """`09 giờ 00 phút, ngày 02/03/2026`, in Vietnam's time."""
    at = local(at)
    return f"{at.hour:02d} giờ {at.minute:02d} phút, ngày {at:%d/%m/%Y}"


def short_day(day: date | datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = local(day).date()
    return f"{day:%d/%m/%Y}"


class Styles:
    def __init__(self) -> None:
        register_fonts()
        base = ParagraphStyle("body", fontName=REGULAR, fontSize=10.5, leading=14.5)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8, leading=10)
        self.cell_bold = ParagraphStyle("cell_bold", parent=self.cell, fontName=BOLD)
        self.tiny = ParagraphStyle("tiny", parent=base, fontSize=7, leading=8.5)
        self.tiny_bold = ParagraphStyle("tiny_bold", parent=self.tiny, fontName=BOLD)
        self.center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
        self.center_bold = ParagraphStyle("center_bold", parent=self.center, fontName=BOLD)
        self.italic_center = ParagraphStyle("italic_center", parent=self.center, fontSize=9.5)
        self.title = ParagraphStyle(
            "title", parent=base, fontName=BOLD, fontSize=13, leading=17, alignment=TA_CENTER
        )
        self.left = ParagraphStyle("left", parent=base, alignment=TA_LEFT)


class Page:
    """One slip being written: add paragraphs, lines, tables; `pdf()` returns the bytes."""

    def __init__(self, title: str, *, wide: bool = False, subject: str = "") -> None:
        self.styles = Styles()
        self.title = title
        self.subject = subject
        self.wide = wide
        self.story: list[Flowable] = []

    @property
    def width(self) -> float:
        size = landscape(A4) if self.wide else A4
        return size[0] - 36 * mm

    def header(self, agency: str, parent: str = "", *, number: str = "", place_day: str = ""):
        """The agency (left) beside the national header (right), then the slip's title."""
        s = self.styles
        left = []
        if parent:
            left.append(Paragraph(text(parent).upper(), s.center))
        left.append(Paragraph(f"<b>{text(agency).upper()}</b>", s.center_bold))
        left.append(Paragraph("-------", s.center))
        if number:
            left.append(Paragraph(text(number), s.center))
        right = [
            Paragraph(f"<b>{text(NATION)}</b>", s.center_bold),
            Paragraph(f"<b>{text(MOTTO)}</b>", s.center_bold),
            Paragraph("---------------", s.center),
        ]
        if place_day:
            right.append(Paragraph(f"<i>{text(place_day)}</i>", s.italic_center))
        table = Table([[left, right]], colWidths=[self.width * 0.42, self.width * 0.58])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        self.story += [table, Spacer(1, 8 * mm), Paragraph(text(self.title).upper(), s.title)]
        self.story.append(Spacer(1, 5 * mm))

    def subtitle(self, value: str) -> None:
        self.story.append(Paragraph(text(value), self.styles.center))
        self.story.append(Spacer(1, 3 * mm))

    def line(self, label: str = "", value: object = "", *, bold_value: bool = False) -> None:
        """`label: value` (the value in bold when asked); a bare label when there is none."""
        shown = text(value)
        if bold_value and shown:
            shown = f"<b>{shown}</b>"
        body = f"{text(label)}: {shown}" if label and value not in (None, "") else text(label)
        if not label:
            body = shown
        self.story.append(Paragraph(body, self.styles.body))

    def lines(self, items: Iterable[str], *, numbered: bool = True) -> None:
        for index, item in enumerate(items, 1):
            prefix = f"{index}. " if numbered else "- "
            self.story.append(Paragraph(text(prefix + item), self.styles.body))

    def space(self, height_mm: float = 3) -> None:
        self.story.append(Spacer(1, height_mm * mm))

    def table(
        self,
        head: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths: Sequence[float],
        *,
        repeat: int = 1,
        dense: bool = False,
        plain: Sequence[int] = (),
    ) -> None:
        """A ruled table; `widths` are fractions of the text width (`dense`: 7 pt, narrow
        padding, for the many columns of the register). The `plain` columns hold short text
        that never wraps (codes, dates, counts): drawn as strings, many times cheaper than
        paragraphs, which a register of thousands of rows needs."""
        s = self.styles
        head_style, cell_style = (s.tiny_bold, s.tiny) if dense else (s.cell_bold, s.cell)
        data: list[list[object]] = [[Paragraph(text(cell), head_style) for cell in head]]
        for row in rows:
            data.append(
                [
                    unicodedata.normalize("NFC", str(cell))
                    if index in plain
                    else Paragraph(text(cell), cell_style)
                    for index, cell in enumerate(row)
                ]
            )
        table = Table(data, colWidths=[self.width * w for w in widths], repeatRows=repeat)
        padding = 2 if dense else 6
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ("LEFTPADDING", (0, 0), (-1, -1), padding),
                    ("RIGHTPADDING", (0, 0), (-1, -1), padding),
                    ("FONTNAME", (0, 1), (-1, -1), cell_style.fontName),
                    ("FONTSIZE", (0, 1), (-1, -1), cell_style.fontSize),
                ]
            )
        )
        self.story.append(table)

    def signatures(self, *columns: tuple[str, str, str]) -> None:
        """Signature columns: (role, how to sign, name printed under the space)."""
        s = self.styles
        cells = []
        for role, note, name in columns:
            cells.append(
                [
                    Paragraph(f"<b>{text(role).upper()}</b>", s.center_bold),
                    Paragraph(f"<i>{text(note)}</i>", s.italic_center),
                    Spacer(1, 18 * mm),
                    Paragraph(f"<b>{text(name)}</b>", s.center_bold),
                ]
            )
        width = self.width / len(cells)
        table = Table([cells], colWidths=[width] * len(cells))
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        self.story += [Spacer(1, 6 * mm), table]

    def add(self, flowable: Flowable) -> None:
        self.story.append(flowable)

    def pdf(self) -> bytes:
        buffer = io.BytesIO()
        size = landscape(A4) if self.wide else A4
        document = SimpleDocTemplate(
            buffer,
            pagesize=size,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=15 * mm,
            bottomMargin=15 * mm,
            title=unicodedata.normalize("NFC", self.title),
            subject=unicodedata.normalize("NFC", self.subject),
            author="motcua",
            creator="motcua",
        )
        document.build(list(self.story))
        return buffer.getvalue()
