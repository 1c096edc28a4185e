"""Apologies for a group dossier: the group's first appointment, and the apology that moved it
(who, when, why, from which agency and its dossier; the apology itself is on that dossier)

Revision ID: 0013_group_apologies
Revises: 0012_dossier_search
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013_group_apologies"
down_revision = "0012_dossier_search"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (no foreign key): SQLite then alters the table in place, where a batch
    # copy would delete the rows dossiers, parts and handoffs refer to.
    op.add_column("group_dossiers", sa.Column("original_due_at", sa.DateTime(timezone=True)))
    op.add_column(
        "group_dossiers",
        sa.Column("apology", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE group_dossiers DROP COLUMN apology")
        op.execute("ALTER TABLE group_dossiers DROP COLUMN original_due_at")
    else:
        op.drop_column("group_dossiers", "apology")
        op.drop_column("group_dossiers", "original_due_at")
