"""People in browsers and the documents dossiers produce: officers' password hashes and
lockout, signed-in sessions, rate limits, and issued documents (signed results)

Revision ID: 0011_people_and_documents
Revises: 0010_procedures_as_data
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_people_and_documents"
down_revision = "0010_procedures_as_data"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(255), nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", TIME, nullable=True))
        batch_op.add_column(
            sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", TIME, nullable=True))
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("officers.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("last_seen_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
    )
    op.create_index("ix_web_sessions_officer_id", "web_sessions", ["officer_id"])
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("window_started_at", TIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("blocked_until", TIME, nullable=True),
    )
    op.create_table(
        "documents",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("dossier_id", BIG_ID, sa.ForeignKey("dossiers.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("signed_by", sa.String(255), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_index("ix_documents_dossier_id", "documents", ["dossier_id"])


def downgrade():
    op.drop_index("ix_documents_dossier_id", table_name="documents")
    op.drop_table("documents")
    op.drop_table("rate_limits")
    op.drop_index("ix_web_sessions_officer_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_sign_ins")
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("password_hash")
