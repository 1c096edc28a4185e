"""`motcua signing`: the keys that sign results (a test PKI for the demo)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..services.documents import demo_pki, signing_dir
from .common import emit, json_option, reports_errors

signing = AppGroup("signing", help="Signing keys and certificates of the agencies.")


@signing.command("demo-pki")
@click.option(
    "--agency", "agencies", multiple=True, help="agency code (repeatable; default: every agency)"
)
@json_option
@reports_errors
def signing_demo_pki(agencies, as_json):
    """Make a test PKI in MOTCUA_SIGNING_DIR: the root CA "motcua demo CA" (ca.pem) and one
    key and certificate per agency (<code>.p12); existing files are kept. Not for production:
    the CA's key lies beside the certificates."""
    issued = demo_pki(list(agencies) or None)
    folder = signing_dir()
    emit(
        {"folder": str(folder), "agencies": [{"agency": c, "file": str(p)} for c, p in issued]},
        as_json,
        f"demo PKI in {folder}: " + (", ".join(f"{code}.p12" for code, _ in issued) or "no agency"),
    )
