"""Returns the request and response schemas of /api/tasks."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from ..services import Invalid
from ..services.tasks import decode_cursor
from .common import DECIMAL_STRING, LocalDateTime, StatusField

MAX_PAGE_SIZE = 200


class Cursor(fields.String):
    """An inbox cursor, decoded to the (due time, id) the next page starts after."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return decode_cursor(super()._deserialize(value, attr, data, **kwargs))
        except Invalid:
            raise ValidationError("not a cursor we issued") from None


class InboxArgsSchema(Schema):
    assignee = fields.String(
        validate=validate.OneOf(["me"]),
        metadata={"description": "`me`: only tasks the caller holds"},
    )
    procedure = fields.String(metadata={"description": "a procedure code, e.g. 1.001193"})
    overdue = fields.Boolean(metadata={"description": "true: past due; false: not yet due"})
    due_soon = fields.Boolean(
        metadata={
            "description": "true: not yet due, but due within a working day; false: the others"
        }
    )
    limit = fields.Integer(
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": "page size (default: the server's MOTCUA_INBOX_PAGE_SIZE, 50)"},
    )
    cursor = Cursor(metadata={"description": "`next_cursor` of the previous page"})


class TaskSummarySchema(Schema):
    id = fields.String()
    dossier_code = fields.String()
    procedure_code = fields.String()
    step = fields.String()
    title = fields.String()
    role = fields.String()
    form_key = fields.String()
    state = fields.String()
    assignee = fields.String(attribute="assignee_username", allow_none=True)
    budget_days = fields.Decimal(as_string=True, metadata=DECIMAL_STRING)
    created_at = LocalDateTime()
    claimed_at = LocalDateTime(allow_none=True)
    completed_at = LocalDateTime(allow_none=True)
    due_at = LocalDateTime()
    overdue = fields.Boolean(metadata={"description": "open and past its due date"})
    due_soon = fields.Boolean(
        metadata={"description": "open, not yet due, due within a working day of office time"}
    )


class InboxSchema(Schema):
    items = fields.List(fields.Nested(TaskSummarySchema))
    next_cursor = fields.String(allow_none=True)


class TaskDetailSchema(TaskSummarySchema):
    dossier_status = StatusField()
    data = fields.Dict(metadata={"description": "what the form starts from"})
    submitted = fields.Dict(allow_none=True)
    form = fields.Dict(metadata={"description": "the step's form, as JSON Schema"})
    documentation = fields.String()


class CompletedTaskSchema(TaskSummarySchema):
    dossier_status = StatusField()
    submitted = fields.Dict()
    next_tasks = fields.List(
        fields.Nested(TaskSummarySchema),
        metadata={"description": "the dossier's open tasks after this one was completed"},
    )


class CompleteTaskSchema(Schema):
    data = fields.Dict(required=True, metadata={"description": "the form answers"})
