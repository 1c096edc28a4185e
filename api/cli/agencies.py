"""`motcua agencies`: create and list agencies (cơ quan)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from engine.reminders import PolicyInvalid, ReminderPolicy

from ..services import create_agency, list_agencies, make_external, make_internal, operation
from ..services.accounts import get_agency, set_webhook
from ..services.signatures import new_secret
from ..store import db
from .common import emit, json_option, reports_errors

agencies = AppGroup("agencies", help="Agencies (cơ quan).")


@agencies.command("create")
@click.option("--code", required=True, help="e.g. H29.01")
@click.option("--name", required=True, help="e.g. UBND xã Tân An")
@click.option("--kind", required=True, help="ubnd_xa, cong_an, bhxh, bao_tro_xa_hoi")
@click.option("--area", default="", help="the area it serves, e.g. H29.01 (H29: all of H29.*)")
@json_option
@reports_errors
def agencies_create(code, name, kind, area, as_json):
    """Create an agency."""
    agency = create_agency(operation(), code=code, name=name, kind=kind, area=area)
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
        {
            "agencies": [
                {
                    "code": a.code,
                    "name": a.name,
                    "kind": a.kind,
                    "area": a.area,
                    "external_url": a.external_url,
                }
                for a in rows
            ]
        },
        as_json,
        "\n".join(
            f"{a.code}\t{a.kind}\t{a.area or '-'}\t{a.name}"
            + (f"\t(outside: {a.external_url})" if a.external_url else "")
            for a in rows
        )
        or "no agencies",
    )


@agencies.command("external")
@click.argument("code")
@click.option("--url", help="where its handoffs are POSTed (http or https)")
@click.option("--internal", is_flag=True, help="work inside the platform again")
@json_option
@reports_errors
def agencies_external(code, url, internal, as_json):
    """Register an agency as outside the platform, with a new shared secret (printed once:
    give it to the agency, which signs its results with it)."""
    if internal:
        agency = make_internal(code)
        db.session.commit()
        emit({"code": agency.code, "external": False}, as_json, f"{code} works in the platform")
        return
    if not url:
        raise click.UsageError("give --url, or --internal")
    secret = new_secret()
    agency = make_external(code, url, secret)
    db.session.commit()
    emit(
        {"code": agency.code, "url": agency.external_url, "secret": secret},
        as_json,
        f"{code} receives its handoffs at {url}\nshared secret (shown once): {secret}",
    )


@agencies.command("webhook")
@click.argument("code")
@click.option("--url", help="where the agency's notifications are POSTed, signed")
@click.option("--off", is_flag=True, help="POST no notifications")
@json_option
@reports_errors
def agencies_webhook(code, url, off, as_json):
    """Send an agency's reminders and overdue notices to a webhook too, signed with a new
    secret (printed once: the receiver verifies with it)."""
    if not url and not off:
        raise click.UsageError("give --url, or --off")
    agency, secret = set_webhook(code, None if off else url)
    db.session.commit()
    if secret is None:
        emit({"code": agency.code, "webhook": None}, as_json, f"{code}: no webhook")
        return
    emit(
        {"code": agency.code, "webhook": agency.webhook_url, "secret": secret},
        as_json,
        f"{code} notifications also go to {agency.webhook_url}\nsecret (shown once): {secret}",
    )


@agencies.command("reminders")
@click.argument("code")
@click.option("--at", "points", multiple=True, help='a point: "50%" of the time used, "1d" before')
@click.option("--overdue/--no-overdue", default=True, help="tell the leaders when overdue")
@click.option("--default", "use_default", is_flag=True, help="the platform's default policy")
@json_option
@reports_errors
def agencies_reminders(code, points, overdue, use_default, as_json):
    """Show, or with --at / --default set, when an agency's officers are reminded of open
    steps and its leaders told of overdue ones."""
    agency = get_agency(code)
    if points or use_default:
        try:
            policy = (
                ReminderPolicy()
                if use_default
                else ReminderPolicy.read({"points": list(points), "overdue": overdue})
            )
        except PolicyInvalid as exc:
            raise click.BadParameter(exc.message, param_hint=exc.field) from None
        agency.reminder_policy = None if use_default else policy.to_json()
        db.session.commit()
    else:
        policy = ReminderPolicy.read(agency.reminder_policy)
    emit(
        {"code": agency.code, **policy.to_json()},
        as_json,
        f"{code}: reminders at {', '.join(policy.points) or 'no point'}; "
        + ("leaders told when overdue" if policy.overdue else "no overdue notice"),
    )
