"""Returns every error in one JSON shape: {"code", "status", "message", "errors"}.

flask-smorest's handler already writes this shape for HTTP errors and request validation;
`ApiError` lets services raise the same shape with a message and field errors, and the
engine's own errors are mapped here, in one place.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from engine import DiagramRejected, FormInvalid


class ApiError(Exception):
    """An error a service raises on purpose, with the HTTP status it means."""

    def __init__(self, code: int, message: str, errors: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors


def not_found(what: str) -> ApiError:
    # The same answer whether the thing is missing or belongs to another agency.
    return ApiError(404, f"{what} not found")


def conflict(message: str) -> ApiError:
    return ApiError(409, message)


def payload(code: int, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    """Returns the error body every endpoint uses."""
    body: dict[str, Any] = {
        "code": code,
        "status": HTTP_STATUS_CODES.get(code, "Error"),
        "message": message,
    }
    if errors:
        body["errors"] = errors
    return body


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
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return payload(error.code, error.message, error.errors), error.code

    @app.errorhandler(FormInvalid)
    def _form_invalid(error: FormInvalid):
        message = f"form {error.form_key} has {sum(map(len, error.errors.values()))} error(s)"
        return payload(422, message, error.errors), 422

    @app.errorhandler(DiagramRejected)
    def _diagram_rejected(error: DiagramRejected):
        errors = {}
        for finding in error.findings:
            errors.setdefault(finding.element, []).append(finding.message)
        return payload(422, "the diagram was rejected", errors), 422

    @app.errorhandler(OperationalError)
    def _database_busy(error: OperationalError):
        # Deadlock or serialization failure (PostgreSQL), lock wait timeout (SQLite): the
        # transaction was rolled back whole, so asking the client to retry is safe.
        state = getattr(error.orig, "sqlstate", None)
        if state in ("40P01", "40001"):
            return payload(409, "the dossier was busy with another change; try again"), 409
        if "database is locked" in str(error.orig):
            return payload(503, "the database is busy; try again"), 503
        raise error

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        if errors and error.code in (400, 422):
            errors = flatten_request_errors(errors)
        message = data.get("message") or error.description or error.name
        if error.code == 400 and errors and "Invalid JSON body." in errors.get("(root)", []):
            message, errors = "the request body is not valid JSON", None
        elif error.code == 422 and errors:
            message = f"{sum(map(len, errors.values()))} invalid field(s): {', '.join(errors)}"
        response = payload(error.code or 500, message, errors)
        # Keep the exception's own headers (Allow on a 405, WWW-Authenticate…), not its type.
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return response, error.code, headers
