"""The procedure catalogue: what each procedure and each interlinked group is, who handles
it, and its legal deadline.

Metadata lives here as plain Python; the diagrams and forms live as data under `bpmn/` and
`forms/` (at the repository root in a checkout, under `processes/_data/` once installed).
Every procedure is one executable process; the procedures of an interlinked group are the
pools of one collaboration diagram under `bpmn/groups/`, whose message flows are the group's
handoffs. `read_sources` gathers a procedure's files so the API layer can store them as a
procedure version; nothing here knows about the web or the database.

National codes marked "(verify)" are to be checked against the national database of
procedures before a province goes live; they are data, not logic.
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
    slug: str  # folder name under forms/ (and under bpmn/ unless `diagram` says otherwise)
    name: str
    agency_kind: AgencyKind
    deadline: LegalDeadline
    process_id: str  # the executable process inside the diagram
    declaration_form: str  # form key of the data submitted with the dossier
    legal_basis: str = ""
    diagram: str = ""  # the diagram's path under bpmn/ (default: <slug>/<slug>.bpmn)
    # The form of the part of a group's declaration that concerns this procedure, when it
    # follows another agency's in a group (the citizen declares it once, at the first agency).
    group_part_form: str | None = None
    # Working days the applicant has to bring a supplement asked during processing; then the
    # dossier is stopped (status 8). Seven for the interlinked groups' procedures.
    supplement_days: Decimal = Decimal(7)

    @property
    def bpmn_path(self) -> Path:
        return BPMN_DIR / (self.diagram or f"{self.slug}/{self.slug}.bpmn")


@dataclass(frozen=True)
class GroupMember:
    """A procedure of an interlinked group, and its share of the group's time."""

    code: str  # the procedure's code
    share_days: Decimal  # working days from taking the dossier over
    share_days_verification: Decimal | None = None  # when the dossier needs verification
    optional: bool = False  # the applicant chooses whether to request it


@dataclass(frozen=True)
class Group:
    """An interlinked group: one submission at the first member's agency, one code and one
    appointment date, then the members' processes handing the dossier on by messages."""

    code: str
    slug: str  # bpmn/groups/<slug>.bpmn
    name: str
    deadline: LegalDeadline
    members: tuple[GroupMember, ...]  # the first receives the submission
    deadline_verification: LegalDeadline | None = None
    min_procedures: int = 0  # how many procedures, the first included, may be chosen (0: all)
    max_procedures: int = 0
    legal_basis: str = ""

    @property
    def bpmn_path(self) -> Path:
        return BPMN_DIR / "groups" / f"{self.slug}.bpmn"

    @property
    def first(self) -> GroupMember:
        return self.members[0]

    def member(self, code: str) -> GroupMember | None:
        return next((m for m in self.members if m.code == code), None)

    def deadline_days(self, verification: bool) -> Decimal:
        if verification and self.deadline_verification is not None:
            return self.deadline_verification.value
        return self.deadline.value


@dataclass(frozen=True)
class ProcedureSources:
    """Returns nothing; holds the bytes of a diagram and its forms, as deployed together."""

    bpmn: bytes
    forms: dict[str, dict]


_BIRTH_GROUP = "groups/lien_thong_khai_sinh.bpmn"
_DEATH_GROUP = "groups/lien_thong_khai_tu.bpmn"


def _procedure(code, slug, name, kind, days, *, diagram, legal_basis="", note="", **more):
    first = more.pop("first", False)
    return Procedure(
        code=code,
        slug=slug,
        name=name,
        agency_kind=kind,
        deadline=LegalDeadline(Decimal(days), note=note),
        process_id=slug,
        declaration_form=f"{slug}/to_khai" if first else f"{slug}/ho_so",
        legal_basis=legal_basis,
        diagram=diagram,
        group_part_form=None if first else f"{slug}/to_khai_lien_thong",
    )


