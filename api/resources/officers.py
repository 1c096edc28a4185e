"""GET /api/officers: the agency's active officers, for a leader choosing whom to give a task
(and for operators); never another agency's."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..auth import current_actor, login_required
from ..body import Blueprint
from ..services.accounts import colleagues

blp = Blueprint("officers", __name__, url_prefix="/api/officers", description="Cán bộ")


class OfficerQuerySchema(Schema):
    role = fields.String(
        validate=validate.Length(min=1, max=32),
        metadata={"description": "only the officers holding this role (e.g. tham_dinh)"},
    )


class ColleagueSchema(Schema):
    username = fields.String()
    full_name = fields.String()
    roles = fields.List(fields.String())


class ColleagueListSchema(Schema):
    items = fields.List(fields.Nested(ColleagueSchema))


@blp.route("")
@login_required
@blp.arguments(OfficerQuerySchema, location="query")
@blp.response(200, ColleagueListSchema)
def list_colleagues(args):
    """The caller's agency's active officers, by username (leaders and operators only)."""
    officers = colleagues(current_actor(), args.get("role"))
    return {
        "items": [
            {"username": o.username, "full_name": o.full_name, "roles": sorted(o.roles)}
            for o in officers
        ]
    }
