"""Apologies: a dossier's first appointment, and when, why and by whom it was moved

Revision ID: 0006_apologies
Revises: 0005_calendar_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_apologies"
down_revision = "0005_calendar_versions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_due_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("apology_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("apology_reason", sa.Text()))
        batch_op.add_column(sa.Column("apology_by_id", sa.Integer()))
        batch_op.create_foreign_key(
            "fk_dossiers_apology_by_id", "officers", ["apology_by_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_constraint("fk_dossiers_apology_by_id", type_="foreignkey")
        batch_op.drop_column("apology_by_id")
        batch_op.drop_column("apology_reason")
        batch_op.drop_column("apology_at")
        batch_op.drop_column("original_due_at")
