"""Supplements during processing: the pause, its window, the one-request rule

Revision ID: 0007_supplements
Revises: 0006_apologies
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_supplements"
down_revision = "0006_apologies"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("supplement_due_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("status_before_pause", sa.SmallInteger()))
        batch_op.add_column(
            sa.Column("supplement_requests", sa.SmallInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("paused_seconds", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("counts_late", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_dossiers_supplement_due_at", ["supplement_due_at"])


def downgrade():
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_supplement_due_at")
        for column in (
            "counts_late",
            "paused_seconds",
            "supplement_requests",
            "status_before_pause",
            "supplement_due_at",
            "paused_at",
        ):
            batch_op.drop_column(column)
