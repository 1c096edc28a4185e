"""BPMN timers fired by the platform: each dossier's next timer due, swept by one index

Revision ID: 0008_timers
Revises: 0007_supplements
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_timers"
down_revision = "0007_supplements"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timer_due_at", sa.DateTime(timezone=True)))
    # Only dossiers that wait for a timer are in the index: the sweep reads the due ones.
    op.create_index(
        "ix_dossiers_timer_due_at",
        "dossiers",
        ["timer_due_at"],
        postgresql_where=sa.text("timer_due_at IS NOT NULL"),
        sqlite_where=sa.text("timer_due_at IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_dossiers_timer_due_at", table_name="dossiers")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_column("timer_due_at")
