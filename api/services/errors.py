"""The errors the operations raise on purpose, in the domain's words (no HTTP here).

The HTTP layer maps each class to one status code in one place (`api/errors.py`); the
console prints the message and exits non-zero. Engine errors (`FormInvalid`,
`DiagramRejected`) are mapped beside these.
"""

from __future__ import annotations

from typing import Any

from ..store import DatabaseFault, classify_fault


class DomainError(Exception):
    """An operation refused, with a message and, where fields are to blame, their errors."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields

    def __str__(self) -> str:
        if not self.fields:
            return self.message
        detail = "; ".join(
            f"{name}: {', '.join(map(str, msgs))}" for name, msgs in self.fields.items()
        )
        return f"{self.message} ({detail})"


class NotFound(DomainError):
    """Nothing of that name is visible to the actor (missing, or another agency's)."""


class Unauthenticated(DomainError):
    """The caller did not prove who it is (a missing, wrong, stale or replayed signature)."""


class Forbidden(DomainError):
    """The actor may see the thing but lacks the role or standing to do this to it."""


class Conflict(DomainError):
    """The thing is not in a state that allows this (held by another, already done, changed)."""


class Invalid(DomainError):
    """The input is wrong; `fields` names each field and what is wrong with it."""


class Busy(DomainError):
    """The database could not do it now (lost connection, restart, lock wait); nothing was
    written, and the same request may be retried after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after


class Throttled(DomainError):
    """Too many attempts from this caller (wrong passwords, failed lookups): refused without
    looking, and the caller may try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class NotReady(DomainError):
    """The platform is not set up to do this (the database was never migrated)."""


def not_found(what: str) -> NotFound:
    # The same answer whether the thing is missing or belongs to another agency.
    return NotFound(f"{what} not found")


def from_database_error(error: BaseException) -> DomainError | None:
    """Returns the domain error a database failure stands for, or None for a real bug."""
    fault = classify_fault(error)
    if fault is DatabaseFault.CONTENTION:
        return Conflict("the dossier was busy with another change; try again")
    if fault is DatabaseFault.BUSY:
        return Busy("the database is busy; try again", retry_after=1)
    if fault is DatabaseFault.UNAVAILABLE:
        return Busy("the database is unavailable; try again shortly", retry_after=2)
    if fault is DatabaseFault.NOT_MIGRATED:
        return NotReady("the database has no tables yet: run `motcua db upgrade`")
    return None


def field_errors(prefix: str, errors: dict[str, Any]) -> dict[str, list[str]]:
    """Returns errors keyed by `prefix.field`, as requests name them."""
    return {f"{prefix}.{name}" if prefix else name: list(msgs) for name, msgs in errors.items()}
