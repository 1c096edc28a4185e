"""Returns the schemas of GET /api/dossiers: finding the agency's dossiers."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from processes import DossierStatus

from ..services import Invalid
from ..services.search import MAX_LIMIT, decode_cursor
from .common import LocalDateTime, StatusField


class DossierCursor(fields.String):
    """A dossier list cursor, decoded to the (receipt time, id) the next page starts after."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return decode_cursor(super()._deserialize(value, attr, data, **kwargs))
        except Invalid:
            raise ValidationError("not a cursor we issued") from None


class DossierSearchArgsSchema(Schema):
    code = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "the start of the dossier code, e.g. H29.01-2603"},
    )
    applicant = fields.String(
        validate=validate.Length(min=1, max=255),
        metadata={
            "description": "part of the applicant's name; case and Vietnamese marks do not "
            "matter (`nguyen van an` finds Nguyễn Văn An)"
        },
    )
    status = fields.Integer(
        validate=validate.OneOf([int(s) for s in DossierStatus]),
        metadata={"description": "the national status code, 1 to 10"},
    )
    procedure = fields.String(
        validate=validate.Length(min=1, max=32),
        metadata={"description": "a procedure code, e.g. 1.001193"},
    )
    received_from = fields.Date(metadata={"description": "received on or after (YYYY-MM-DD)"})
    received_to = fields.Date(metadata={"description": "received on or before (YYYY-MM-DD)"})
    overdue = fields.Boolean(
        metadata={"description": "true: not finished and past the appointment; false: others"}
    )
    due_soon = fields.Boolean(
        metadata={
            "description": "true: not finished, not yet due, due within a working day; "
            "false: others"
        }
    )
    limit = fields.Integer(
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"page size (default 50, at most {MAX_LIMIT})"},
    )
    cursor = DossierCursor(metadata={"description": "`next_cursor` of the previous page"})

    @validates_schema
    def _dates_in_order(self, data, **kwargs):
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            raise ValidationError("on or after received_from", "received_to")


class DossierListItemSchema(Schema):
    code = fields.String()
    procedure_code = fields.String()
    procedure_name = fields.String()
    applicant_name = fields.String()
    status = StatusField()
    received_at = LocalDateTime()
    due_at = LocalDateTime()
    appointment_date = fields.String()
    overdue = fields.Boolean(metadata={"description": "not finished and past its due date"})
    due_soon = fields.Boolean(
        metadata={"description": "not finished, not yet due, due within a working day"}
    )


class DossierListSchema(Schema):
    items = fields.List(fields.Nested(DossierListItemSchema))
    next_cursor = fields.String(allow_none=True)
