"""Returns the response schema of /api/procedures."""

from __future__ import annotations

from marshmallow import Schema, fields

from .common import DECIMAL_STRING


class DeadlineSchema(Schema):
    value = fields.Decimal(as_string=True, metadata=DECIMAL_STRING)
    unit = fields.String()
    note = fields.String()


class ProcedureSchema(Schema):
    code = fields.String()
    kind = fields.String(metadata={"description": "procedure or group"})
    members = fields.List(fields.String(), metadata={"description": "a group's procedures"})
    name = fields.String()
    agency_kind = fields.String()
    deadline = fields.Nested(DeadlineSchema)
    legal_basis = fields.String()
    version = fields.Integer(allow_none=True)
    content_hash = fields.String(allow_none=True)
    steps = fields.List(fields.Dict())


class GroupMemberSchema(Schema):
    code = fields.String()
    name = fields.String()
    process_id = fields.String()
    agency_kind = fields.String()
    share_days = fields.Decimal(as_string=True, metadata=DECIMAL_STRING)
    share_days_verification = fields.Decimal(
        as_string=True, allow_none=True, metadata=DECIMAL_STRING
    )
    optional = fields.Boolean()
    declaration_part = fields.String()


class ProcedureDetailSchema(Schema):
    code = fields.String()
    kind = fields.String(metadata={"description": "procedure or group"})
    name = fields.String()
    agency_kind = fields.String()
    deadline = fields.Nested(DeadlineSchema)
    deadline_verification = fields.Nested(DeadlineSchema, allow_none=True)
    legal_basis = fields.String()
    version = fields.Integer()
    group = fields.String(allow_none=True, metadata={"description": "the group it belongs to"})
    starts_with = fields.String(metadata={"description": "reception, or a message (handoff)"})
    members = fields.List(fields.Nested(GroupMemberSchema))
    min_procedures = fields.Integer()
    max_procedures = fields.Integer()
    declaration_form = fields.String()
    declaration_schema = fields.Dict()
    steps = fields.List(fields.Dict())
