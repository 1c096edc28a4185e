"""Finding dossiers: the applicant's name folded for searching (no case, marks or đ), the same
on SQLite and PostgreSQL; existing rows are folded here

Revision ID: 0012_dossier_search
Revises: 0011_people_and_documents
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0012_dossier_search"
down_revision = "0011_people_and_documents"
branch_labels = None
depends_on = None

BATCH = 1000


def _fold(text: str) -> str:
    # A copy of processes.folding.fold as of this revision (a migration never imports code
    # that may change after it).
    text = text.translate(str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"}))
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())[:255]


def upgrade():
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("applicant_folded", sa.String(255), nullable=False, server_default="")
        )
    dossiers = sa.table(
        "dossiers",
        sa.column("id", sa.BigInteger()),
        sa.column("applicant_name", sa.String()),
        sa.column("applicant_folded", sa.String()),
    )
    connection = op.get_bind()
    last = None
    while True:
        query = sa.select(dossiers.c.id, dossiers.c.applicant_name).order_by(dossiers.c.id)
        if last is not None:
            query = query.where(dossiers.c.id > last)
        rows = connection.execute(query.limit(BATCH)).all()
        if not rows:
            break
        connection.execute(
            dossiers.update()
            .where(dossiers.c.id == sa.bindparam("p_id"))
            .values(applicant_folded=sa.bindparam("p_folded")),
            [{"p_id": row.id, "p_folded": _fold(row.applicant_name)} for row in rows],
        )
        last = rows[-1].id


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops a column in place; a batch copy of the table would delete the
        # rows tasks and events refer to (foreign keys are on).
        op.execute("ALTER TABLE dossiers DROP COLUMN applicant_folded")
    else:
        op.drop_column("dossiers", "applicant_folded")
