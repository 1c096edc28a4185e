"""POST /api/lookup: a citizen looks a dossier up with its code and the receipt's lookup
secret, without signing in."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..auth import client_address
from ..body import Blueprint
from ..schemas.common import LocalDateTime, StatusField
from ..services.public_lookup import look_up

blp = Blueprint("lookup", __name__, url_prefix="/api/lookup", description="Tra cứu hồ sơ")


class LookupRequestSchema(Schema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "the dossier code on the receipt"},
    )
    secret = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "the lookup secret on the receipt (ABCDE-FGH23)"},
    )


class ProcedureRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class LookupSupplementSchema(Schema):
    requested_at = LocalDateTime()
    items = fields.List(fields.String(), metadata={"description": "what to bring"})


class LookupApologySchema(Schema):
    reason = fields.String()
    new_appointment_date = fields.String()
    original_appointment_date = fields.String(allow_none=True)


class LookupSchema(Schema):
    code = fields.String()
    procedure = fields.Nested(ProcedureRefSchema)
    status = StatusField()
    received_at = LocalDateTime()
    appointment_date = fields.String()
    supplement = fields.Nested(LookupSupplementSchema, allow_none=True)
    apology = fields.Nested(LookupApologySchema, allow_none=True)
    finished_at = LocalDateTime(allow_none=True)


@blp.route("", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(LookupRequestSchema)
@blp.response(200, LookupSchema)
def lookup(body):
    """No sign-in: where a dossier (or a group dossier) stands, its appointment, a supplement
    asked for, an apology. 404 "không tìm thấy hồ sơ" for a wrong code or a wrong secret
    alike; after 5 failures in 10 minutes from one address, 429 with Retry-After (10 minutes,
    doubling with each further failure)."""
    return look_up(body["code"], body["secret"], client_address())
