"""Every error in one JSON shape, {"code", "status", "message", "errors"}, mapped here once.

Domain errors from the services, engine errors, database faults and HTTP errors (including
flask-smorest's request validation) all leave through the handlers below; nothing else in
the HTTP layer picks a status code for an error.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from engine import DiagramRejected, FormInvalid

from .services import (
    Busy,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    NotReady,
    Throttled,
    Unauthenticated,
    from_database_error,
)

_LOG = logging.getLogger("motcua.database")
STATUS_OF: dict[type[DomainError], int] = {
    Invalid: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Busy: 503,
    NotReady: 503,
    Throttled: 429,
}
# Bound what an error answer may carry, whatever produced it.
MAX_FIELDS = 50
MAX_MESSAGES_PER_FIELD = 5
MAX_TEXT = 500


class RequestInvalid(HTTPException):
    """A request the HTTP layer refuses before any service sees it, with field errors."""

    def __init__(self, code: int, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.code = code
        self.data = {"message": message, "errors": errors}


def payload(code: int, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    """Returns the error body every endpoint uses, bounded in size."""
    body: dict[str, Any] = {
        "code": code,
        "status": HTTP_STATUS_CODES.get(code, "Error"),
        "message": _short(message),
    }
    if errors:
        body["errors"] = _bounded(errors)
    return body


def status_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


def domain_response(error: DomainError):
    code = status_of(error)
    headers = {}
    if isinstance(error, (Busy, Throttled)):
        headers["Retry-After"] = str(error.retry_after)
    elif isinstance(error, NotReady):
        headers["Retry-After"] = "30"
    return payload(code, error.message, error.fields), code, headers


def flatten_request_errors(messages: dict[str, Any]) -> dict[str, list[str]]:
    """Returns webargs' {location: {field: ...}} errors as {"field.path": [messages]}."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                key = "(root)" if key == "_schema" else key  # marshmallow's name for the whole body
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat.setdefault(prefix or "(root)", []).extend(value)
        else:
            flat.setdefault(prefix or "(root)", []).append(str(value))

    for location, fields in messages.items():
        walk("" if location == "json" else location, fields)
    return flat


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        return domain_response(error)

    @app.errorhandler(FormInvalid)
    def _form_invalid(error: FormInvalid):
        listed = sum(map(len, error.errors.values()))
        message = f"form {error.form_key} has {listed + error.more} error(s)"
        if error.more:
            message += f"; {listed} are listed, {error.more} more are not"
        return payload(422, message, error.errors), 422

    @app.errorhandler(DiagramRejected)
    def _diagram_rejected(error: DiagramRejected):
        errors: dict[str, list[str]] = {}
        for finding in error.findings:
            if finding.is_error:  # warnings do not refuse anything
                errors.setdefault(finding.element, []).append(finding.message)
        return payload(422, "the diagram was rejected", errors), 422

    @app.errorhandler(SQLAlchemyError)
    def _database_fault(error: SQLAlchemyError):
        # A lost connection, a restart, contention, a missing schema: the transaction was
        # rolled back whole, so the client is told whether and when to retry. Anything else
        # is a bug and stays a 500.
        domain = from_database_error(error)
        if domain is None:
            raise error
        _LOG.warning("database fault: %s", error.__class__.__name__)
        return domain_response(domain)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        if errors and error.code in (400, 422) and not isinstance(error, RequestInvalid):
            errors = flatten_request_errors(errors)
        message = data.get("message") or error.description or error.name
        if error.code == 400 and errors and "Invalid JSON body." in errors.get("(root)", []):
            message, errors = "the request body is not valid JSON", None
        elif error.code == 422 and errors and not isinstance(error, RequestInvalid):
            message = (
                f"{sum(map(len, errors.values()))} invalid field(s): {', '.join(list(errors)[:10])}"
            )
        response = payload(error.code or 500, message, errors)
        # Keep the exception's own headers (Allow on a 405, WWW-Authenticate…), not its type.
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return response, error.code, headers


def _short(text: str) -> str:
    text = str(text)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def _bounded(errors: dict[str, Any]) -> dict[str, Any]:
    items = list(errors.items())
    bounded: dict[str, Any] = {}
    for name, messages in items[:MAX_FIELDS]:
        if isinstance(messages, list):
            kept = [_short(m) for m in messages[:MAX_MESSAGES_PER_FIELD]]
            if len(messages) > MAX_MESSAGES_PER_FIELD:
                kept.append(f"… and {len(messages) - MAX_MESSAGES_PER_FIELD} more")
        else:
            kept = [_short(messages)]
        bounded[_short(str(name))] = kept
    if len(items) > MAX_FIELDS:
        bounded["(more)"] = [f"{len(items) - MAX_FIELDS} more field(s) with errors not shown"]
    return bounded
