"""Notifications: an officer's own reminders and overdue notices (with how each was
delivered), and the agency's reminder policy, which its operators (role quan_tri) set."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..auth import current_actor, login_required
from ..body import Blueprint
from ..schemas.common import LocalDateTime
from ..services import commit
from ..services.notifications import notifications_of, reminder_policy, set_reminder_policy

blp = Blueprint(
    "notifications", __name__, url_prefix="/api", description="Nhắc việc và cảnh báo quá hạn"
)


class DeliverySchema(Schema):
    channel = fields.String(metadata={"description": "email or webhook"})
    state = fields.String(metadata={"description": "pending, sent or failed"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    sent_at = LocalDateTime(allow_none=True)


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "reminder or overdue"})
    point = fields.String(metadata={"description": '"50%", "1d", "overdue"'})
    task_id = fields.String(allow_none=True)
    subject = fields.String()
    body = fields.String()
    created_at = LocalDateTime()
    deliveries = fields.List(fields.Nested(DeliverySchema))


class NotificationListSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))


class PolicySchema(Schema):
    points = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": 'e.g. ["50%", "1d"]: share of the step\'s time used, or '
            "working days before it is due"
        },
    )
    overdue = fields.Boolean(
        load_default=True, metadata={"description": "tell the agency's leaders when overdue"}
    )


@blp.route("/notifications")
@login_required
@blp.response(200, NotificationListSchema)
def mine():
    """The caller's own notifications, newest first (the last 50)."""
    return {"items": notifications_of(current_actor())}


@blp.route("/reminder-policy")
@login_required
@blp.response(200, PolicySchema)
def show_policy():
    """When the caller's agency reminds its officers of open steps."""
    return reminder_policy(current_actor()).to_json()


@blp.route("/reminder-policy", methods=["PUT"])
@login_required
@blp.arguments(PolicySchema)
@blp.response(200, PolicySchema)
def put_policy(body):
    """Set the agency's reminder policy (operators); open steps follow it from their next
    reminder."""
    policy = set_reminder_policy(current_actor(), body)
    commit()
    return policy.to_json()
