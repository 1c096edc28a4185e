"""Returns the schemas of the slips, the register, result documents and /api/verify."""

from __future__ import annotations

from marshmallow import Schema, fields

from .common import LocalDateTime


class RegisterArgsSchema(Schema):
    # Strings, checked by the service (one message for a bad or too long period).
    from_ = fields.String(data_key="from", metadata={"description": "YYYY-MM-DD"})
    to = fields.String(metadata={"description": "YYYY-MM-DD, at most 366 days after from"})


class DocumentSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "result: the signing step's document"})
    filename = fields.String()
    media_type = fields.String()
    sha256 = fields.String()
    signed_by = fields.String(
        allow_none=True, metadata={"description": "the certificate's holder; null: unsigned"}
    )
    created_at = LocalDateTime()


class VerificationSchema(Schema):
    valid = fields.Boolean(
        metadata={"description": "intact, trusted and covering the whole document"}
    )
    intact = fields.Boolean()
    signed_by = fields.String(allow_none=True)
    signed_at = LocalDateTime(allow_none=True)
    covers_whole_document = fields.Boolean()
    trusted = fields.Boolean(metadata={"description": "issued by the platform's CA"})
    message = fields.String()
