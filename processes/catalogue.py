"""The procedure catalogue as data: what each procedure and each interlinked group is, who
handles it, and its legal deadline, read from descriptors that travel with the diagrams.

A procedure is described by a JSON descriptor (its national code, name, agency kind, legal
deadline, declaration form, legal basis), beside its diagram and forms; an interlinked group
by a group descriptor (its members and their shares of the group's time) beside its
collaboration diagram. The platform's catalogue is what designers have deployed (the API keeps
each version's descriptor with its diagram); the descriptors under `bpmn/procedures/` and
`bpmn/groups/` are what this repository ships, deployed by `motcua procedures deploy` like any
designer's. `Procedure.from_descriptor` and `Group.from_descriptor` validate a descriptor and
name every field that is wrong. Nothing here knows about the web or the database.

National codes marked "verify" in a descriptor's note are to be checked against the national
database of procedures before a province goes live; they are data, not logic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
# An installed wheel carries bpmn/ and forms/ inside this package (see the package-dir mapping
# in pyproject.toml); a checkout or an editable install reads them at the repository root.
_SHIPPED_DATA = Path(__file__).resolve().parent / "_data"
DATA_ROOT = _SHIPPED_DATA if (_SHIPPED_DATA / "bpmn").is_dir() else REPO_ROOT
BPMN_DIR = DATA_ROOT / "bpmn"
FORMS_DIR = DATA_ROOT / "forms"
PROCEDURES_DIR = BPMN_DIR / "procedures"
GROUPS_DIR = BPMN_DIR / "groups"

# A national code ("1.001193"), a group's ("LT-KS"): letters, digits, dots and dashes.
CODE_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-]{0,31}")
# An element id: what a process id must be to be found in its diagram.
_PROCESS_ID = re.compile(r"[A-Za-z_][\w.\-]{0,254}")
_FORM_KEY = re.compile(r"[\w.\-]{1,100}/[\w.\-]{1,100}")
_MAX_TEXT = 2000
_MAX_DAYS = Decimal(365)


class AgencyKind(StrEnum):
    """Kinds of agency; names change with reorganisations, kinds stay (names are data)."""

    COMMUNE = "ubnd_xa"  # UBND xã / phường: tư pháp – hộ tịch
    POLICE = "cong_an"  # Công an: cư trú
    SOCIAL_INSURANCE = "bhxh"  # Bảo hiểm xã hội: thẻ BHYT
    SOCIAL_PROTECTION = "bao_tro_xa_hoi"


class DeadlineUnit(StrEnum):
    WORKING_DAYS = "working_days"


class DescriptorError(ValueError):
    """A descriptor that is not a valid procedure or group; `errors` names each field."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class LegalDeadline:
    value: Decimal
    unit: DeadlineUnit = DeadlineUnit.WORKING_DAYS
    note: str = ""


