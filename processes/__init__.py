"""The procedure catalogue and the domain's vocabulary (statuses, roles, agency kinds)."""

from .catalogue import (
    CATALOGUE,
    GROUPS,
    AgencyKind,
    DeadlineUnit,
    Group,
    GroupMember,
    LegalDeadline,
    Procedure,
    ProcedureSources,
    read_sources,
)
from .codes import dossier_code
from .roles import (
    DESIGNER_ROLE,
    LEADER_ROLE,
    OPERATOR_ROLE,
    RECEPTION_ROLE,
    ROLES,
    Role,
    role_for_lane,
)
from .statuses import (
    OPEN_TASK_STATES,
    Channel,
    DossierStatus,
    EventAction,
    HandoffState,
    JobState,
    TaskState,
)

__all__ = [
    "CATALOGUE",
    "GROUPS",
    "LEADER_ROLE",
    "OPEN_TASK_STATES",
    "OPERATOR_ROLE",
    "DESIGNER_ROLE",
    "RECEPTION_ROLE",
    "ROLES",
    "AgencyKind",
    "Channel",
    "DeadlineUnit",
    "DossierStatus",
    "EventAction",
    "Group",
    "GroupMember",
    "HandoffState",
    "JobState",
    "LegalDeadline",
    "Procedure",
    "ProcedureSources",
    "Role",
    "TaskState",
    "dossier_code",
    "read_sources",
    "role_for_lane",
]
