"""Returns what a database error means for the caller: contention, a busy or unreachable
database, or a schema that was never migrated; None for a real bug.

Each of these rolled the transaction back whole, so the caller may retry (or, for a missing
schema, an operator must act); a bug in our SQL must still surface as one.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.exc import DBAPIError, SQLAlchemyError


class DatabaseFault(StrEnum):
    CONTENTION = "contention"  # deadlock or serialization failure: another change won
    BUSY = "busy"  # SQLite's lock wait ran out
    UNAVAILABLE = "unavailable"  # the connection was lost or refused, the server is restarting
    NOT_MIGRATED = "not_migrated"  # a table is missing: `motcua db upgrade` was never run


# PostgreSQL SQLSTATEs (appendix A of its manual).
_CONTENTION_STATES = {"40P01", "40001"}
_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03", "53300", "25P03"}
_UNAVAILABLE_CLASSES = ("08",)  # connection exceptions
_UNAVAILABLE_WORDS = (
    "server closed the connection",
    "connection refused",
    "could not connect",
    "connection is closed",
    "connection already closed",
    "consuming input failed",
    "terminating connection",
    "the connection is lost",
    "ssl syscall error",
    "unable to open database file",
    "disk i/o error",
)


def classify_fault(error: BaseException) -> DatabaseFault | None:
    """Returns the fault a database error stands for, or None when it is not one of them."""
    if not isinstance(error, SQLAlchemyError):
        return None
    original = getattr(error, "orig", None)
    state = getattr(original, "sqlstate", None) or ""
    text = str(original if original is not None else error).lower()
    if state in _CONTENTION_STATES:
        return DatabaseFault.CONTENTION
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return DatabaseFault.UNAVAILABLE
    if state in _UNAVAILABLE_STATES or state.startswith(_UNAVAILABLE_CLASSES):
        return DatabaseFault.UNAVAILABLE
    if state == "42P01" or "no such table" in text:
        return DatabaseFault.NOT_MIGRATED
    if "database is locked" in text or "database is busy" in text:
        return DatabaseFault.BUSY
    if any(words in text for words in _UNAVAILABLE_WORDS):
        return DatabaseFault.UNAVAILABLE
    return None
