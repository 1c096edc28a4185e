"""POST /api/dossiers and GET /api/dossiers/{code}."""

from __future__ import annotations

from flask_smorest import Blueprint

from ..auth import current_caller, login_required
from ..dossier_service import dossier_tasks, dossier_timeline, get_dossier, submit_dossier
from ..schemas.dossiers import DossierSchema, SubmitDossierSchema

blp = Blueprint("dossiers", __name__, url_prefix="/api/dossiers", description="Hồ sơ")


def _describe(dossier):
    # The schema reads these two beside the dossier's own columns.
    dossier.tasks = dossier_tasks(dossier)
    dossier.timeline = dossier_timeline(dossier)
    return dossier


@blp.route("", methods=["POST"])
@login_required
@blp.arguments(SubmitDossierSchema)
@blp.response(201, DossierSchema)
def create_dossier(body):
    """Receive a dossier: validates the declaration, starts its workflow, opens its first task."""
    dossier = submit_dossier(
        current_caller(),
        procedure_code=body["procedure"],
        applicant=body["applicant"],
        channel=body["channel"],
        data=body["data"],
    )
    return _describe(dossier)


@blp.route("/<string:code>")
@login_required
@blp.response(200, DossierSchema)
def show_dossier(code):
    """A dossier of the caller's agency: status, applicant, due dates, tasks and timeline."""
    return _describe(get_dossier(current_caller(), code))
