"""`motcua agencies`: create and list agencies (cơ quan)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..services import create_agency, list_agencies, operation
from ..store import db
from .common import emit, json_option, reports_errors

agencies = AppGroup("agencies", help="Agencies (cơ quan).")


@agencies.command("create")
@click.option("--code", required=True, help="e.g. H29.01")
@click.option("--name", required=True, help="e.g. UBND xã Tân An")
@click.option("--kind", required=True, help="ubnd_xa, cong_an, bhxh, bao_tro_xa_hoi")
@json_option
@reports_errors
def agencies_create(code, name, kind, as_json):
    """Create an agency."""
    agency = create_agency(operation(), code=code, name=name, kind=kind)
    db.session.commit()
    emit(
        {"code": agency.code, "name": agency.name, "kind": agency.kind},
        as_json,
        f"created agency {agency.code} ({agency.name})",
    )


@agencies.command("list")
@json_option
@reports_errors
def agencies_list(as_json):
    """List every agency."""
    rows = list_agencies()
    emit(
        {"agencies": [{"code": a.code, "name": a.name, "kind": a.kind} for a in rows]},
        as_json,
        "\n".join(f"{a.code}\t{a.kind}\t{a.name}" for a in rows) or "no agencies",
    )
