"""Persistence: the database extension, the tables, their column types, the migrations and
the hand-written write statements. It knows no services and no HTTP."""

from pathlib import Path

from .database import db, migrate
from .dossiers import (
    LockedTask,
    Writer,
    claim,
    due_dates,
    insert_dossier,
    lock_task,
    lock_task_and_dossier,
    log_event,
    next_sequence,
    release,
    task_rows,
    write_transition,
)
from .faults import DatabaseFault, classify_fault
from .models import (
    Agency,
    ApiToken,
    CalendarVersion,
    CallbackNonce,
    Dossier,
    DossierSequence,
    Event,
    GroupDossier,
    GroupPart,
    Handoff,
    Notification,
    NotificationDelivery,
    Officer,
    OfficerRole,
    OutboxJob,
    ProcedureVersion,
    Task,
)
from .outbox import (
    add_job,
    due_jobs,
    finish_job,
    forget_recorded_jobs,
    record_failure,
    recorded_jobs,
    take_job,
)
from .types import JsonType, UtcDateTime
from .writes import TASK_COLUMNS, DossierRef

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

__all__ = [
    "MIGRATIONS_DIR",
    "TASK_COLUMNS",
    "Agency",
    "CalendarVersion",
    "CallbackNonce",
    "GroupDossier",
    "GroupPart",
    "Handoff",
    "Notification",
    "NotificationDelivery",
    "OutboxJob",
    "ApiToken",
    "DatabaseFault",
    "Dossier",
    "DossierRef",
    "DossierSequence",
    "Event",
    "JsonType",
    "LockedTask",
    "Officer",
    "OfficerRole",
    "ProcedureVersion",
    "Task",
    "UtcDateTime",
    "Writer",
    "add_job",
    "claim",
    "classify_fault",
    "db",
    "due_dates",
    "due_jobs",
    "finish_job",
    "forget_recorded_jobs",
    "insert_dossier",
    "lock_task",
    "lock_task_and_dossier",
    "log_event",
    "migrate",
    "next_sequence",
    "record_failure",
    "recorded_jobs",
    "release",
    "take_job",
    "task_rows",
    "write_transition",
]
