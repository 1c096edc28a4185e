"""Procedures as data: each procedure version keeps its procedure's descriptor, and groups
have versions of their own, which group dossiers are received under

Revision ID: 0010_procedures_as_data
Revises: 0009_notifications
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010_procedures_as_data"
down_revision = "0009_notifications"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# The descriptors of the procedures shipped before descriptors existed, as they were then, so
# that versions deployed earlier keep the metadata they ran with (a migration never reads
# today's files: they may have changed since).
_SHIPPED = {
    "1.001193": ("khai_sinh", "Đăng ký khai sinh", "ubnd_xa", "0", True),
    "1.004194": ("thuong_tru", "Đăng ký thường trú", "cong_an", "2", False),
    "1.011605": (
        "bhyt_tre_em",
        "Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
        "bhxh",
        "2",
        False,
    ),
    "1.000656": ("khai_tu", "Đăng ký khai tử", "ubnd_xa", "0", True),
    "1.004227": ("xoa_thuong_tru", "Xóa đăng ký thường trú", "cong_an", "2", False),
    "1.011606": (
        "tro_cap_mai_tang",
        "Giải quyết hưởng trợ cấp mai táng, tử tuất",
        "bhxh",
        "5",
        False,
    ),
    "1.011607": ("ho_tro_mai_tang", "Hỗ trợ chi phí mai táng", "bao_tro_xa_hoi", "3", False),
}


def _descriptor(code: str) -> dict:
    slug, name, kind, days, first = _SHIPPED[code]
    return {
        "kind": "procedure",
        "code": code,
        "name": name,
        "agency_kind": kind,
        "process_id": slug,
        "form_prefix": slug,
        "legal_deadline": {"working_days": days, "note": ""},
        "declaration_form": f"{slug}/to_khai" if first else f"{slug}/ho_so",
        "group_part_form": None if first else f"{slug}/to_khai_lien_thong",
        "supplement_days": "7",
        "legal_basis": "",
    }


def upgrade():
    with op.batch_alter_table("procedure_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("descriptor", JSON, nullable=True))
    versions = sa.table(
        "procedure_versions",
        sa.column("procedure_code", sa.String),
        sa.column("descriptor", JSON),
    )
    for code in _SHIPPED:
        op.execute(
            versions.update()
            .where(versions.c.procedure_code == code)
            .values(descriptor=_descriptor(code))
        )
    op.create_table(
        "group_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_code", sa.String(32), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("descriptor", JSON, nullable=False),
        sa.Column("bpmn_source", sa.LargeBinary(), nullable=False),
        sa.Column("member_versions", JSON, nullable=False),
        sa.Column("effective_from", TIME, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.UniqueConstraint("group_code", "version"),
        sa.UniqueConstraint("group_code", "content_hash"),
    )
    with op.batch_alter_table("group_dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_version_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_group_dossiers_group_version", "group_versions", ["group_version_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("group_dossiers", schema=None) as batch_op:
        batch_op.drop_constraint("fk_group_dossiers_group_version", type_="foreignkey")
        batch_op.drop_column("group_version_id")
    op.drop_table("group_versions")
    with op.batch_alter_table("procedure_versions", schema=None) as batch_op:
        batch_op.drop_column("descriptor")
