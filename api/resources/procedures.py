"""GET /api/procedures: the catalogue, with the version in effect and its steps."""

from __future__ import annotations

from ..auth import login_required
from ..body import Blueprint
from ..schemas.procedures import ProcedureDetailSchema, ProcedureSchema
from ..services import describe_catalogue, operation
from ..services.groups import describe_procedure

blp = Blueprint(
    "procedures", __name__, url_prefix="/api/procedures", description="Thủ tục hành chính"
)


@blp.route("")
@blp.response(200, ProcedureSchema(many=True))
@login_required
def list_procedures():
    """The procedure catalogue, each with its legal deadline and the steps of its version."""
    return describe_catalogue(operation())


@blp.route("/<string:code>")
@blp.response(200, ProcedureDetailSchema)
@login_required
def show_procedure(code):
    """A procedure or an interlinked group (`LT-KS`, `LT-KT`): its deadline, its members (a
    group) and the JSON Schema of the declaration it is received with, for a reception client
    to build its form from."""
    return describe_procedure(operation(), code)
