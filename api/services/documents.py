"""Result documents: the PDF a signing step issues (a user task with the property
`result_document`), signed with its agency's key (PAdES) and kept in `documents`, byte for
byte; listing and downloading them (agency-scoped); and verifying any PDF's signature
against the platform's CA, for anyone.

Keys: `MOTCUA_SIGNING_DIR` (default: the instance folder's `signing/`) holds
`<agency code>.p12` (password `MOTCUA_SIGNING_PASSWORD`) and the CA's certificate `ca.pem`.
An agency without a usable key still completes its step: the document is kept unsigned and
the event says why (the citizen's result is never held back by the platform's key store).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import undefer

from processes import EventAction

from ..documents import signing, slips
from ..store import Agency, Document, Dossier, DossierRef, db, log_event
from .actor import Actor
from .errors import Invalid, not_found
from .procedures import compiled_version
from .runtime import Operation

_LOG = logging.getLogger("motcua.documents")
PDF = "application/pdf"
RESULT = "result"
MAX_VERIFY_BYTES = 10 * 1024 * 1024


def signing_dir() -> Path:
    configured = current_app.config.get("MOTCUA_SIGNING_DIR")
    return Path(configured or Path(current_app.config["MOTCUA_INSTANCE_DIR"]) / "signing")


def signing_password() -> str:
    return current_app.config.get("MOTCUA_SIGNING_PASSWORD") or ""


def result_template(version_id: int, step: str) -> str | None:
    """Returns the `result_document` property of a step of a procedure version, if any."""
    process = compiled_version(version_id)
    specs = [process.spec, *process.subprocess_specs.values()]
    for spec in specs:
        task_spec = spec.task_specs.get(step)
        if task_spec is not None:
            properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
            return properties.get("result_document") or None
    return None


def issue_result(
    dossier: DossierRef, step: str, answers: dict[str, Any], op: Operation, actor: Actor
) -> Document | None:
    """Issues the result document of a completed step that names one, in the caller's
    transaction (after the transition was written, before its commit). Returns None when the
    step issues nothing. Never fails the step for want of a key: the document is then kept
    unsigned, and the event says why."""
    template = result_template(dossier.procedure_version_id, step)
    if template is None:
        return None
    row = db.session.execute(
        select(Dossier.declaration, Agency.code, Agency.name)
        .join(Agency, Agency.id == Dossier.agency_id)
        .where(Dossier.id == dossier.id)
    ).one()
    declaration, agency_code, agency_name = row
    if template not in slips.RESULT_TEMPLATES:
        # A diagram naming a template this platform lacks: the step is done, nothing issued.
        _LOG.warning("unknown result template", extra={"template": template[:100]})
        _event(
            dossier,
            op,
            actor,
            step,
            {"template": template, "issued": False, "reason": "unknown template"},
        )
        return None
    title = slips.RESULT_TEMPLATES[template][0]
    key = signing_dir() / f"{agency_code}.p12"
    signer_name = agency_name
    content = slips.result_document(
        slips.ResultInfo(
            template=template,
            agency=slips.AgencyInfo(agency_code, agency_name),
            code=dossier.code,
            declaration=declaration or {},
            answers=answers,
            issued_at=op.at,
            signer=signer_name,
        )
    )
    signed_by, unsigned = None, None
    if key.is_file():
        try:
            signed = signing.sign_pdf(
                content,
                key.read_bytes(),
                signing_password(),
                reason=f"{title} của hồ sơ {dossier.code}",
                location=agency_name,
            )
            content, signed_by = signed.pdf, signed.signed_by
        except signing.SigningError as exc:
            unsigned = str(exc)
    else:
        unsigned = f"no signing key for agency {agency_code}"
    if unsigned:
        _LOG.warning("result issued unsigned", extra={"dossier": dossier.code, "why": unsigned})
    document = Document(
        dossier_id=dossier.id,
        kind=RESULT,
        filename=f"{template}-{dossier.code}.pdf",
        media_type=PDF,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        signed_by=signed_by,
        created_at=op.at,
    )
    db.session.add(document)
    db.session.flush()
    detail: dict[str, Any] = {
        "template": template,
        "issued": True,
        "document_id": document.id,
        "sha256": document.sha256,
        "signed_by": signed_by,
    }
    if unsigned:
        detail["unsigned_reason"] = unsigned
    _event(dossier, op, actor, step, detail)
    return document


def _event(dossier: DossierRef, op: Operation, actor: Actor, step: str, detail: dict) -> None:
    log_event(
        dossier_id=dossier.id,
        agency_id=dossier.agency_id,
        officer_id=actor.officer_id,
        action=EventAction.DOCUMENT_ISSUED.value,
        step=step,
        status_before=None,
        status_after=None,
        at=op.at,
        detail=detail,
    )


def _dossier_id(actor: Actor, code: str) -> int:
    found = db.session.scalar(
        select(Dossier.id).where(Dossier.code == code, Dossier.agency_id == actor.agency_id)
    )
    if found is None:
        raise not_found("dossier")
    return found


def list_documents(actor: Actor, code: str) -> list[Document]:
    """Returns the documents of a dossier of the actor's agency, oldest first."""
    dossier_id = _dossier_id(actor, code)
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.dossier_id == dossier_id)
            .order_by(Document.created_at, Document.id)
        )
    )


def get_document(actor: Actor, code: str, document_id: int) -> Document:
    """Returns one document (with its bytes) of a dossier of the actor's agency."""
    dossier_id = _dossier_id(actor, code)
    document = db.session.scalars(
        select(Document)
        .where(Document.id == document_id, Document.dossier_id == dossier_id)
        .options(undefer(Document.content))
    ).one_or_none()
    if document is None:
        raise not_found("document")
    return document


def verify(pdf: bytes) -> signing.Verification:
    """Returns what a PDF's signature proves against the platform's CA; Invalid when the
    bytes are not a PDF."""
    if len(pdf) > MAX_VERIFY_BYTES:
        raise Invalid("the PDF is too large", {"(body)": ["at most 10 MB"]})
    try:
        return signing.verify_pdf(pdf, signing.load_trust_roots(signing_dir()))
    except signing.NotAPdf as exc:
        raise Invalid("the body is not a PDF", {"(body)": [str(exc)]}) from None


def demo_pki(codes: list[str] | None = None) -> list[tuple[str, Path]]:
    """Makes the demo PKI in the signing folder: the CA "motcua demo CA" (kept if present)
    and a key and certificate for each agency named (all agencies when none is), kept when
    it exists. Returns (agency code, its .p12) per agency; Invalid for an unknown code."""
    query = select(Agency.code, Agency.name).order_by(Agency.code)
    if codes:
        query = query.where(Agency.code.in_(codes))
    agencies = db.session.execute(query).all()
    missing = sorted(set(codes or ()) - {code for code, _ in agencies})
    if missing:
        raise Invalid("unknown agency", {"agency": [f"no agency {code!r}" for code in missing]})
    folder = signing_dir()
    signing.ensure_demo_ca(folder)
    return [
        (code, signing.issue_agency_key(folder, code, name, signing_password()))
        for code, name in agencies
    ]
