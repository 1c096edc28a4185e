"""Returns the request and response schemas of /api/dossiers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.calendar import TIMEZONE
from processes import Channel

from .common import LocalDateTime, StatusField
from .tasks import TaskSummarySchema


class ApplicantSchema(Schema):
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    id_number = fields.String(validate=validate.Regexp(r"^[0-9]{9}$|^[0-9]{12}$"))
    phone = fields.String(validate=validate.Regexp(r"^(0|\+84)[0-9]{9,10}$"))
    email = fields.Email()
    address = fields.String(validate=validate.Length(max=500))


class SubmitDossierSchema(Schema):
    procedure = fields.String(required=True, metadata={"description": "procedure code"})
    applicant = fields.Nested(ApplicantSchema, required=True)
    channel = fields.Integer(
        load_default=int(Channel.COUNTER),
        validate=validate.OneOf([int(c) for c in Channel]),
        metadata={"description": "1 at the counter, 2 online, 3 by public post"},
    )
    data = fields.Dict(required=True, metadata={"description": "the declaration (tờ khai)"})
    procedures = fields.List(
        fields.String(),
        validate=validate.Length(max=10),
        metadata={"description": "a group: the procedures the applicant requests (codes)"},
    )
    verification = fields.Boolean(
        load_default=False,
        metadata={"description": "a group: the dossier needs verification (a longer deadline)"},
    )


class DossierTaskSchema(TaskSummarySchema):
    outcome = fields.String(
        allow_none=True, metadata={"description": "once completed: early, on_time or late"}
    )


class EventSchema(Schema):
    at = LocalDateTime()
    action = fields.String()
    officer = fields.Function(lambda event: event.officer.username if event.officer else None)
    step = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    status_before = StatusField(allow_none=True)
    status_after = StatusField(allow_none=True)
    detail = fields.Dict()


class DossierSchema(Schema):
    code = fields.String()
    kind = fields.Constant("dossier")
    group_code = fields.String(
        allow_none=True, metadata={"description": "the group dossier it is part of"}
    )
    procedure_code = fields.String()
    procedure_version = fields.Function(lambda d: d.procedure_version.version)
    agency = fields.Function(lambda d: {"code": d.agency.code, "name": d.agency.name})
    status = StatusField()
    applicant = fields.Dict()
    channel = fields.Integer()
    declaration = fields.Dict()
    received_at = LocalDateTime()
    clock_started_at = LocalDateTime()
    due_at = LocalDateTime()
    appointment_date = fields.Function(lambda d: d.due_at.astimezone(TIMEZONE).date().isoformat())
    calendar_version = fields.String()
    finished_at = LocalDateTime(allow_none=True)
    outcome = fields.String(
        allow_none=True, metadata={"description": "once finished: early, on_time or late"}
    )
    supplement = fields.Function(
        lambda d: (
            {
                "awaited_since": LocalDateTime()._serialize(d.paused_at, None, None),
                "window_ends": LocalDateTime()._serialize(d.supplement_due_at, None, None),
            }
            if d.paused_at
            else None
        ),
        metadata={"description": "a supplement awaited: since when, until when"},
    )
    supplement_requests = fields.Integer(metadata={"description": "asked during processing"})
    paused_office_seconds = fields.Integer(attribute="paused_seconds")
    counts_late = fields.Boolean(
        metadata={"description": "a leader overrode the one-supplement rule: late whatever"}
    )
    original_due_at = LocalDateTime(
        allow_none=True, metadata={"description": "the first appointment, if an apology moved it"}
    )
    apology = fields.Function(
        lambda d: (
            {
                "at": LocalDateTime()._serialize(d.apology_at, None, None),
                "reason": d.apology_reason,
            }
            if d.apology_at
            else None
        )
    )
    tasks = fields.List(fields.Nested(DossierTaskSchema))
    timeline = fields.List(fields.Nested(EventSchema))
    lookup_secret = fields.String(
        metadata={
            "description": "what the receipt prints for the citizen's lookup (POST /api/lookup)"
        }
    )


class GroupPartSchema(Schema):
    procedure = fields.String()
    name = fields.String()
    agency = fields.Dict(allow_none=True)
    dossier_code = fields.String(allow_none=True, metadata={"description": "the caller's own"})
    status = StatusField(allow_none=True)
    share_days = fields.Decimal(as_string=True)
    handed_over_at = LocalDateTime(allow_none=True)
    taken_over_at = LocalDateTime(allow_none=True)
    due_at = LocalDateTime(allow_none=True)
    finished_at = LocalDateTime(allow_none=True)
    outcome = fields.String(allow_none=True, metadata={"description": "early, on_time, late"})
    overdue = fields.Boolean()


class GroupApologySchema(Schema):
    """The apology that moved a group's appointment: by which agency (and its dossier)."""

    at = LocalDateTime()
    reason = fields.String()
    agency = fields.String(metadata={"description": "the code of the agency that apologised"})
    dossier = fields.String(metadata={"description": "that agency's dossier in the group"})
    by = fields.String(allow_none=True, metadata={"description": "the leader who approved it"})


class GroupDossierSchema(Schema):
    """A group dossier: one code and appointment, and each agency's part (the control slip)."""

    code = fields.String()
    kind = fields.Constant("group")
    group_code = fields.String()
    group_version = fields.Integer(
        allow_none=True, metadata={"description": "the group version it was received under"}
    )
    name = fields.String()
    agency = fields.Dict()
    status = StatusField()
    applicant = fields.Dict()
    channel = fields.Integer()
    declaration = fields.Dict(allow_none=True)
    procedures = fields.List(fields.String())
    verification = fields.Boolean()
    received_at = LocalDateTime()
    clock_started_at = LocalDateTime()
    due_at = LocalDateTime()
    appointment_date = fields.String()
    original_due_at = LocalDateTime(
        allow_none=True, metadata={"description": "the first appointment, if an apology moved it"}
    )
    apology = fields.Nested(GroupApologySchema, allow_none=True)
    calendar_version = fields.String()
    finished_at = LocalDateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    parts = fields.List(fields.Nested(GroupPartSchema))
    lookup_secret = fields.String(
        allow_none=True,
        metadata={"description": "the receipt's lookup secret; only for the receiving agency"},
    )
