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
from .codes import dossier_code
from .roles import LEADER_ROLE, RECEPTION_ROLE, ROLES, Role, role_for_lane
from .statuses import OPEN_TASK_STATES, Channel, DossierStatus, EventAction, TaskState

__all__ = [
    "CATALOGUE",
    "LEADER_ROLE",
    "OPEN_TASK_STATES",
    "RECEPTION_ROLE",
    "ROLES",
    "AgencyKind",
    "Channel",
    "DeadlineUnit",
    "DossierStatus",
    "EventAction",
    "LegalDeadline",
    "Procedure",
    "ProcedureSources",
    "Role",
    "TaskState",
    "dossier_code",
    "read_sources",
    "role_for_lane",
]
