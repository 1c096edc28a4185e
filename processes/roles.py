"""The roles officers hold, and how a diagram's lane names map onto them.

A lane's name is what a designer types in the modeler, in Vietnamese as officers say it
("Cán bộ tiếp nhận"). The platform needs a stable code ("tiep_nhan") to grant work, so each
role lists the lane names that mean it; a lane may also be named by the code itself. A lane
name that matches no role is reported when the diagram is checked, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    lane_names: frozenset[str]


ROLES: dict[str, Role] = {
    role.code: role
    for role in (
        Role("tiep_nhan", "Cán bộ tiếp nhận", frozenset({"Tiếp nhận", "Bộ phận một cửa"})),
        Role(
            "tham_dinh",
            "Cán bộ thẩm định",
            frozenset(
                {
                    "Thẩm định",
                    "Cán bộ thụ lý",
                    "Chuyên viên thụ lý",
                    "Công chức tư pháp – hộ tịch",
                    "Cán bộ Công an thụ lý",
                    "Cán bộ Bảo hiểm xã hội",
                    "Công chức Lao động – Thương binh và Xã hội",
                    "Chuyên viên bảo trợ xã hội",
                }
            ),
        ),
        Role(
            "lanh_dao",
            "Lãnh đạo",
            frozenset(
                {
                    "Lãnh đạo UBND",
                    "Lãnh đạo cơ quan",
                    "Lãnh đạo phê duyệt",
                    "Trưởng Công an xã",
                    "Giám đốc Bảo hiểm xã hội",
                    "Chủ tịch UBND xã",
                }
            ),
        ),
        Role("van_thu", "Văn thư", frozenset({"Cán bộ trả kết quả", "Trả kết quả"})),
        # Operators: they see and retry their agency's handoffs; no lane names them, so no
        # step of a procedure is ever theirs.
        Role("quan_tri", "Quản trị hệ thống", frozenset()),
        # Process designers: they draw, check and deploy procedure versions; no lane names
        # them either.
        Role("thiet_ke", "Cán bộ thiết kế quy trình", frozenset()),
    )
}

# The leader of an agency may also release a task another officer holds.
LEADER_ROLE = "lanh_dao"
# Operators see and retry handoffs between agencies.
OPERATOR_ROLE = "quan_tri"
# Who may deploy procedure versions.
DESIGNER_ROLE = "thiet_ke"
# Only reception receives dossiers (the one-stop counter, or the officer reviewing online ones).
RECEPTION_ROLE = "tiep_nhan"


def _normalize(name: str) -> str:
    name = unicodedata.normalize("NFC", name).casefold()
    name = re.sub(r"[\u2010-\u2015-]", "-", name)  # en/em dashes and hyphens read alike
    name = re.sub(r"\s*-\s*", " - ", name)
    return re.sub(r"\s+", " ", name).strip()


_BY_LANE_NAME: dict[str, str] = {}
for _role in ROLES.values():
    for _name in (_role.code, _role.name, *_role.lane_names):
        _BY_LANE_NAME[_normalize(_name)] = _role.code


def role_for_lane(lane_name: str | None) -> str | None:
    """Returns the role code a lane name stands for, or None when it names no role."""
    if not lane_name:
        return None
    return _BY_LANE_NAME.get(_normalize(lane_name))
