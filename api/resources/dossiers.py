"""POST /api/dossiers and GET /api/dossiers/{code}: single dossiers and interlinked group
dossiers (one submission, one code, one appointment; each agency's part)."""

from __future__ import annotations

from flask import jsonify
from marshmallow import Schema, fields

from ..auth import current_actor, login_required
from ..body import Blueprint
from ..schemas.dossiers import DossierSchema, GroupDossierSchema, SubmitDossierSchema
from ..schemas.search import DossierListSchema, DossierSearchArgsSchema
from ..services import Invalid, NotFound, commit, describe_dossier, receive_dossier
from ..services.apologies import apologize
from ..services.catalogue import is_group_code
from ..services.groups import describe_group, receive_group
from ..services.search import DossierQuery, find_dossiers
from ..services.supplements import receive_supplement, request_supplement

blp = Blueprint("dossiers", __name__, url_prefix="/api/dossiers", description="Hồ sơ")


@blp.route("", methods=["POST"])
@login_required
@blp.arguments(SubmitDossierSchema)
@blp.response(201, DossierSchema)
@blp.doc(responses={"201": {"description": "the dossier, or a group dossier"}})
def create_dossier(body):
    """Receive a dossier: validates the declaration, starts its workflow, opens its first
    task. A group code (`LT-KS`, `LT-KT`) receives a group dossier: `data` has one part per
    chosen procedure (`GET /api/procedures/{code}` publishes its schema)."""
    actor = current_actor()
    if is_group_code(body["procedure"]):
        receipt = receive_group(
            actor,
            group_code=body["procedure"],
            applicant=body["applicant"],
            channel=body["channel"],
            data=body["data"],
            procedures=body.get("procedures"),
            verification=body["verification"],
        )
        group = describe_group(actor, receipt.group.code, receipt.first.plan_at)
        answer = jsonify(GroupDossierSchema().dump(group))
        answer.status_code = 201
        return answer
    if body.get("procedures") is not None:
        raise Invalid(
            "only an interlinked group takes a choice of procedures",
            {"procedures": [f"{body['procedure']} is a single procedure"]},
        )
    transition = receive_dossier(
        actor,
        procedure_code=body["procedure"],
        applicant=body["applicant"],
        channel=body["channel"],
        data=body["data"],
    )
    # the answer describes the dossier as of its receipt: one clock reading per request
    return describe_dossier(actor, transition.dossier.code, transition.plan_at)


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(DossierSearchArgsSchema, location="query")
@blp.response(200, DossierListSchema)
def list_dossiers(args):
    """Find the caller's agency's dossiers, newest received first: `code` (its start),
    `applicant` (part of the name; case and marks do not matter), `status`, `procedure`,
    `received_from`/`received_to` (dates, both included), `overdue`; keyset pages (`limit`
    up to 100, `cursor`: the previous page's `next_cursor`)."""
    page = find_dossiers(
        current_actor(),
        DossierQuery(
            code=args.get("code"),
            applicant=args.get("applicant"),
            status=args.get("status"),
            procedure=args.get("procedure"),
            received_from=args.get("received_from"),
            received_to=args.get("received_to"),
            overdue=args.get("overdue"),
            due_soon=args.get("due_soon"),
            limit=args.get("limit", 50),
            after=args.get("cursor"),
        ),
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/<string:code>")
@login_required
@blp.response(200, DossierSchema)
@blp.doc(responses={"200": {"description": "the dossier, or a group dossier"}})
def show_dossier(code):
    """A dossier of the caller's agency: status, applicant, due dates, tasks and timeline; or
    a group dossier it received or holds a part of, with each agency's part."""
    return _dossier_or_group(current_actor(), code)


def _dossier_or_group(actor, code: str):
    try:
        return describe_dossier(actor, code)
    except NotFound:
        group = describe_group(actor, code)
        return jsonify(GroupDossierSchema().dump(group))


class ApologySchema(Schema):
    reason = fields.String(required=True, metadata={"description": "why it will be late"})
    new_appointment = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})


@blp.route("/<string:code>/apology", methods=["POST"])
@login_required
@blp.arguments(ApologySchema)
@blp.response(200, DossierSchema)
def apology(body, code):
    """A leader's apology and new appointment date: no later than 1 working day before the
    due date, at most once; the first appointment stays shown (`original_due_at`). For an
    interlinked group (its code, or the agency's dossier in it) the group's appointment moves,
    once per group, with the agency's own dossier; the answer is what `code` names."""
    actor = current_actor()
    apologize(actor, code, reason=body["reason"], new_date=body["new_appointment"])
    commit()
    return _dossier_or_group(actor, code)


class SupplementRequestSchema(Schema):
    missing = fields.List(
        fields.String(), required=True, metadata={"description": "every missing item, at once"}
    )
    reason = fields.String(required=True)
    override_reason = fields.String(
        metadata={"description": "a leader's reason to ask a second time (counts as late)"}
    )


class SupplementSchema(Schema):
    received = fields.List(fields.String(), required=True)
    note = fields.String(load_default="")


@blp.route("/<string:code>/supplement-request", methods=["POST"])
@login_required
@blp.arguments(SupplementRequestSchema)
@blp.response(200, DossierSchema)
def supplement_request(body, code):
    """Ask the applicant for a supplement during processing, listing every missing item: the
    dossier waits in status 5 and its clock pauses. Once per dossier; a second time only by
    a leader with `override_reason`, and the dossier then counts as late."""
    actor = current_actor()
    request_supplement(
        actor,
        code,
        missing=body["missing"],
        reason=body["reason"],
        override_reason=body.get("override_reason"),
    )
    commit()
    return describe_dossier(actor, code)


@blp.route("/<string:code>/supplement", methods=["POST"])
@login_required
@blp.arguments(SupplementSchema)
@blp.response(200, DossierSchema)
def supplement(body, code):
    """Reception records the supplement: the clock resumes, and the office time waited is
    taken out of the appointment and of every open step's due date."""
    actor = current_actor()
    receive_supplement(actor, code, received=body["received"], note=body["note"])
    commit()
    return describe_dossier(actor, code)