CATALOGUE: dict[str, Procedure] = {
    p.code: p
    for p in (
        _procedure(
            "1.001193",
            "khai_sinh",
            "Đăng ký khai sinh",
            AgencyKind.COMMUNE,
            0,
            diagram=_BIRTH_GROUP,
            first=True,
            note=(
                "Ngay trong ngày tiếp nhận; nhận sau 15 giờ thì trả kết quả "
                "trong ngày làm việc tiếp theo"
            ),
            legal_basis="Luật Hộ tịch 2014; Nghị định 123/2015/NĐ-CP; Nghị định 63/2024/NĐ-CP",
        ),
        _procedure(
            "1.004194",  # (verify)
            "thuong_tru",
            "Đăng ký thường trú",
            AgencyKind.POLICE,
            2,
            diagram=_BIRTH_GROUP,
            legal_basis="Luật Cư trú 2020; Nghị định 154/2024/NĐ-CP; Nghị định 63/2024/NĐ-CP",
        ),
        _procedure(
            "1.011605",  # (verify)
            "bhyt_tre_em",
            "Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
            AgencyKind.SOCIAL_INSURANCE,
            2,
            diagram=_BIRTH_GROUP,
            legal_basis="Luật Bảo hiểm y tế; Nghị định 63/2024/NĐ-CP",
        ),
        _procedure(
            "1.000656",  # (verify)
            "khai_tu",
            "Đăng ký khai tử",
            AgencyKind.COMMUNE,
            0,
            diagram=_DEATH_GROUP,
            first=True,
            note="Ngay trong ngày tiếp nhận",
            legal_basis="Luật Hộ tịch 2014; Nghị định 123/2015/NĐ-CP; Nghị định 63/2024/NĐ-CP",
        ),
        _procedure(
            "1.004227",  # (verify)
            "xoa_thuong_tru",
            "Xóa đăng ký thường trú",
            AgencyKind.POLICE,
            2,
            diagram=_DEATH_GROUP,
            legal_basis="Luật Cư trú 2020; Nghị định 63/2024/NĐ-CP",
        ),
        _procedure(
            "1.011606",  # (verify)
            "tro_cap_mai_tang",
            "Giải quyết hưởng trợ cấp mai táng, tử tuất",
            AgencyKind.SOCIAL_INSURANCE,
            5,
            diagram=_DEATH_GROUP,
            legal_basis="Luật Bảo hiểm xã hội 2024; Nghị định 63/2024/NĐ-CP",
        ),
        _procedure(
            "1.011607",  # (verify)
            "ho_tro_mai_tang",
            "Hỗ trợ chi phí mai táng",
            AgencyKind.SOCIAL_PROTECTION,
            3,
            diagram=_DEATH_GROUP,
            legal_basis="Nghị định 20/2021/NĐ-CP; Nghị định 63/2024/NĐ-CP",
        ),
    )
}

GROUPS: dict[str, Group] = {
    g.code: g
    for g in (
        Group(
            code="LT-KS",
            slug="lien_thong_khai_sinh",
            name=(
                "Liên thông đăng ký khai sinh, đăng ký thường trú, "
                "cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi"
            ),
            deadline=LegalDeadline(Decimal(3)),
            deadline_verification=LegalDeadline(Decimal(5), note="Khi cần xác minh nơi thường trú"),
            members=(
                GroupMember("1.001193", Decimal(0)),
                GroupMember("1.004194", Decimal(2), Decimal(5)),
                GroupMember("1.011605", Decimal(2)),
            ),
            legal_basis="Nghị định 63/2024/NĐ-CP",
        ),
        Group(
            code="LT-KT",
            slug="lien_thong_khai_tu",
            name=(
                "Liên thông đăng ký khai tử, xóa đăng ký thường trú, "
                "trợ cấp mai táng, tử tuất, hỗ trợ chi phí mai táng"
            ),
            deadline=LegalDeadline(Decimal(5)),
            members=(
                GroupMember("1.000656", Decimal(0)),
                GroupMember("1.004227", Decimal(2), optional=True),
                GroupMember("1.011606", Decimal(5), optional=True),
                GroupMember("1.011607", Decimal(3), optional=True),
            ),
            min_procedures=2,
            max_procedures=4,
            legal_basis="Nghị định 63/2024/NĐ-CP",
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
