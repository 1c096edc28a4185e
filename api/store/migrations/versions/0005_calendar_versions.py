"""The override calendar, versioned; agencies' own office hours

Revision ID: 0005_calendar_versions
Revises: 0004_groups_and_outbox
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_calendar_versions"
down_revision = "0004_groups_and_outbox"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "calendar_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("days_off", JSON, nullable=False),
        sa.Column("working_days", JSON, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("change", sa.String(600), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("officers.id"), nullable=True),
    )
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office_hours", JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_column("office_hours")
    op.drop_table("calendar_versions")
