"""GET /api/procedures: the catalogue, with the version in effect and its steps;
POST /api/procedures/check: the designer's check of a diagram."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.bpmn_xml import MAX_BPMN_BYTES

from ..auth import login_required
from ..body import Blueprint
from ..schemas.procedures import ProcedureDetailSchema, ProcedureSchema
from ..services import describe_catalogue, operation
from ..services.groups import describe_procedure
from ..services.procedures import check_diagram

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


class CheckRequestSchema(Schema):
    bpmn = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_BPMN_BYTES),
        metadata={"description": "the BPMN 2.0 XML document, as text"},
    )
    process_id = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "the process to check (the file's only executable one)"},
    )
    procedure = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "a catalogue procedure: its process id, deadline and forms"},
    )
    forms = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=255)),
        values=fields.Dict(),
        load_default=None,
        metadata={"description": "JSON Schema forms by key (e.g. khai_sinh/tiep_nhan)"},
    )


class FindingSchema(Schema):
    severity = fields.String(metadata={"description": "error or warning"})
    element = fields.String(metadata={"description": "the element id, or document"})
    name = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    message = fields.String()


class CheckReportSchema(Schema):
    ok = fields.Boolean(metadata={"description": "no error: the diagram would deploy"})
    process_id = fields.String(allow_none=True)
    errors = fields.Integer()
    warnings = fields.Integer()
    findings = fields.List(fields.Nested(FindingSchema))


@blp.route("/check", methods=["POST"])
@login_required
@blp.arguments(CheckRequestSchema)
@blp.response(200, CheckReportSchema)
def check(body):
    """The designer's check of a diagram: every error and warning at once, each with its
    element, name and line; deploys nothing."""
    return check_diagram(
        operation(),
        body["bpmn"].encode("utf-8"),
        process_id=body["process_id"],
        forms=body["forms"],
        procedure_code=body["procedure"],
    )
