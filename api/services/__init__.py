"""The operations of the platform: receive a dossier, claim, release and complete a task,
deploy procedures, manage officers and tokens (later: deliver a handoff, fire a timer).

They may use the app context and the database session; never the request context, never
HTTP status codes. Each takes an `Actor`, reads its clock and calendar once (`operation()`),
and raises the errors of `errors` for the HTTP layer and the console to report.
"""

from .accounts import (
    create_agency,
    create_officer,
    deactivate_officer,
    find_agency,
    find_officer,
    get_agency,
    get_officer,
    list_agencies,
    list_officers,
)
from .actor import Actor, ActorKind
from .dossiers import (
    describe_dossier,
    dossier_tasks,
    dossier_timeline,
    get_dossier,
    receive_dossier,
)
from .errors import (
    Busy,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    NotReady,
    from_database_error,
)
from .health import Health, check_health
from .procedures import (
    compiled,
    compiled_version,
    current_version,
    deploy,
    deploy_catalogue,
    describe_catalogue,
)
from .runtime import Operation, Runtime, init_runtime, operation, runtime
from .tasks import (
    Completion,
    InboxPage,
    InboxQuery,
    claim_task,
    complete_task,
    get_task,
    inbox,
    is_overdue,
    release_all_held_by,
    release_task,
    task_detail,
    task_summary,
)
from .tokens import authenticate, hash_token, issue_token, list_tokens, revoke_tokens
from .transitions import Act, Transition

__all__ = [
    "Act",
    "Actor",
    "ActorKind",
    "Busy",
    "Completion",
    "Conflict",
    "DomainError",
    "Forbidden",
    "Health",
    "InboxPage",
    "InboxQuery",
    "Invalid",
    "NotFound",
    "NotReady",
    "Operation",
    "Runtime",
    "Transition",
    "authenticate",
    "check_health",
    "claim_task",
    "compiled",
    "compiled_version",
    "complete_task",
    "create_agency",
    "create_officer",
    "current_version",
    "deactivate_officer",
    "deploy",
    "deploy_catalogue",
    "describe_catalogue",
    "describe_dossier",
    "dossier_tasks",
    "dossier_timeline",
    "find_agency",
    "find_officer",
    "from_database_error",
    "get_agency",
    "get_dossier",
    "get_officer",
    "get_task",
    "hash_token",
    "inbox",
    "init_runtime",
    "is_overdue",
    "issue_token",
    "list_agencies",
    "list_officers",
    "list_tokens",
    "operation",
    "receive_dossier",
    "release_all_held_by",
    "release_task",
    "revoke_tokens",
    "runtime",
    "task_detail",
    "task_summary",
]
