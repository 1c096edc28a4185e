"""The tables: agencies, officers, tokens, procedure versions, dossiers, the task inbox and
the append-only event log.

Reads (inbox, timeline) come from these tables and never rebuild a workflow. A dossier's
workflow state is stored without its process spec; the spec lives once per procedure version.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from processes import TaskState

from .database import db
from .types import JsonType, UtcDateTime


class Agency(db.Model):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    # The administrative area it serves: a handoff goes to the agency of the receiving
    # procedure's kind that serves the area of the agency that received the group dossier.
    area: Mapped[str] = mapped_column(String(64), default="")
    # An agency outside the platform receives its handoffs as signed POSTs to this address
    # and reports back with the same shared secret (a symmetric key, so it is kept, not
    # hashed: it signs as well as verifies).
    external_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    shared_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Its office sessions and cut-off, when they differ from the national default:
    # {"sessions": [["07:00", "11:00"], ["13:30", "17:30"]], "cutoff": "15:00"}.
    office_hours: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    # When its officers are reminded of open steps ({"points": ["50%", "1d"], "overdue":
    # true}; None: the platform's default), and where its notifications are also POSTed,
    # signed with the webhook's own secret (a key: kept, not hashed).
    reminder_policy: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    webhook_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @property
    def is_external(self) -> bool:
        return self.external_url is not None


class Officer(db.Model):
    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)  # reminders go here
    # Signing in from a browser: a modern password hash (never the password), the failures
    # since the last success, and until when the account is locked after too many.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")
    role_rows: Mapped[list[OfficerRole]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(row.role for row in self.role_rows)


class OfficerRole(db.Model):
    __tablename__ = "officer_roles"

    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak yields no usable token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings to tell tokens apart
    label: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Written when a request finds the token older than a few minutes: a hint for operators
    # ("is this token still in use?"), not an audit log, so it never costs a write per request.
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    officer: Mapped[Officer] = relationship(lazy="joined")


class WebSession(db.Model):
    """A person's signed-in browser session. Only the SHA-256 of the cookie's secret is stored;
    `csrf_token` must come back with every request that changes something."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie secret
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    officer: Mapped[Officer] = relationship(lazy="joined")


class RateLimit(db.Model):
    """Attempts counted per key (e.g. the citizen lookup per client address) in a window, and
    how long the key must wait: kept in the database, so every API process counts alike."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Document(db.Model):
    """A document a dossier produced, kept as issued: the result of the signing step (a PDF
    signed with the agency's key), byte for byte, with its digest."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # "result"
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    signed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProcedureVersion(db.Model):
    """A deployed diagram with its forms: what a dossier is pinned to for its whole life."""

    __tablename__ = "procedure_versions"
    __table_args__ = (
        UniqueConstraint("procedure_code", "version"),
        UniqueConstraint("procedure_code", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    process_id: Mapped[str] = mapped_column(String(128))
    # The large columns load only when read (compiling on a cache miss, migrating a state).
    bpmn_source: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    forms: Mapped[dict[str, Any]] = mapped_column(JsonType, deferred=True)
    # The spec as SpiffWorkflow serialized it when deployed: what migrations of old states need.
    saved_spec: Mapped[dict[str, Any]] = mapped_column(JsonType, deferred=True)
    # The procedure's metadata as deployed with this diagram (processes.Procedure's
    # descriptor): its name, agency kind, legal deadline, declaration form. A dossier counts
    # by its own version's; None only on rows older than descriptors (the shipped ones').
    descriptor: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class GroupVersion(db.Model):
    """A deployed interlinked group: its descriptor (members, their shares, the deadlines),
    its collaboration diagram, and the member versions deployed with it. A group dossier
    is received under the version in force that day and keeps it."""

    __tablename__ = "group_versions"
    __table_args__ = (
        UniqueConstraint("group_code", "version"),
        UniqueConstraint("group_code", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_code: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    descriptor: Mapped[dict[str, Any]] = mapped_column(JsonType)
    bpmn_source: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # procedure code → the id of the member's version deployed from this diagram
    member_versions: Mapped[dict[str, int]] = mapped_column(JsonType)
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DossierSequence(db.Model):
    """The last sequence number issued per agency and day (for dossier codes)."""

    __tablename__ = "dossier_sequences"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class GroupDossier(db.Model):
    """One submission of an interlinked group: one code and one appointment date for the
    citizen; each chosen procedure runs as its own dossier at its agency (`GroupPart`)."""

    __tablename__ = "group_dossiers"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    group_code: Mapped[str] = mapped_column(String(32))
    # The group version it was received under (None only on rows older than group versions).
    group_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_versions.id"), nullable=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    status: Mapped[int] = mapped_column(SmallInteger)
    applicant: Mapped[dict[str, Any]] = mapped_column(JsonType)
    applicant_name: Mapped[str] = mapped_column(String(255))
    channel: Mapped[int] = mapped_column(SmallInteger)
    # The whole declaration, kept by the agency that received it; each other agency gets
    # only what the message handed to it declares.
    declaration: Mapped[dict[str, Any]] = mapped_column(JsonType)
    procedures: Mapped[list[str]] = mapped_column(JsonType)  # chosen procedure codes
    verification: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), nullable=True)
    clock_started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    calendar_version: Mapped[str] = mapped_column(String(64))
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # An apology moved the appointment (at most once): the first one, and the apology (at,
    # reason, the agency and its dossier that made it, the leader's name).
    original_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    apology: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)

    agency: Mapped[Agency] = relationship(lazy="joined")


class GroupPart(db.Model):
    """One chosen procedure of a group dossier: the electronic control slip's row (handed
    over, taken over, due, finished, outcome), for an agency inside or outside the platform."""

    __tablename__ = "group_parts"
    __table_args__ = (UniqueConstraint("group_id", "procedure_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group_dossiers.id"))
    procedure_code: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(SmallInteger)  # the member's order in the group
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), nullable=True)
    share_days: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    status: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    handed_over_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    taken_over_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)

    agency: Mapped[Agency | None] = relationship(lazy="joined")