@dataclass(frozen=True)
class Procedure:
    code: str  # national TTHC code, e.g. "1.001193"
    slug: str  # the prefix of its form keys ("khai_sinh" in "khai_sinh/tiep_nhan")
    name: str
    agency_kind: AgencyKind
    deadline: LegalDeadline
    process_id: str  # the executable process inside the diagram
    declaration_form: str  # form key of the data submitted with the dossier
    legal_basis: str = ""
    # The form of the part of a group's declaration that concerns this procedure, when it
    # follows another agency's in a group (the citizen declares it once, at the first agency).
    group_part_form: str | None = None
    # Working days the applicant has to bring a supplement asked during processing; then the
    # dossier is stopped (status 8). Seven for the interlinked groups' procedures.
    supplement_days: Decimal = Decimal(7)

    def descriptor(self) -> dict[str, Any]:
        """Returns the procedure as its JSON descriptor (what `from_descriptor` reads)."""
        return {
            "kind": "procedure",
            "code": self.code,
            "name": self.name,
            "agency_kind": self.agency_kind.value,
            "process_id": self.process_id,
            "form_prefix": self.slug,
            "legal_deadline": _deadline_json(self.deadline),
            "declaration_form": self.declaration_form,
            "group_part_form": self.group_part_form,
            "supplement_days": str(self.supplement_days),
            "legal_basis": self.legal_basis,
        }

    @classmethod
    def from_descriptor(cls, data: Any) -> Procedure:
        """Returns the procedure a descriptor describes; DescriptorError naming every field
        that is missing or wrong."""
        fields = _Fields(data, "procedure")
        code = fields.code("code")
        process_id = fields.text("process_id", pattern=_PROCESS_ID, what="an element id")
        prefix = fields.text(
            "form_prefix", required=False, pattern=_PROCESS_ID, what="a folder name"
        )
        declaration = fields.text("declaration_form", pattern=_FORM_KEY, what="a form key")
        part_form = fields.text(
            "group_part_form", required=False, pattern=_FORM_KEY, what="a form key"
        )
        procedure = cls(
            code=code,
            slug=prefix or (declaration.split("/", 1)[0] if declaration else process_id),
            name=fields.text("name", pattern=None),
            agency_kind=fields.choice("agency_kind", AgencyKind),
            deadline=fields.deadline("legal_deadline"),
            process_id=process_id,
            declaration_form=declaration,
            legal_basis=fields.text("legal_basis", required=False, pattern=None),
            group_part_form=part_form or None,
            supplement_days=fields.days("supplement_days", default=Decimal(7), minimum=1),
        )
        fields.done()
        return procedure


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
    slug: str  # the collaboration's file name (bpmn/groups/<slug>.bpmn when shipped)
    name: str
    deadline: LegalDeadline
    members: tuple[GroupMember, ...]  # the first receives the submission
    deadline_verification: LegalDeadline | None = None
    min_procedures: int = 0  # how many procedures, the first included, may be chosen (0: all)
    max_procedures: int = 0
    legal_basis: str = ""

    @property
    def first(self) -> GroupMember:
        return self.members[0]

    def member(self, code: str) -> GroupMember | None:
        return next((m for m in self.members if m.code == code), None)

    def deadline_days(self, verification: bool) -> Decimal:
        if verification and self.deadline_verification is not None:
            return self.deadline_verification.value
        return self.deadline.value

    def descriptor(self) -> dict[str, Any]:
        """Returns the group as its JSON descriptor (what `from_descriptor` reads)."""
        return {
            "kind": "group",
            "code": self.code,
            "name": self.name,
            "slug": self.slug,
            "legal_deadline": _deadline_json(self.deadline),
            "legal_deadline_verification": (
                _deadline_json(self.deadline_verification)
                if self.deadline_verification is not None
                else None
            ),
            "members": [
                {
                    "code": m.code,
                    "share_days": str(m.share_days),
                    "share_days_verification": (
                        str(m.share_days_verification)
                        if m.share_days_verification is not None
                        else None
                    ),
                    "optional": m.optional,
                }
                for m in self.members
            ],
            "min_procedures": self.min_procedures,
            "max_procedures": self.max_procedures,
            "legal_basis": self.legal_basis,
        }

    @classmethod
    def from_descriptor(cls, data: Any) -> Group:
        """Returns the group a descriptor describes; DescriptorError naming every field that
        is missing or wrong."""
        fields = _Fields(data, "group")
        code = fields.code("code")
        members = fields.members("members")
        group = cls(
            code=code,
            slug=fields.text("slug", required=False, pattern=_PROCESS_ID, what="a file name")
            or code.lower(),
            name=fields.text("name", pattern=None),
            deadline=fields.deadline("legal_deadline"),
            deadline_verification=fields.deadline("legal_deadline_verification", required=False),
            members=members,
            min_procedures=fields.count("min_procedures", len(members) or 20),
            max_procedures=fields.count("max_procedures", len(members) or 20),
            legal_basis=fields.text("legal_basis", required=False, pattern=None),
        )
        if group.max_procedures and group.min_procedures > group.max_procedures:
            fields.fail("min_procedures", "more than max_procedures")
        fields.done()
        return group


