"""The legal slips as PDFs (GET /api/dossiers/{code}/slips/{kind}, GET /api/register), a
dossier's result documents (GET /api/dossiers/{code}/documents[/{id}]) and the signature
check anyone may run (POST /api/verify, no token)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..auth import current_actor, login_required
from ..body import Blueprint
from ..schemas.documents import DocumentSchema, RegisterArgsSchema, VerificationSchema
from ..services import Invalid
from ..services.documents import MAX_VERIFY_BYTES, get_document, list_documents, verify
from ..services.slips import KINDS, parse_period, register, slip

blp = Blueprint("slips", __name__, url_prefix="/api", description="Phiếu, sổ và kết quả ký số")

_PDF_RESPONSE = {"200": {"description": "the PDF", "content": {"application/pdf": {}}}}


def _pdf(filename: str, content: bytes) -> Response:
    answer = Response(content, mimetype="application/pdf")
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "")
    answer.headers["Content-Disposition"] = (
        f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return answer


@blp.route("/dossiers/<string:code>/slips/<string:kind>")
@login_required
@blp.doc(
    responses=_PDF_RESPONSE,
    parameters=[{"in": "path", "name": "kind", "schema": {"type": "string", "enum": KINDS}}],
)
def show_slip(code, kind):
    """A slip of a dossier of the caller's agency, printable: `tiep-nhan` (receipt and
    appointment, with the lookup QR code), `bo-sung` (supplement request), `tu-choi`
    (refusal), `xin-loi` (apology and new appointment), `kiem-soat` (control slip of an
    interlinked dossier), `dung-xu-ly` (stop notice). 404 when the dossier never had it."""
    found = slip(current_actor(), code, kind)
    return _pdf(found.filename, found.content)


@blp.route("/register")
@login_required
@blp.arguments(RegisterArgsSchema, location="query")
@blp.doc(responses=_PDF_RESPONSE)
def show_register(args):
    """The register (Sổ theo dõi hồ sơ) of the caller's agency: the dossiers received from
    `from` to `to` (days in Vietnam, at most 366 days)."""
    start, end = parse_period(args.get("from_"), args.get("to"))
    found = register(current_actor(), start, end)
    return _pdf(found.filename, found.content)


@blp.route("/dossiers/<string:code>/documents")
@login_required
@blp.response(200, DocumentSchema(many=True))
def documents(code):
    """The documents a dossier of the caller's agency issued (the signed result)."""
    return list_documents(current_actor(), code)


@blp.route("/dossiers/<string:code>/documents/<int:document_id>")
@login_required
@blp.doc(responses=_PDF_RESPONSE)
def download(code, document_id):
    """One document, byte for byte as issued."""
    document = get_document(current_actor(), code, document_id)
    answer = _pdf(document.filename, document.content)
    answer.headers["Content-Type"] = document.media_type
    answer.headers["Digest"] = f"sha-256={document.sha256}"
    return answer


@blp.route("/verify", methods=["POST"])
@blp.doc(
    security=[],
    requestBody={
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
    },
)
@blp.response(200, VerificationSchema)
def verify_pdf():
    """Checks a PDF's signature against the platform's CA (no token): the body is the PDF
    (`Content-Type: application/pdf`, at most 10 MB). 200 with `valid` false and a message
    for no signature, a changed document or another CA; 422 when the body is not a PDF."""
    if request.mimetype != "application/pdf":
        raise Invalid(
            "send the PDF as the body with Content-Type: application/pdf",
            {"(body)": [f"got {request.mimetype or 'no content type'}"]},
        )
    if request.content_length is not None and request.content_length > MAX_VERIFY_BYTES:
        raise RequestEntityTooLarge("the PDF is larger than 10 MB")
    request.max_content_length = MAX_VERIFY_BYTES
    return verify(request.get_data(cache=False))
