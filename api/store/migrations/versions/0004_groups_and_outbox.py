"""Interlinked groups and background work: group dossiers and their parts, handoffs, the
outbox, callback nonces; agencies' area and outside address; dossiers.group_id

Revision ID: 0004_groups_and_outbox
Revises: 0003_task_changed_at
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_groups_and_outbox"
down_revision = "0003_task_changed_at"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("area", sa.String(64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("external_url", sa.String(500), nullable=True))
        batch_op.add_column(sa.Column("shared_secret", sa.String(128), nullable=True))

    op.create_table(
        "group_dossiers",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("group_code", sa.String(32), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("applicant", JSON, nullable=False),
        sa.Column("applicant_name", sa.String(255), nullable=False),
        sa.Column("channel", sa.SmallInteger(), nullable=False),
        sa.Column("declaration", JSON, nullable=False),
        sa.Column("procedures", JSON, nullable=False),
        sa.Column("verification", sa.Boolean(), nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.Column("received_by_id", sa.Integer(), sa.ForeignKey("officers.id"), nullable=True),
        sa.Column("clock_started_at", TIME, nullable=False),
        sa.Column("due_at", TIME, nullable=False),
        sa.Column("calendar_version", sa.String(64), nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_index("ix_group_dossiers_agency_id", "group_dossiers", ["agency_id"])

    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", BIG_ID, nullable=True))
        batch_op.create_foreign_key("fk_dossiers_group_id", "group_dossiers", ["group_id"], ["id"])
        batch_op.create_index("ix_dossiers_group_id", ["group_id"])
        batch_op.create_unique_constraint(
            "uq_dossiers_group_id_procedure_code", ["group_id", "procedure_code"]
        )

    op.create_table(
        "group_parts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", BIG_ID, sa.ForeignKey("group_dossiers.id"), nullable=False),
        sa.Column("procedure_code", sa.String(32), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=True),
        sa.Column("dossier_id", BIG_ID, sa.ForeignKey("dossiers.id"), nullable=True),
        sa.Column("share_days", sa.Numeric(6, 3), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=True),
        sa.Column("handed_over_at", TIME, nullable=True),
        sa.Column("taken_over_at", TIME, nullable=True),
        sa.Column("due_at", TIME, nullable=True),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.UniqueConstraint("group_id", "procedure_code"),
    )

    op.create_table(
        "handoffs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("group_id", BIG_ID, sa.ForeignKey("group_dossiers.id"), nullable=False),
        sa.Column("message", sa.String(255), nullable=False),
        sa.Column("from_dossier_id", BIG_ID, sa.ForeignKey("dossiers.id"), nullable=False),
        sa.Column("from_agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("procedure_code", sa.String(32), nullable=False),
        sa.Column("to_agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=True),
        sa.Column("to_dossier_id", BIG_ID, sa.ForeignKey("dossiers.id"), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("delivered_at", TIME, nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("result_at", TIME, nullable=True),
    )
    op.create_index("ix_handoffs_group_id", "handoffs", ["group_id"])
    op.create_index("ix_handoffs_state", "handoffs", ["state", "created_at"])

    op.create_table(
        "outbox",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("args", JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("available_at", TIME, nullable=False),
        sa.Column("relayed_at", TIME, nullable=True),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["available_at"],
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )

    op.create_table(
        "callback_nonces",
        sa.Column("signature", sa.String(64), primary_key=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("seen_at", TIME, nullable=False),
    )
    op.create_index("ix_callback_nonces_seen_at", "callback_nonces", ["seen_at"])


def downgrade():
    op.drop_table("callback_nonces")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("handoffs")
    op.drop_table("group_parts")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_dossiers_group_id_procedure_code", type_="unique")
        batch_op.drop_index("ix_dossiers_group_id")
        batch_op.drop_constraint("fk_dossiers_group_id", type_="foreignkey")
        batch_op.drop_column("group_id")
    op.drop_index("ix_group_dossiers_agency_id", table_name="group_dossiers")
    op.drop_table("group_dossiers")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_column("shared_secret")
        batch_op.drop_column("external_url")
        batch_op.drop_column("area")
