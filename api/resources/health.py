"""GET /api/health: is this process up, can it reach its database, and is the database
migrated to this code's schema (for load balancers and operators)."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..body import Blueprint
from ..services import check_health

blp = Blueprint("health", __name__, url_prefix="/api/health", description="Liveness and readiness")


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok or unavailable"})
    database = fields.String(metadata={"description": "ok, unreachable, not_migrated or outdated"})
    message = fields.String(metadata={"description": "what an operator should do"})
    queue = fields.String(
        metadata={
            "description": (
                "background work: in_process (no Redis), ok, or unreachable (handoffs wait "
                "in the database until Redis is back; the API still serves)"
            )
        }
    )


@blp.route("")
@blp.doc(security=[])
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="not ready: the reason is in `message`")
def health():
    """200 when the database answers with this code's schema, else 503 saying why (no token)."""
    result = check_health()
    if not result.ok:
        body = {"status": "unavailable", "database": result.database, "message": result.detail}
        return body, 503, {"Retry-After": "10"}
    return {"status": "ok", "database": "ok", "queue": result.queue}