class Dossier(db.Model):
    __tablename__ = "dossiers"
    __table_args__ = (
        Index("ix_dossiers_agency_received", "agency_id", "received_at"),
        # One dossier per procedure in a group: a handoff delivered twice starts one.
        UniqueConstraint("group_id", "procedure_code"),
        # Only dossiers that wait for a timer: the sweep reads the due ones in due order.
        Index(
            "ix_dossiers_timer_due_at",
            "timer_due_at",
            postgresql_where=text("timer_due_at IS NOT NULL"),
            sqlite_where=text("timer_due_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    procedure_version_id: Mapped[int] = mapped_column(ForeignKey("procedure_versions.id"))
    procedure_code: Mapped[str] = mapped_column(String(32))
    status: Mapped[int] = mapped_column(SmallInteger)
    applicant: Mapped[dict[str, Any]] = mapped_column(JsonType)
    applicant_name: Mapped[str] = mapped_column(String(255))
    # The name folded for searching (processes.folding: no case, marks or đ), set on insert.
    applicant_folded: Mapped[str] = mapped_column(String(255), default="")
    channel: Mapped[int] = mapped_column(SmallInteger)
    declaration: Mapped[dict[str, Any]] = mapped_column(JsonType)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), nullable=True)
    clock_started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    calendar_version: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_dossiers.id"), nullable=True, index=True
    )
    # A supplement awaited during processing: since when, until when the citizen may bring
    # it (then the dossier is stopped), and the status to go back to.
    paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    supplement_due_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, nullable=True, index=True
    )
    status_before_pause: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    # Supplements requested during processing (the law allows one), the office time spent
    # waiting for them (left out of the dossier's time), and whether a leader's override of
    # the one-request rule makes the dossier count as late whatever its dates.
    supplement_requests: Mapped[int] = mapped_column(SmallInteger, default=0)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    counts_late: Mapped[bool] = mapped_column(Boolean, default=False)
    # An apology moved the appointment (at most once): the first appointment, kept and shown.
    original_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    apology_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    apology_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    apology_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), nullable=True)
    # The earliest due date among open tasks: reminders and timers sweep on this column.
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    # The earliest due time among the BPMN timers the workflow waits for, or the end of a
    # sweep's lease on them while a job fires them (a lost job is swept again after it).
    timer_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    workflow_state: Mapped[str] = mapped_column(Text)
    state_format: Mapped[str] = mapped_column(String(32))
    spiff_version: Mapped[str] = mapped_column(String(16))
    # Every write checks and bumps it in its UPDATE (optimistic locking where rows cannot lock).
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")
    procedure_version: Mapped[ProcedureVersion] = relationship(lazy="select")


