"""Returns the Flask application: settings, database, API blueprints, errors, CLI, logs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from flask import Blueprint, Flask
from flask_smorest import Api
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from config import settings_from_env

from .body import init_request_checks
from .cli import register_cli
from .errors import register_error_handlers
from .jobs import init_jobs
from .logs import init_request_logging
from .resources import calendar, dossiers, handoffs, health, notifications, pages, procedures, tasks
from .resources import lookup as citizen_lookup
from .resources import officers as agency_officers
from .resources import session as web_session
from .resources import slips as slip_documents
from .services import init_runtime
from .store import MIGRATIONS_DIR, db, migrate

OPENAPI_SETTINGS = {
    "API_TITLE": "motcua",
    "API_VERSION": "0.1.0",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    # Swagger UI from the swagger-ui-bundle package, served by us: the docs page works on a
    # machine without internet access, and its "Authorize" button takes a bearer token.
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Thủ tục hành chính chạy bằng BPMN. Every endpoint needs "
                "`Authorization: Bearer <token>`, or the `motcua_session` cookie of "
                "`POST /api/session` (then POST, PUT, PATCH and DELETE also carry "
                "`X-CSRF-Token`); errors share one shape {code, status, message, errors}."
            )
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "motcua_session"},
            }
        },
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
    },
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Returns a configured app; `config` overrides the environment's settings."""
    app = Flask(__name__)
    app.config.update(settings_from_env())
    app.config.update(OPENAPI_SETTINGS)
    # No pre-ping: it costs a round trip per request. A connection broken by a database
    # restart fails one request and is dropped from the pool; recycling bounds idle age.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_recycle": 1800}
    if config:
        app.config.update(config)
    app.json.ensure_ascii = False  # Vietnamese stays readable in responses
    app.json.sort_keys = False  # sorting every response costs CPU and buys nothing

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    init_runtime(app)
    init_jobs(app)
    # Registered after flask-sqlalchemy's, so it runs first: ending the session on a
    # connection the server already closed must not turn a finished answer into a 500.
    app.teardown_appcontext(_end_session_quietly)
    if uri.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)
            event.listen(db.engine, "begin", _sqlite_begin_immediate)

    app.register_blueprint(
        Blueprint(
            "docs_assets",
            __name__,
            static_folder=swagger_ui_bundle.swagger_ui_path,
            static_url_path="/api/docs/assets",
        )
    )
    app.register_blueprint(pages.blp)  # /designer and its assets (web/dist), outside /api
    api = Api(app)
    for blueprint in (
        procedures.blp,
        dossiers.blp,
        tasks.blp,
        handoffs.blp,
        calendar.blp,
        notifications.blp,
        health.blp,
        web_session.blp,
        citizen_lookup.blp,
        slip_documents.blp,
        agency_officers.blp,
    ):
        api.register_blueprint(blueprint)
    register_error_handlers(app)  # after Api, so our single error shape wins
    init_request_logging(app)
    init_request_checks(app)
    register_cli(app)
    return app


def _end_session_quietly(error: BaseException | None) -> None:
    try:
        db.session.remove()
    except SQLAlchemyError as exc:
        logging.getLogger("motcua.database").warning(
            "session ended on a broken connection: %s", exc.__class__.__name__
        )


def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers run during a write; busy_timeout makes writers queue instead of failing.
    # The driver must not open transactions itself: `_sqlite_begin_immediate` does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin_immediate(connection):
    # SQLite has no row locks and ignores FOR UPDATE. Taking the write lock when a transaction
    # begins (not at its first write) serializes writers from their first read, so a step
    # never works from a state another request is about to change; a reader that later writes
    # can also no longer fail with "database is locked" on a stale snapshot.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
