"""GET /api/procedures: the catalogue, with the version in effect and its steps."""

from __future__ import annotations

from flask_smorest import Blueprint

from processes import CATALOGUE

from ..auth import login_required
from ..procedures import compiled, current_version
from ..runtime import now
from ..schemas.procedures import ProcedureSchema

blp = Blueprint("procedures", __name__, url_prefix="/api/procedures", description="Thủ tục hành chính")


@blp.route("")
@blp.response(200, ProcedureSchema(many=True))
@login_required
def list_procedures():
    """The procedure catalogue, each with its legal deadline and the steps of its version."""
    at = now()
    result = []
    for procedure in CATALOGUE.values():
        version = current_version(procedure.code, at)
        steps = []
        if version is not None:
            steps = [
                {
                    "step": step.name,
                    "title": step.title,
                    "role": step.role,
                    "form_key": step.form_key,
                    "budget_days": str(step.budget_days),
                }
                for step in compiled(version).steps.values()
            ]
        result.append(
            {
                "code": procedure.code,
                "name": procedure.name,
                "agency_kind": procedure.agency_kind.value,
                "deadline": procedure.deadline,
                "legal_basis": procedure.legal_basis,
                "version": version.version if version else None,
                "content_hash": version.content_hash if version else None,
                "steps": steps,
            }
        )
    return result
