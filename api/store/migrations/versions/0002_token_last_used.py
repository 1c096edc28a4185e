"""api_tokens.last_used_at: when a token was last seen (to the nearest few minutes)

Revision ID: 0002_token_last_used
Revises: 0001_core_tables
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_token_last_used"
down_revision = "0001_core_tables"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
