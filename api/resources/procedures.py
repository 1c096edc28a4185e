"""GET /api/procedures: the catalogue, with the version in effect and its steps."""

from __future__ import annotations

from ..auth import login_required
from ..body import Blueprint
from ..schemas.procedures import ProcedureSchema
from ..services import describe_catalogue, operation

blp = Blueprint(
    "procedures", __name__, url_prefix="/api/procedures", description="Thủ tục hành chính"
)


@blp.route("")
@blp.response(200, ProcedureSchema(many=True))
@login_required
def list_procedures():
    """The procedure catalogue, each with its legal deadline and the steps of its version."""
    return describe_catalogue(operation())
