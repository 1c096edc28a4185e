"""`motcua handoffs` and `motcua worker`: background work for operators."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..services import commit
from ..services.handoffs import list_handoffs, retry_handoff
from .common import emit, json_option, local_time, reports_errors

handoffs = AppGroup("handoffs", help="Handoffs between agencies (liên thông).")


@handoffs.command("list")
@click.option("--state", help="pending, waiting, sent, delivered or failed")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@reports_errors
def handoffs_list(state, limit, as_json):
    """List handoffs, newest first."""
    rows = list_handoffs(None, state=state, limit=limit)
    emit(
        {
            "handoffs": [
                {
                    "id": h.id,
                    "message": h.message,
                    "procedure": h.procedure_code,
                    "state": h.state,
                    "attempts": h.attempts,
                    "last_error": h.last_error,
                    "created_at": local_time(h.created_at),
                    "delivered_at": local_time(h.delivered_at),
                }
                for h in rows
            ]
        },
        as_json,
        "\n".join(
            f"{h.id}\t{h.state}\t{h.attempts}\t{h.procedure_code}\t{h.message}"
            + (f"\t{h.last_error}" if h.last_error and h.state != "delivered" else "")
            for h in rows
        )
        or "no handoffs",
    )


@handoffs.command("retry")
@click.argument("handoff_id")
@json_option
@reports_errors
def handoffs_retry(handoff_id, as_json):
    """Hand a failed handoff back to delivery, with fresh tries."""
    handoff = retry_handoff(None, handoff_id)
    commit()
    emit({"id": handoff.id, "state": handoff.state}, as_json, f"{handoff.id} is {handoff.state}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
@click.option("--name", default=None, help="the worker's name in rq")
@with_appcontext
def worker(burst, name):
    """Run a background worker: rq on REDIS_URL, with the outbox relay."""
    from ..jobs.worker import work

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "REDIS_URL is not set: without Redis, background work runs in the API process"
        )
    click.echo(f"motcua worker on {current_app.config['REDIS_URL']}")
    work(current_app._get_current_object(), burst=burst, name=name)
