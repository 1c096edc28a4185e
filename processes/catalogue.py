"""The procedure catalogue: what each procedure is, who handles it, and its legal deadline.

Metadata lives here as plain Python; the diagram and forms live as data under `bpmn/` and
`forms/` (at the repository root in a checkout, under `processes/_data/` once installed).
`read_sources` gathers a procedure's files so the API layer can store them as a procedure
version; nothing here knows about the web or the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# An installed wheel carries bpmn/ and forms/ inside this package (see the package-dir mapping
# in pyproject.toml); a checkout or an editable install reads them at the repository root.
_SHIPPED_DATA = Path(__file__).resolve().parent / "_data"
DATA_ROOT = _SHIPPED_DATA if (_SHIPPED_DATA / "bpmn").is_dir() else REPO_ROOT
BPMN_DIR = DATA_ROOT / "bpmn"
FORMS_DIR = DATA_ROOT / "forms"


class AgencyKind(StrEnum):
    """Kinds of agency; names change with reorganisations, kinds stay (names are data)."""

    COMMUNE = "ubnd_xa"  # UBND xã / phường: tư pháp – hộ tịch
    POLICE = "cong_an"  # Công an: cư trú
    SOCIAL_INSURANCE = "bhxh"  # Bảo hiểm xã hội: thẻ BHYT
    SOCIAL_PROTECTION = "bao_tro_xa_hoi"


class DeadlineUnit(StrEnum):
    WORKING_DAYS = "working_days"


@dataclass(frozen=True)
class LegalDeadline:
    value: Decimal
    unit: DeadlineUnit = DeadlineUnit.WORKING_DAYS
    note: str = ""


@dataclass(frozen=True)
class Procedure:
    code: str  # national TTHC code, e.g. "1.001193"
    slug: str  # folder name under bpmn/ and forms/
    name: str
    agency_kind: AgencyKind
    deadline: LegalDeadline
    process_id: str  # the executable process inside the diagram
    declaration_form: str  # form key of the data submitted with the dossier
    legal_basis: str = ""

    @property
    def bpmn_path(self) -> Path:
        return BPMN_DIR / self.slug / f"{self.slug}.bpmn"


@dataclass(frozen=True)
class ProcedureSources:
    """Returns nothing; holds the bytes of a diagram and its forms, as deployed together."""

    bpmn: bytes
    forms: dict[str, dict]


CATALOGUE: dict[str, Procedure] = {
    p.code: p
    for p in (
        Procedure(
            code="1.001193",
            slug="khai_sinh",
            name="Đăng ký khai sinh",
            agency_kind=AgencyKind.COMMUNE,
            deadline=LegalDeadline(
                Decimal("0"),
                note=(
                    "Ngay trong ngày tiếp nhận; nhận sau 15 giờ thì trả kết quả "
                    "trong ngày làm việc tiếp theo"
                ),
            ),
            process_id="khai_sinh",
            declaration_form="khai_sinh/to_khai",
            legal_basis="Luật Hộ tịch 2014; Nghị định 123/2015/NĐ-CP; Nghị định 63/2024/NĐ-CP",
        ),
    )
}


def read_sources(procedure: Procedure, forms_dir: Path = FORMS_DIR) -> ProcedureSources:
    """Returns the diagram bytes and every form of a procedure, read from the data folders."""
    forms = {
        f"{procedure.slug}/{path.stem}": json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((forms_dir / procedure.slug).glob("*.json"))
    }
    return ProcedureSources(bpmn=procedure.bpmn_path.read_bytes(), forms=forms)
