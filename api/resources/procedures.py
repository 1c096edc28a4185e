"""GET /api/procedures: the catalogue, with the version in effect and its steps;
POST /api/procedures/check: the designer's check of a diagram."""

from __future__ import annotations

from flask import Response
from marshmallow import Schema, fields, validate

from engine.bpmn_xml import MAX_BPMN_BYTES

from ..auth import current_actor, login_required
from ..body import Blueprint
from ..schemas.common import LocalDateTime
from ..schemas.procedures import ProcedureDetailSchema, ProcedureSchema
from ..services import commit, describe_catalogue, operation
from ..services.catalogue import is_group_code
from ..services.groups import describe_procedure
from ..services.procedures import check_diagram
from ..services.versions import (
    compare_group_versions,
    compare_versions,
    describe_deployed,
    describe_group_version,
    describe_version,
    get_group_version,
    get_version,
    group_forms,
    list_group_versions,
    list_versions,
    upload_version,
)

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


class DiagramSchema(Schema):
    """A diagram uploaded with its forms."""

    bpmn = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_BPMN_BYTES),
        metadata={"description": "the BPMN 2.0 XML document, as text"},
    )
    forms = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=255)),
        values=fields.Dict(),
        load_default=None,
        metadata={"description": "JSON Schema forms by key (e.g. khai_sinh/tiep_nhan)"},
    )


class CheckRequestSchema(DiagramSchema):
    process_id = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "the process to check (the file's only executable one)"},
    )
    procedure = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=32),
        metadata={
            "description": "a deployed procedure or group: its process ids, deadline and forms"
        },
    )
    descriptor = fields.Dict(
        load_default=None,
        metadata={"description": "a procedure's or group's descriptor, for one not deployed"},
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
    process_ids = fields.List(fields.String(allow_none=True), metadata={"description": "checked"})
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
        descriptor=body["descriptor"],
    )


class VersionUploadSchema(DiagramSchema):
    descriptor = fields.Dict(
        load_default=None,
        metadata={
            "description": (
                "the procedure's metadata (code, name, agency_kind, process_id, "
                "legal_deadline, declaration_form, legal_basis…), or a group's (kind: group, "
                "members…): required for a new one; absent, the newest version's stays"
            )
        },
    )
    effective_from = fields.AwareDateTime(
        load_default=None,
        metadata={"description": "when new dossiers start using it (now if absent; not past)"},
    )


class VersionSchema(Schema):
    procedure = fields.String()
    kind = fields.String(metadata={"description": "procedure or group"})
    version = fields.Integer()
    content_hash = fields.String()
    process_id = fields.String()
    effective_from = LocalDateTime()
    created_at = LocalDateTime()
    in_force = fields.Boolean(metadata={"description": "the version new dossiers use now"})
    descriptor = fields.Dict(metadata={"description": "what the version says the procedure is"})
    members = fields.List(fields.Dict(), metadata={"description": "a group's member versions"})
    steps = fields.List(fields.Dict())
    forms = fields.List(fields.String())


class VersionListSchema(Schema):
    items = fields.List(fields.Nested(VersionSchema))


class DeployedSchema(VersionSchema):
    created = fields.Boolean(metadata={"description": "false: the same content was deployed"})
    findings = fields.List(fields.Nested(FindingSchema), metadata={"description": "warnings"})


@blp.route("/<string:code>/versions")
@login_required
@blp.response(200, VersionListSchema)
def versions(code):
    """A procedure's versions, newest first, saying which is in force."""
    op = operation()
    if is_group_code(code):
        return {"items": [describe_group_version(v, op) for v in list_group_versions(code)]}
    return {"items": [describe_version(v, op) for v in list_versions(code)]}


@blp.route("/<string:code>/versions", methods=["POST"])
@login_required
@blp.arguments(VersionUploadSchema)
@blp.response(201, DeployedSchema)
def upload(body, code):
    """Deploy a new version of a procedure from its diagram (designers, role thiet_ke): the
    check and the dry run first (422 with every error), then in force from `effective_from`.
    Dossiers received before keep their version."""
    op = operation()
    version, created, findings = upload_version(
        current_actor(),
        op,
        code,
        body["bpmn"].encode("utf-8"),
        forms=body["forms"],
        effective_from=body["effective_from"],
        descriptor=body["descriptor"],
    )
    commit()
    return {**describe_deployed(version, op), "created": created, "findings": findings}


@blp.route("/<string:code>/versions/<int:number>")
@login_required
@blp.response(200, VersionSchema)
def version(code, number):
    """One version: its dates, whether it is in force, its descriptor, steps and forms (a
    group's: its member versions)."""
    if is_group_code(code):
        return describe_group_version(get_group_version(code, number), operation())
    return describe_version(get_version(code, number), operation())


@blp.route("/<string:code>/versions/<int:number>/bpmn")
@login_required
def version_diagram(code, number):
    """The version's diagram, as deployed (BPMN 2.0 XML)."""
    found = get_group_version(code, number) if is_group_code(code) else get_version(code, number)
    return Response(
        found.bpmn_source,
        mimetype="application/xml",
        headers={
            "Content-Disposition": f'attachment; filename="{code}-v{number}.bpmn"',
        },
    )


@blp.route("/<string:code>/versions/<int:number>/forms")
@login_required
def version_forms(code, number):
    """The version's forms, by key: the JSON Schema (with its UI hints) of each step's form
    and of the declaration, as deployed."""
    if is_group_code(code):
        return group_forms(get_group_version(code, number))
    return dict(get_version(code, number).forms)


class ComparisonSchema(Schema):
    procedure = fields.String()
    from_ = fields.Integer(data_key="from")
    to = fields.Integer()
    diagram_changed = fields.Boolean()
    steps_added = fields.List(fields.String())
    steps_removed = fields.List(fields.String())
    steps_changed = fields.List(fields.Dict(), metadata={"description": "{step, changes}"})
    forms_added = fields.List(fields.String())
    forms_removed = fields.List(fields.String())
    forms_changed = fields.List(fields.String())
    descriptor_changes = fields.Dict(
        metadata={"description": "{field: {from, to}} of the descriptor (a group's: not members)"}
    )
    members_added = fields.List(fields.String(), metadata={"description": "a group's"})
    members_removed = fields.List(fields.String(), metadata={"description": "a group's"})
    members_changed = fields.List(
        fields.Dict(), metadata={"description": "a group's: {procedure, changes}"}
    )
    member_versions = fields.List(
        fields.Dict(), metadata={"description": "a group's pinned versions: {procedure, from, to}"}
    )


@blp.route("/<string:code>/versions/<int:older>/compare/<int:newer>")
@login_required
@blp.response(200, ComparisonSchema)
def compare(code, older, newer):
    """What changed between two versions: steps added, removed and changed (title, role,
    form, budget), forms added, removed and changed, the descriptor's fields, and whether the
    diagram changed; for a group: its descriptor, members added, removed and changed (shares,
    optional), and the member versions it pins."""
    if is_group_code(code):
        comparison = compare_group_versions(code, older, newer)
    else:
        comparison = compare_versions(code, older, newer)
    return {**comparison, "from_": comparison.pop("from")}
