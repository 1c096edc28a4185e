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
    name = fields.String()
    agency_kind = fields.String()
    deadline = fields.Nested(DeadlineSchema)
    legal_basis = fields.String()
    version = fields.Integer(allow_none=True)
    content_hash = fields.String(allow_none=True)
    steps = fields.List(fields.Dict())
