"""Whether this process can serve: the database answers and carries this code's schema."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..store import MIGRATIONS_DIR, db
from .runtime import runtime


@dataclass(frozen=True)
class Health:
    ok: bool
    database: str  # ok, unreachable, not_migrated, outdated
    detail: str = ""
    # in_process (no Redis), ok, or unreachable: background work is delayed, not lost, so
    # an unreachable queue is reported but does not make the process unready.
    queue: str = "in_process"


@cache
def head_revision() -> str:
    """Returns the newest migration's revision (read from the files once per process)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def check_health() -> Health:
    """Returns whether the database answers and is migrated to this code's schema."""
    try:
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return Health(False, "unreachable", "the database does not answer")
        try:
            rows = db.session.execute(text("SELECT version_num FROM alembic_version"))
            revisions = {row[0] for row in rows}
        except SQLAlchemyError:
            return Health(
                False, "not_migrated", "the database has no schema: run `motcua db upgrade`"
            )
    finally:
        db.session.rollback()  # a health check holds no lock (SQLite begins every read IMMEDIATE)
    head = head_revision()
    if head not in revisions:
        found = ", ".join(sorted(revisions)) or "no revision"
        return Health(
            False,
            "outdated",
            f"the schema is at {found}; this code needs {head}: run `motcua db upgrade`",
        )
    return Health(True, "ok", queue=runtime().queue.state())
