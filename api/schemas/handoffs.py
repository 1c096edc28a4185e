"""Returns the request and response schemas of /api/handoffs."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from processes import HandoffState

from .common import LocalDateTime


class HandoffArgsSchema(Schema):
    state = fields.String(validate=validate.OneOf([s.value for s in HandoffState]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class HandoffResultSchema(Schema):
    status = fields.Integer(
        required=True,
        validate=validate.OneOf([10, 8]),
        metadata={"description": "10: the result was returned; 8: processing stopped"},
    )
    result = fields.Dict(load_default=dict, metadata={"description": "the agency's result"})
    note = fields.String(validate=validate.Length(max=2000))


class HandoffSchema(Schema):
    id = fields.String()
    message = fields.String()
    procedure = fields.String(attribute="procedure_code")
    state = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = LocalDateTime()
    delivered_at = LocalDateTime(allow_none=True)
    result_at = LocalDateTime(allow_none=True)