@dataclass(frozen=True)
class ProcedureSources:
    """Returns nothing; holds the bytes of a diagram and its forms, as deployed together."""

    bpmn: bytes
    forms: dict[str, dict]


@dataclass(frozen=True)
class Package:
    """A descriptor file read with what it names: the procedure or group, its diagram, and
    its forms (a group's: every member's)."""

    path: Path
    entry: Procedure | Group
    sources: ProcedureSources


def _deadline_json(deadline: LegalDeadline) -> dict[str, str]:
    return {"working_days": str(deadline.value), "note": deadline.note}


class _Fields:
    """Reads a descriptor's fields, collecting every error before raising them together."""

    def __init__(self, data: Any, kind: str):
        self.errors: dict[str, list[str]] = {}
        if not isinstance(data, Mapping):
            raise DescriptorError({"descriptor": ["must be a JSON object"]})
        self.data = data
        self.known = {"kind", "diagram", "forms"}
        declared = data.get("kind", kind)
        if declared != kind:
            self.fail("kind", f"must be {kind!r}")

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def done(self) -> None:
        for field in sorted(set(self.data) - self.known, key=str)[:10]:
            self.fail(str(field)[:100], "unknown field")
        if self.errors:
            raise DescriptorError(self.errors)

    def _get(self, field: str, required: bool):
        self.known.add(field)
        value = self.data.get(field)
        if value is None and required:
            self.fail(field, "required")
        return value

    def text(self, field, *, required=True, pattern, what="") -> str:
        value = self._get(field, required)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip() and required:
            self.fail(field, "must be a non-blank string")
            return ""
        if len(value) > _MAX_TEXT:
            self.fail(field, f"at most {_MAX_TEXT} characters")
            return ""
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(field, f"must be {what}")
            return ""
        return value.strip() if pattern is None else value

    def code(self, field: str) -> str:
        return self.text(field, pattern=CODE_PATTERN, what="a code of letters, digits, . and -")

    def choice(self, field: str, enum):
        value = self._get(field, True)
        try:
            return enum(value) if value is not None else next(iter(enum))
        except ValueError:
            self.fail(field, "one of " + ", ".join(e.value for e in enum))
            return next(iter(enum))

    def days(self, field, *, required=False, default=None, minimum=0, value=None, known=True):
        if known:
            value = self._get(field, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(field, "must be a number of working days")
            return default
        try:
            days = Decimal(str(value))
        except InvalidOperation:
            self.fail(field, "must be a number of working days")
            return default
        if not days.is_finite() or days < minimum or days > _MAX_DAYS or days % Decimal("0.125"):
            self.fail(
                field, f"from {minimum} to {_MAX_DAYS} working days, in eighths of a day at most"
            )
            return default
        return days

    def deadline(self, field: str, required: bool = True) -> LegalDeadline | None:
        value = self._get(field, required)
        if value is None:
            return LegalDeadline(Decimal(0)) if required else None
        if not isinstance(value, Mapping) or set(value) - {"working_days", "note"}:
            self.fail(field, "must be {working_days, note}")
            return LegalDeadline(Decimal(0))
        days = self.days(
            f"{field}.working_days", value=value.get("working_days"), known=False, required=True
        )
        if value.get("working_days") is None:
            self.fail(f"{field}.working_days", "required")
        note = value.get("note") or ""
        if not isinstance(note, str) or len(note) > _MAX_TEXT:
            self.fail(f"{field}.note", f"a text of at most {_MAX_TEXT} characters")
            note = ""
        return LegalDeadline(days if days is not None else Decimal(0), note=note)

    def count(self, field: str, most: int) -> int:
        value = self._get(field, False)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
            self.fail(field, f"a whole number from 0 to {most}")
            return 0
        return value

    def members(self, field: str) -> tuple[GroupMember, ...]:
        value = self._get(field, True)
        if value is None:
            return ()
        if not isinstance(value, list) or not 2 <= len(value) <= 20:
            self.fail(field, "a list of 2 to 20 members, the receiving procedure first")
            return ()
        members, seen = [], set()
        for i, item in enumerate(value):
            where = f"{field}.{i}"
            if not isinstance(item, Mapping) or set(item) - {
                "code",
                "share_days",
                "share_days_verification",
                "optional",
            }:
                self.fail(where, "must be {code, share_days, share_days_verification, optional}")
                continue
            code = item.get("code")
            if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
                self.fail(f"{where}.code", "must be a procedure code")
                continue
            if code in seen:
                self.fail(f"{where}.code", "named twice")
            seen.add(code)
            optional = item.get("optional", False)
            if not isinstance(optional, bool) or (optional and i == 0):
                self.fail(f"{where}.optional", "true or false; the first member is not optional")
            share = self.days(
                f"{where}.share_days", value=item.get("share_days"), known=False, required=True
            )
            if item.get("share_days") is None:
                self.fail(f"{where}.share_days", "required")
            verification = self.days(
                f"{where}.share_days_verification",
                value=item.get("share_days_verification"),
                known=False,
            )
            members.append(GroupMember(code, share or Decimal(0), verification, optional is True))
        return tuple(members)


def read_forms(folder: Path, prefix: str) -> dict[str, dict]:
    """Returns the JSON Schema forms of a folder, keyed `<prefix>/<file stem>`."""
    return {
        f"{prefix}/{path.stem}": json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.json"))
    }


def read_package(path: Path) -> Package:
    """Returns a descriptor file with its diagram and forms: `diagram` names the BPMN file,
    and `forms` the folder of its forms (a group: `forms` maps each member's form prefix to
    its folder), both relative to the descriptor. DescriptorError for a bad descriptor,
    OSError for a file that cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DescriptorError({"descriptor": [f"not JSON: {error}"]}) from None
    if not isinstance(data, Mapping):
        raise DescriptorError({"descriptor": ["must be a JSON object"]})
    entry = (Group if data.get("kind") == "group" else Procedure).from_descriptor(data)
    here = path.parent
    diagram, forms_spec = data.get("diagram"), data.get("forms")
    errors: dict[str, list[str]] = {}
    if not isinstance(diagram, str) or not diagram:
        errors["diagram"] = ["the path of the BPMN file, relative to the descriptor"]
    if isinstance(entry, Procedure):
        forms_spec = {entry.slug: forms_spec} if isinstance(forms_spec, str) else None
    if not isinstance(forms_spec, Mapping) or not all(
        isinstance(v, str) for v in forms_spec.values()
    ):
        errors["forms"] = [
            "the folder of its forms, relative to the descriptor"
            + (" (a group: by form prefix)" if isinstance(entry, Group) else "")
        ]
    if errors:
        raise DescriptorError(errors)
    forms: dict[str, dict] = {}
    for prefix, folder in forms_spec.items():
        forms.update(read_forms(here / folder, prefix))
    return Package(path, entry, ProcedureSources((here / diagram).read_bytes(), forms))


def _shipped() -> tuple[dict[str, Package], dict[str, Package]]:
    procedures = [read_package(p) for p in sorted(PROCEDURES_DIR.glob("*.json"))]
    groups = [read_package(p) for p in sorted(GROUPS_DIR.glob("*.json"))]
    return {p.entry.code: p for p in procedures}, {g.entry.code: g for g in groups}


# What the repository ships, read from its descriptors: the demo and the tests deploy these.
# The platform itself looks procedures up among the deployed versions (api/services/catalogue).
SHIPPED_PACKAGES, SHIPPED_GROUP_PACKAGES = _shipped()
CATALOGUE: dict[str, Procedure] = {c: p.entry for c, p in SHIPPED_PACKAGES.items()}
GROUPS: dict[str, Group] = {c: g.entry for c, g in SHIPPED_GROUP_PACKAGES.items()}


def read_sources(procedure: Procedure) -> ProcedureSources:
    """Returns the diagram bytes and every form of a shipped procedure."""
    return SHIPPED_PACKAGES[procedure.code].sources
