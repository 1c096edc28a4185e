"""Reminders and escalation, as each agency's policy: who is told what about an open step,
recorded, and delivered through channels.

Every open task carries `remind_at`, the next instant its agency's policy has something to
say (set to the opening instant when it opens or its due date moves, so the sweep computes
its schedule then). The sweep (`due_reminders`, run by the relay in every worker and in an
embedded server) takes the tasks whose instant has come, `FOR UPDATE SKIP LOCKED`, and in the
same transaction:

- finds the policy's points reached since the task was last looked at (only the latest is
  told: a sweep that was away says "due in 1 day", not also "half the time used");
- records one notification per recipient: for a reminder, the officer holding the task, or
  the active officers of its role while nobody holds it; for an overdue step, the agency's
  leaders;
- records a delivery per channel the recipient has (email, when the officer has an address
  and the platform an SMTP server; the agency's signed webhook) with its outbox job;
- moves `remind_at` to the schedule's next point (none after the due instant).

A delivery job sends through its channel (`channels.py`) and marks it sent in the same
transaction; a failed try is retried with the outbox's backoff, and one that cannot succeed
(an address the mail server refuses) is marked failed at once. Resends carry the same
message id, for receivers to drop a repeat.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import bindparam, select, update

from engine import TIMEZONE
from engine.reminders import OVERDUE, PolicyInvalid, ReminderPoint, ReminderPolicy
from processes import LEADER_ROLE, OPERATOR_ROLE, TaskState

from ..store import (
    Agency,
    Notification,
    NotificationDelivery,
    Officer,
    OfficerRole,
    Task,
    add_job,
    db,
)
from .actor import Actor
from .channels import ChannelError, send_email, send_webhook
from .errors import Forbidden, Invalid
from .runtime import Operation, operation, read_reminder_policy, runtime

DELIVER_NOTIFICATION = "deliver_notification"
OPERATOR_ONLY = "only the agency's operators change its reminder policy"
_LOG = logging.getLogger("motcua.notifications")
# Tasks one sweep looks at: the rest wait for the next (a second later).
SWEEP_LIMIT = 500
EMAIL, WEBHOOK = "email", "webhook"
PENDING, SENT, FAILED = "pending", "sent", "failed"


def due_reminders(op: Operation, limit: int = SWEEP_LIMIT) -> int:
    """Records the notifications of the open tasks whose reminder instant has come and moves
    each one's instant on; returns how many notifications (the caller commits).

    Most tasks a sweep takes have nothing to say yet (a task just opened: its schedule is
    computed now), so the sweep reads plain rows and moves every instant in one executemany;
    only a task with something to tell is loaded whole, for its message."""
    rows = db.session.execute(
        select(Task.id, Task.agency_id, Task.created_at, Task.due_at, Task.reminded_until)
        .where(
            Task.remind_at <= op.at,
            Task.remind_at.is_not(None),
            Task.state.in_((TaskState.OPEN.value, TaskState.CLAIMED.value)),
        )
        .order_by(Task.remind_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return 0
    agencies = {
        agency.id: agency
        for agency in db.session.scalars(
            select(Agency).where(Agency.id.in_({row.agency_id for row in rows}))
        )
    }
    policies = {agency_id: _policy(agency) for agency_id, agency in agencies.items()}
    recorded, moves = 0, []
    for row in rows:
        calendar = op.calendar_of(row.agency_id)
        schedule = policies[row.agency_id].schedule(row.created_at, row.due_at, calendar)
        since = row.reminded_until or row.created_at
        reached = [point for point in schedule if since < point.at <= op.at]
        if reached:
            task = db.session.get(Task, row.id)
            recorded += _notify(task, agencies[row.agency_id], reached[-1], op)
        moves.append(
            {
                "p_id": row.id,
                "reminded_until": op.at,
                "remind_at": next((point.at for point in schedule if point.at > op.at), None),
            }
        )
    db.session.execute(_MOVE_REMINDERS, moves)
    return recorded


_MOVE_REMINDERS = (
    update(Task.__table__)
    .where(Task.__table__.c.id == bindparam("p_id"))
    .values(reminded_until=bindparam("reminded_until"), remind_at=bindparam("remind_at"))
)


def _policy(agency: Agency) -> ReminderPolicy:
    return read_reminder_policy(agency.id, agency.reminder_policy)


def _notify(task: Task, agency: Agency, point: ReminderPoint, op: Operation) -> int:
    recipients = _recipients(task, agency, point)
    subject, body = _message(task, agency, point)
    for officer in recipients:
        notification = Notification(
            agency_id=agency.id,
            officer_id=officer.id,
            dossier_id=task.dossier_id,
            task_id=task.id,
            kind=point.kind,
            point=point.point,
            subject=subject,
            body=body,
            created_at=op.at,
        )
        db.session.add(notification)
        db.session.flush()  # its id names its deliveries and their messages
        channels = []
        if officer.email and runtime().smtp is not None:
            channels.append((EMAIL, officer.email))
        if agency.webhook_url and agency.webhook_secret:
            channels.append((WEBHOOK, agency.webhook_url))
        for channel, target in channels:
            delivery = NotificationDelivery(
                notification_id=notification.id,
                channel=channel,
                target=target,
                state=PENDING,
                attempts=0,
            )
            db.session.add(delivery)
            db.session.flush()
            add_job(
                DELIVER_NOTIFICATION,
                [delivery.id],
                at=op.at,
                max_attempts=runtime().jobs.max_attempts,
            )
    return len(recipients)


def _recipients(task: Task, agency: Agency, point: ReminderPoint) -> list[Officer]:
    if point.kind == OVERDUE:
        role = LEADER_ROLE  # escalation: the agency's leaders hear of a late step
    elif task.assignee_id is not None:
        holder = db.session.get(Officer, task.assignee_id)
        return [holder] if holder is not None and holder.active else []
    else:
        role = task.role  # nobody holds it yet: everyone who could take it
    return list(
        db.session.scalars(
            select(Officer)
            .join(OfficerRole, OfficerRole.officer_id == Officer.id)
            .where(
                Officer.agency_id == agency.id,
                Officer.active.is_(True),
                OfficerRole.role == role,
            )
            .order_by(Officer.id)
        )
    )


def _message(task: Task, agency: Agency, point: ReminderPoint) -> tuple[str, str]:
    due = _local(task.due_at)
    holder = (
        f"Người xử lý: {task.assignee_username}"
        if task.assignee_username
        else ("Chưa có cán bộ nhận xử lý")
    )
    if point.kind == OVERDUE:
        subject = f"Quá hạn: hồ sơ {task.dossier_code} – {task.title}"
        lead = f"Bước «{task.title}» của hồ sơ {task.dossier_code} đã quá hạn từ {due}."
    else:
        subject = f"Nhắc việc: hồ sơ {task.dossier_code} – {task.title} (hạn {due})"
        lead = f"Bước «{task.title}» của hồ sơ {task.dossier_code} đến hạn lúc {due}."
    body = "\n".join(
        [
            lead,
            holder + ".",
            f"Cơ quan: {agency.name}.",
            f"Mã thủ tục: {task.procedure_code}.",
            "",
            "Thư này do hệ thống một cửa motcua gửi tự động.",
        ]
    )
    return subject[:255], body


def _local(moment: datetime) -> str:
    return moment.astimezone(TIMEZONE).strftime("%H:%M ngày %d/%m/%Y")


def deliver_notification(delivery_id: int) -> None:
    """Sends one delivery through its channel and marks it sent; a try that fails raises
    (the outbox retries it), one that cannot succeed is marked failed at once."""
    delivery = db.session.scalars(
        select(NotificationDelivery)
        .where(NotificationDelivery.id == delivery_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if delivery is None or delivery.state != PENDING:
        return
    notification = db.session.get(Notification, delivery.notification_id)
    op = operation()
    delivery.attempts += 1
    message_id = f"notification-{notification.id}-{delivery.channel}"
    try:
        if delivery.channel == EMAIL:
            settings = runtime().smtp
            if settings is None:
                raise ChannelError("no SMTP server is configured", permanent=True)
            send_email(
                settings,
                delivery.target,
                notification.subject,
                notification.body,
                message_id=message_id,
            )
        else:
            agency = db.session.get(Agency, notification.agency_id)
            if not agency.webhook_url or not agency.webhook_secret:
                raise ChannelError("the agency has no webhook any more", permanent=True)
            send_webhook(
                agency.webhook_url,
                agency.webhook_secret,
                _webhook_payload(notification),
                message_id=message_id,
                timestamp=int(op.at.timestamp()),
            )
    except ChannelError as exc:
        if not exc.permanent:
            raise
        delivery.state, delivery.last_error = FAILED, str(exc)
        return
    delivery.state, delivery.sent_at, delivery.last_error = SENT, op.at, None


def delivery_failed(delivery_id: int, *, error: str, attempts: int, final: bool) -> None:
    """Records a failed try of a delivery (in the failure's own transaction)."""
    delivery = db.session.get(NotificationDelivery, delivery_id)
    if delivery is None:
        return
    delivery.attempts, delivery.last_error = attempts, error[:500]
    if final:
        delivery.state = FAILED


def _webhook_payload(notification: Notification) -> dict:
    task = db.session.get(Task, notification.task_id) if notification.task_id else None
    officer = db.session.get(Officer, notification.officer_id)
    return {
        "notification": notification.id,
        "kind": notification.kind,
        "point": notification.point,
        "officer": officer.username if officer else None,
        "dossier": task.dossier_code if task else None,
        "task": notification.task_id,
        "step": task.step if task else None,
        "due_at": _iso(task.due_at) if task else None,
        "subject": notification.subject,
        "created_at": _iso(notification.created_at),
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(TIMEZONE).isoformat()


def notifications_of(actor: Actor, limit: int = 50) -> list[Notification]:
    """Returns the officer's own notifications, newest first."""
    if actor.officer_id is None:
        return []
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.officer_id == actor.officer_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def reminder_policy(actor: Actor) -> ReminderPolicy:
    """Returns the reminder policy of the actor's agency (the default when it has none)."""
    return _policy(db.session.get(Agency, actor.agency_id))


def set_reminder_policy(actor: Actor, value: dict) -> ReminderPolicy:
    """Returns the agency's new reminder policy, once stored (operators only; the caller
    commits). Open tasks follow it from their next reminder instant."""
    if OPERATOR_ROLE not in actor.roles:
        raise Forbidden(OPERATOR_ONLY)
    try:
        policy = ReminderPolicy.read(value)
    except PolicyInvalid as exc:
        raise Invalid(
            "the reminder policy cannot be followed", {exc.field: [exc.message]}
        ) from None
    agency = db.session.get(Agency, actor.agency_id)
    agency.reminder_policy = policy.to_json()
    # Tasks this process opens from now on take their first reminder from the new policy
    # (other processes: once they read the calendars again, MOTCUA_CALENDAR_REFRESH_SECONDS).
    runtime().forget_calendars()
    return policy
