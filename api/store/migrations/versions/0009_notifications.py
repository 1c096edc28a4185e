"""Reminders and escalation as policies: each open task's next reminder, the agencies'
policies and channels, officers' email, notifications and their deliveries

Revision ID: 0009_notifications
Revises: 0008_timers
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_notifications"
down_revision = "0008_timers"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OPEN_WITH_REMINDER = "remind_at IS NOT NULL AND state IN ('open', 'claimed')"


def upgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remind_at", TIME))
        batch_op.add_column(sa.Column("reminded_until", TIME))
    op.create_index(
        "ix_tasks_remind_at",
        "tasks",
        ["remind_at"],
        postgresql_where=sa.text(_OPEN_WITH_REMINDER),
        sqlite_where=sa.text(_OPEN_WITH_REMINDER),
    )
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_policy", JSON, nullable=True))
        batch_op.add_column(sa.Column("webhook_url", sa.String(500), nullable=True))
        batch_op.add_column(sa.Column("webhook_secret", sa.String(128), nullable=True))
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(255), nullable=True))
    op.create_table(
        "notifications",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("officers.id"), nullable=False),
        sa.Column("dossier_id", BIG_ID, sa.ForeignKey("dossiers.id"), nullable=False),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("point", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_index("ix_notifications_officer", "notifications", ["officer_id", "id"])
    op.create_index("ix_notifications_task", "notifications", ["task_id"])
    op.create_table(
        "notification_deliveries",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column(
            "notification_id",
            BIG_ID,
            sa.ForeignKey("notifications.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", TIME, nullable=True),
    )


def downgrade():
    op.drop_table("notification_deliveries")
    op.drop_index("ix_notifications_task", table_name="notifications")
    op.drop_index("ix_notifications_officer", table_name="notifications")
    op.drop_table("notifications")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_column("email")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        for column in ("webhook_secret", "webhook_url", "reminder_policy"):
            batch_op.drop_column(column)
    op.drop_index("ix_tasks_remind_at", table_name="tasks")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("reminded_until")
        batch_op.drop_column("remind_at")
