"""Signed results: PAdES signatures with pyHanko, their verification against a trust root,
and the demo PKI (a root CA and one certificate per agency, made with `cryptography`).

Pure: bytes and folders in, bytes and dataclasses out; the caller decides where keys live.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = "motcua demo CA"
CA_CERT = "ca.pem"
CA_KEY = "ca.key.pem"

_LOG = logging.getLogger("motcua.signing")


class SigningError(Exception):
    """The key could not be read or the document not signed (the message says why)."""


# --- the demo PKI ---------------------------------------------------------------------


def _name(common_name: str, organization: str = "motcua") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)


def ensure_demo_ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """Returns the demo CA of a folder, made there (certificate and key) if missing."""
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / CA_CERT, folder / CA_KEY
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return cert, key  # type: ignore[return-value]
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    name = _name(CA_NAME)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    _write_private(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def issue_agency_key(
    folder: Path, code: str, name: str, password: str = "", *, replace: bool = False
) -> Path:
    """Returns `<folder>/<code>.p12`: the agency's key and a certificate from the demo CA
    (kept when it exists, unless `replace`)."""
    path = folder / f"{code}.p12"
    if path.exists() and not replace:
        return path
    ca_cert, ca_key = ensure_demo_ca(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name, organization=code))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    data = pkcs12.serialize_key_and_certificates(code.encode(), key, cert, [ca_cert], encryption)
    _write_private(path, data)
    return path


# --- signing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    pdf: bytes
    signed_by: str  # the certificate's subject common name


def _common_name(cert: asn1_x509.Certificate) -> str:
    native = cert.subject.native
    return str(native.get("common_name") or cert.subject.human_friendly)


def sign_pdf(
    pdf: bytes,
    p12: bytes,
    password: str = "",
    *,
    reason: str = "",
    location: str = "",
    field_name: str = "ChuKySo",
) -> Signed:
    """Returns the PDF signed (PAdES baseline B, one invisible signature) with the key and
    certificate of a PKCS#12 file; SigningError when the file cannot be used."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    try:
        signer = signers.SimpleSigner.load_pkcs12_data(
            p12, other_certs=[], passphrase=password.encode() if password else None
        )
    except Exception as exc:  # pyHanko raises several kinds for a bad file or password
        raise SigningError(f"the key file cannot be read: {type(exc).__name__}") from None
    if signer is None:
        raise SigningError("the key file cannot be read")
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason or None,
        location=location or None,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        out = signers.sign_pdf(writer, metadata, signer=signer)
    except Exception as exc:  # pyHanko's own errors, a PDF it cannot extend, a bad key
        raise SigningError(f"the document cannot be signed: {str(exc)[:200]}") from None
    return Signed(out.getvalue(), _common_name(signer.signing_cert))


# --- verification ---------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    valid: bool  # intact, cryptographically sound, trusted and covering the whole file
    intact: bool
    signed_by: str | None
    signed_at: datetime | None
    covers_whole_document: bool
    trusted: bool
    message: str


class NotAPdf(Exception):
    """The bytes are not a PDF that can be read."""


def load_trust_roots(folder: Path) -> list[asn1_x509.Certificate]:
    """Returns the CA certificate(s) of the signing folder (none when there is no CA)."""
    path = folder / CA_CERT
    if not path.exists():
        return []
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return [asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))]


def verify_pdf(pdf: bytes, trust_roots: list[asn1_x509.Certificate]) -> Verification:
    """Returns what the PDF's last signature proves; NotAPdf when it is not a readable PDF.
    Never raises for a signature that is missing, broken or untrusted: it says so."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not pdf.lstrip()[:5] == b"%PDF-":
        raise NotAPdf("the body is not a PDF (it does not start with %PDF-)")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise NotAPdf(f"the PDF cannot be read: {str(exc)[:200]}") from None
    if not signatures:
        return Verification(False, False, None, None, False, False, "the PDF has no signature")
    signature = signatures[-1]
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    try:
        status = validate_pdf_signature(signature, context)
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
        return Verification(
            False, False, None, None, False, False, f"the signature cannot be checked: {exc}"
        )
    except Exception as exc:  # a malformed signature must never become a 500
        _LOG.warning("signature validation failed", extra={"error": repr(exc)[:300]})
        return Verification(
            False, False, None, None, False, False, "the signature cannot be checked"
        )
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    signer = _common_name(status.signing_cert) if status.signing_cert is not None else None
    intact = bool(status.intact)
    sound = bool(status.valid)
    trusted = bool(status.trusted)
    valid = intact and sound and trusted and whole
    if not intact:
        message = "the document was changed after it was signed"
    elif not sound:
        message = "the signature does not match the document"
    elif not trusted:
        message = "the signer's certificate is not issued by the platform's CA"
    elif not whole:
        message = "the signature does not cover the whole document (content was added after)"
    else:
        message = "the signature is valid"
    return Verification(
        valid=valid,
        intact=intact,
        signed_by=signer,
        signed_at=status.signer_reported_dt,
        covers_whole_document=whole,
        trusted=trusted,
        message=message,
    )
