"""`motcua calendar`: the override calendar and agencies' office hours."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..services import commit, operation
from ..services.calendars import (
    DAY_OFF,
    WORKING_DAY,
    describe_calendar,
    remove_day,
    set_day,
    set_office_hours,
)
from .common import emit, json_option, local_time, reports_errors

calendar = AppGroup("calendar", help="The working calendar (lịch làm việc).")


@calendar.command("show")
@json_option
@reports_errors
def calendar_show(as_json):
    """The calendar in force: its version, override days, office hours, history."""
    shown = describe_calendar(operation())
    for change in shown["history"]:
        change["at"] = local_time(change["at"])
    lines = [f"version {shown['version']}"]
    lines += [f"{o['date']}\t{o['kind']}\t{o['reason']}" for o in shown["overrides"]]
    emit(shown, as_json, "\n".join(lines))


@calendar.command("day-off")
@click.argument("day")
@click.option("--reason", required=True, help="why the offices are closed that day")
@json_option
@reports_errors
def calendar_day_off(day, reason, as_json):
    """Declare DAY (YYYY-MM-DD) a day off, beyond the law's holidays."""
    _changed(set_day(operation(), None, day, DAY_OFF, reason), as_json)


@calendar.command("working-day")
@click.argument("day")
@click.option("--reason", required=True, help="e.g. the decision that made it a working day")
@json_option
@reports_errors
def calendar_working_day(day, reason, as_json):
    """Declare DAY (YYYY-MM-DD) a working day (a make-up Saturday, say)."""
    _changed(set_day(operation(), None, day, WORKING_DAY, reason), as_json)


@calendar.command("remove")
@click.argument("day")
@json_option
@reports_errors
def calendar_remove(day, as_json):
    """Remove DAY's override: the law's calendar applies to it again."""
    _changed(remove_day(operation(), None, day), as_json)


@calendar.command("hours")
@click.argument("agency")
@click.option("--sessions", help='e.g. "07:00-11:00,13:30-17:30"')
@click.option("--cutoff", default="15:00", show_default=True)
@click.option("--default", "use_default", is_flag=True, help="back to the national hours")
@json_option
@reports_errors
def calendar_hours(agency, sessions, cutoff, use_default, as_json):
    """Give AGENCY its own office sessions and cut-off."""
    if not use_default and not sessions:
        raise click.UsageError("give --sessions, or --default")
    pairs = None if use_default else [part.split("-", 1) for part in sessions.split(",")]
    changed = set_office_hours(None, agency, pairs, cutoff)
    commit()
    emit(
        {"agency": changed.code, "office_hours": changed.office_hours},
        as_json,
        f"{changed.code}: {changed.office_hours or 'national office hours'}",
    )


def _changed(row, as_json) -> None:
    commit()
    emit(
        {"version": row.version, "change": row.change},
        as_json,
        f"calendar {row.version}: {row.change}",
    )
