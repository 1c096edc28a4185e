"""tasks.changed_at: when a task last changed hands (orders a claim after what it waited for)

Revision ID: 0003_task_changed_at
Revises: 0002_token_last_used
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_task_changed_at"
down_revision = "0002_token_last_used"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE tasks SET changed_at = COALESCE(completed_at, claimed_at, created_at)")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.alter_column(
            "changed_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )


def downgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("changed_at")
