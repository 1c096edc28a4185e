"""The working calendar: what is in force (GET), and the override days and office hours
operators change (role quan_tri); each change is a new version, and due dates already given
never move."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..auth import current_actor, login_required
from ..body import Blueprint
from ..schemas.common import LocalDateTime
from ..services import commit, operation
from ..services.calendars import describe_calendar, remove_day, set_day, set_office_hours

blp = Blueprint("calendar", __name__, url_prefix="/api/calendar", description="Lịch làm việc")


class OverrideSchema(Schema):
    date = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    kind = fields.String(required=True, metadata={"description": "day_off or working_day"})
    reason = fields.String(required=True, metadata={"description": "why (1–500 characters)"})


class OfficeHoursSchema(Schema):
    sessions = fields.List(
        fields.List(fields.String()),
        required=True,
        allow_none=True,
        metadata={"description": '[["07:30", "11:30"], ["13:00", "17:00"]]; null: the default'},
    )
    cutoff = fields.String(load_default="15:00", metadata={"description": "HH:MM"})


class ChangeSchema(Schema):
    version = fields.String()
    change = fields.String()
    at = LocalDateTime()
    by_id = fields.Integer(allow_none=True, metadata={"description": "the officer, if any"})


class CalendarSchema(Schema):
    version = fields.String(metadata={"description": "recorded with every due date"})
    office_hours = fields.Dict(metadata={"description": "the caller's agency's"})
    overrides = fields.List(fields.Dict())
    history = fields.List(fields.Nested(ChangeSchema))


@blp.route("")
@login_required
@blp.response(200, CalendarSchema)
def show():
    """The calendar in force: its version, the override days and the default office hours."""
    return _described()


@blp.route("/days", methods=["POST"])
@login_required
@blp.arguments(OverrideSchema)
@blp.response(201, CalendarSchema)
def add_day(body):
    """Declare a day off or a working day beyond the law's calendar (operators)."""
    set_day(operation(), current_actor(), body["date"], body["kind"], body["reason"])
    commit()
    return _described()


@blp.route("/days/<string:day>", methods=["DELETE"])
@login_required
@blp.response(200, CalendarSchema)
def delete_day(day):
    """Remove a day's override: the law's calendar applies to it again (operators)."""
    remove_day(operation(), current_actor(), day)
    commit()
    return _described()


@blp.route("/office-hours", methods=["PUT"])
@login_required
@blp.arguments(OfficeHoursSchema)
@blp.response(200, CalendarSchema)
def put_office_hours(body):
    """Set the caller's agency's own office sessions and cut-off (operators); null sessions
    put it back on the national default."""
    actor = current_actor()
    set_office_hours(actor, actor.agency_code, body["sessions"], body["cutoff"])
    commit()
    return _described()


def _described():
    actor = current_actor()
    return describe_calendar(operation(), actor.agency_id)
