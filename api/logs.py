"""Structured logs through the standard `logging` module: one line per request (method, path,
status, duration, officer, request id) and per background job; JSON lines when the app's
MOTCUA_LOG_FORMAT is "json", plain `key=value` text otherwise."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, request

REQUEST_LOG = logging.getLogger("motcua.requests")
# Fields our log calls pass through `extra=`; anything else on a record is logging's own
# (never `args`: every record has it, the message's % arguments, and `extra` may not set it).
FIELDS = (
    "method",
    "path",
    "status",
    "duration_ms",
    "officer",
    "request_id",
    "job",
    "job_args",
    "element",
    "error",
    "dossier",
    "dossiers",
    "fired",
)
# Matched whole (fullmatch): `$` would also accept the id followed by a newline, which
# would then be written into the answer's header.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_BARE = re.compile(r'[^\s"\\=]*')


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Formats a record as `time level logger message key=value…` for people."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds")
        pairs = " ".join(
            f"{name}={_text_value(getattr(record, name))}"
            for name in FIELDS
            if hasattr(record, name)
        )
        text = (
            f"{at} {record.levelname.lower()} {record.name}: {record.getMessage()} {pairs}".rstrip()
        )
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _text_value(value: object) -> str:
    """Returns a value as it appears after `key=`: bare when it is one printable word, else
    quoted and escaped, so a request path with a (percent-encoded) newline, space or `=`
    cannot forge a line or a field."""
    text = str(value)
    if text.isprintable() and _BARE.fullmatch(text):
        return text
    return json.dumps(text)


def configure_logging(log_format: str) -> None:
    """Sends the `motcua` loggers to stderr in the format asked for (once per process)."""
    root = logging.getLogger("motcua")
    formatter = JsonFormatter() if log_format == "json" else TextFormatter()
    for handler in root.handlers:
        if getattr(handler, "_motcua", False):
            handler.setFormatter(formatter)
            return
    handler = logging.StreamHandler(sys.stderr)
    handler._motcua = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False


def init_request_logging(app: Flask) -> None:
    """Logs one line per request and tags each answer with its request id; answers of the
    API (personal data) are never cached by browsers or proxies."""
    configure_logging(app.config.get("MOTCUA_LOG_FORMAT", "text"))

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        if request.path.startswith("/api/") and not request.path.startswith("/api/docs"):
            response.headers["Cache-Control"] = "no-store"
        started = g.get("started")
        actor = g.get("actor")
        REQUEST_LOG.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)
                if started
                else None,
                "officer": actor.username if actor is not None else None,
                "request_id": request_id,
            },
        )
        return response