class Task(db.Model):
    """The inbox: one row per human task, written with the workflow in one transaction."""

    __tablename__ = "tasks"
    __table_args__ = (
        # The inbox query walks this in due order; completed history never enters it.
        Index(
            "ix_tasks_inbox",
            "agency_id",
            "due_at",
            "id",
            postgresql_where=text("state IN ('open', 'claimed')"),
            sqlite_where=text("state IN ('open', 'claimed')"),
        ),
        Index("ix_tasks_dossier", "dossier_id"),
        # The reminder sweep reads the due ones; finished tasks never enter it.
        Index(
            "ix_tasks_remind_at",
            "remind_at",
            postgresql_where=text("remind_at IS NOT NULL AND state IN ('open', 'claimed')"),
            sqlite_where=text("remind_at IS NOT NULL AND state IN ('open', 'claimed')"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    dossier_code: Mapped[str] = mapped_column(String(40))
    procedure_code: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    form_key: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default=TaskState.OPEN.value)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), nullable=True)
    # Usernames never change, so the inbox shows the holder without a join.
    assignee_username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    budget_days: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # When the task last changed hands (opened, claimed, released, completed, cancelled). A
    # claim that waited for another change to this row takes its time as the later of its
    # own clock reading and this, so the log never shows it before what it waited for.
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), nullable=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    calendar_version: Mapped[str] = mapped_column(String(64))
    # What the officer sees when the task opens (the declaration and earlier answers) and
    # what they submitted; loaded only when asked for, since the inbox never shows them.
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, deferred=True)
    submitted: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True, deferred=True)
    # The reminder policy's next instant for this task (set when it opens or its due date
    # moves: the sweep then computes its schedule), and up to when its points were handled.
    remind_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reminded_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    dossier: Mapped[Dossier] = relationship(lazy="select")


class Event(db.Model):
    """The append-only event log: who, which agency, what, when, status before and after."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    step: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status_before: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    status_after: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)

    dossier: Mapped[Dossier] = relationship(lazy="select")
    officer: Mapped[Officer | None] = relationship(lazy="joined")


class Handoff(db.Model):
    """A message from one agency's process to another's in a group dossier: recorded in the
    sender's transaction, delivered (idempotently) by background work, visible to operators."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_state", "state", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the message id
    group_id: Mapped[int] = mapped_column(ForeignKey("group_dossiers.id"), index=True)
    message: Mapped[str] = mapped_column(String(255))
    from_dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    procedure_code: Mapped[str] = mapped_column(String(32))  # the receiving procedure
    to_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    to_dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    result_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class OutboxJob(db.Model):
    """Work to do after a commit, written in the same transaction as the change that needs
    it. The relay hands pending rows to the queue (rq on Redis, or this process); a job marks
    its row done in the transaction that does its work, so a job run twice does it once."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "available_at",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    args: Mapped[list[Any]] = mapped_column(JsonType)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime)  # not before (backoff)
    relayed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Notification(db.Model):
    """A reminder or an overdue notice to one officer about one step, recorded when the
    policy's point is reached; delivered through each channel the officer and the agency
    have (`NotificationDelivery`)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_officer", "officer_id", "id"),
        Index("ix_notifications_task", "task_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # reminder | overdue
    point: Mapped[str] = mapped_column(String(16))  # "50%", "1d", "overdue"
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    deliveries: Mapped[list[NotificationDelivery]] = relationship(lazy="selectin")


class NotificationDelivery(db.Model):
    """One notification through one channel (email, webhook): pending until its job sends
    it, then sent, or failed after the last try (or at once when it cannot succeed)."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(500))  # the address or the webhook's origin
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CallbackNonce(db.Model):
    """Signatures of outside agencies' callbacks already accepted: a replay is refused."""

    __tablename__ = "callback_nonces"

    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class CalendarVersion(db.Model):
    """One version of the override calendar: the days administrators declared off or worked
    beyond the law's holidays. Each change writes a new version; the newest is in force, and
    every due date records the calendar version that produced it."""

    __tablename__ = "calendar_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(128))  # the calendar's own identifier
    days_off: Mapped[list[str]] = mapped_column(JsonType)  # ISO dates
    working_days: Mapped[list[str]] = mapped_column(JsonType)
    reasons: Mapped[dict[str, str]] = mapped_column(JsonType)  # ISO date → why
    change: Mapped[str] = mapped_column(String(600))  # what this version changed, in words
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), nullable=True)
