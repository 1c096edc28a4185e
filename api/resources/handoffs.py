"""Handoffs between agencies: operators list and retry them; an outside agency reports its
result to POST /api/handoffs/{id}/result, signed with its shared secret (no bearer token)."""

from __future__ import annotations

from flask import request

from ..auth import current_actor, login_required
from ..body import Blueprint, read_signed_json_body
from ..schemas.handoffs import HandoffArgsSchema, HandoffResultSchema, HandoffSchema
from ..services import commit
from ..services.handoffs import Signed, list_handoffs, report_result, retry_handoff
from ..services.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER

blp = Blueprint("handoffs", __name__, url_prefix="/api/handoffs", description="Liên thông")


@blp.route("")
@login_required
@blp.arguments(HandoffArgsSchema, location="query")
@blp.response(200, HandoffSchema(many=True))
def list_all(args):
    """Handoffs from or to the caller's agency, newest first (operators: role quan_tri)."""
    return list_handoffs(current_actor(), state=args.get("state"), limit=args["limit"])


@blp.route("/<string:handoff_id>/retry", methods=["POST"])
@login_required
@blp.response(200, HandoffSchema)
def retry(handoff_id):
    """Hand a failed handoff back to delivery, with fresh tries (operators)."""
    handoff = retry_handoff(current_actor(), handoff_id)
    commit()
    return handoff


@blp.route("/<string:handoff_id>/result", methods=["POST"])
@blp.doc(requestBody={"content": {"application/json": {"schema": HandoffResultSchema}}})
@blp.response(200, HandoffSchema)
@blp.doc(security=[])
def result(handoff_id):
    """An outside agency reports its result. Signed: `X-Motcua-Timestamp` (unix seconds)
    and `X-Motcua-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the
    agency's shared secret. Tampered, stale (over 5 minutes) or replayed: 401, nothing
    changes."""
    raw, body = read_signed_json_body()
    signed = Signed(
        raw, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER)
    )
    handoff = report_result(handoff_id, signed, body)
    commit()
    return handoff
