"""The procedure catalogue and the domain's vocabulary (statuses, roles, agency kinds)."""

from .catalogue import (
    CATALOGUE,
    AgencyKind,
    DeadlineUnit,
    LegalDeadline,
    Procedure,
    ProcedureSources,
    read_sources,
)
from .roles import LEADER_ROLE, RECEPTION_ROLE, ROLES, Role, role_for_lane
from .statuses import Channel, DossierStatus

__all__ = [
    "CATALOGUE",
    "LEADER_ROLE",
    "RECEPTION_ROLE",
    "ROLES",
    "AgencyKind",
    "Channel",
    "DeadlineUnit",
    "DossierStatus",
    "LegalDeadline",
    "Procedure",
    "ProcedureSources",
    "Role",
    "read_sources",
    "role_for_lane",
]
