"""The Alembic migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from api.store import db


def _empty_database():
    # The app fixture builds the tables and stamps them as migrated; start from nothing.
    db.drop_all()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def test_migrations_match_the_models(app):
    with app.app_context():
        _empty_database()
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        downgrade(revision="base")
        with db.engine.connect() as connection:
            tables = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
        assert tables == set()


def test_inbox_index_leaves_closed_tasks_out(app, backend):
    # Alembic's comparison ignores a partial index's predicate; check it where it matters.
    with app.app_context():
        _empty_database()
        upgrade()
        with db.engine.connect() as connection:
            if backend == "postgresql":
                sql = (
                    "SELECT indexdef FROM pg_indexes"
                    " WHERE indexname = 'ix_tasks_inbox' AND schemaname = current_schema()"
                )
            else:
                sql = "SELECT sql FROM sqlite_master WHERE name = 'ix_tasks_inbox'"
            definition = connection.exec_driver_sql(sql).scalar_one()
        assert "state" in definition and "'open'" in definition and "'claimed'" in definition
        assert "agency_id" in definition and "due_at" in definition
