"""POST /api/dossiers and GET /api/dossiers/{code}."""

from __future__ import annotations

from ..auth import current_actor, login_required
from ..body import Blueprint
from ..schemas.dossiers import DossierSchema, SubmitDossierSchema
from ..services import describe_dossier, receive_dossier

blp = Blueprint("dossiers", __name__, url_prefix="/api/dossiers", description="Hồ sơ")


@blp.route("", methods=["POST"])
@login_required
@blp.arguments(SubmitDossierSchema)
@blp.response(201, DossierSchema)
def create_dossier(body):
    """Receive a dossier: validates the declaration, starts its workflow, opens its first task."""
    actor = current_actor()
    transition = receive_dossier(
        actor,
        procedure_code=body["procedure"],
        applicant=body["applicant"],
        channel=body["channel"],
        data=body["data"],
    )
    # the answer describes the dossier as of its receipt: one clock reading per request
    return describe_dossier(actor, transition.dossier.code, transition.plan_at)


@blp.route("/<string:code>")
@login_required
@blp.response(200, DossierSchema)
def show_dossier(code):
    """A dossier of the caller's agency: status, applicant, due dates, tasks and timeline."""
    return describe_dossier(current_actor(), code)
