"""One log line per request (JSON when asked for), a request id on every answer, and the
headers every API answer carries: `Cache-Control: no-store`, and a bearer challenge on 401."""

from __future__ import annotations

import json
import logging
import re

import pytest

from api import create_app
from api.logs import JsonFormatter, TextFormatter, configure_logging
from api.services import runtime
from api.store import db

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def installed_formatter() -> logging.Formatter:
    """Returns the formatter of the handler the app installed on the `motcua` logger."""
    [handler] = [h for h in logging.getLogger("motcua").handlers if getattr(h, "_motcua", False)]
    return handler.formatter


@pytest.fixture
def captured(caplog):
    """Returns the records the `motcua` loggers emit (they do not propagate to the root, where
    caplog listens, so its handler is attached to `motcua` itself)."""
    logger = logging.getLogger("motcua")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="motcua")
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


@pytest.fixture
def json_app(app, clock):
    """Returns an app like the fixture's, on the same database, logging JSON lines."""
    json_app = create_app({**app.config, "MOTCUA_LOG_FORMAT": "json"})
    with json_app.app_context():
        runtime().clock = clock
    yield json_app
    with json_app.app_context():
        db.session.remove()
        db.engine.dispose()
    configure_logging("text")  # the process default again for the tests that follow


def request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "motcua.requests"]


def one_json_line(caplog) -> dict:
    [record] = request_lines(caplog)
    line = installed_formatter().format(record)
    assert "\n" not in line
    return json.loads(line)


def test_a_request_logs_exactly_one_json_line(json_app, officers, captured):
    assert isinstance(installed_formatter(), JsonFormatter)
    token = officers["h29.01.van_thu"]
    response = json_app.test_client().get(
        "/api/tasks", headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-42.a_B"}
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-42.a_B"  # a valid incoming id is echoed
    line = one_json_line(captured)
    assert line["logger"] == "motcua.requests" and line["level"] == "info"
    assert line["method"] == "GET" and line["path"] == "/api/tasks"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    assert line["officer"] == "h29.01.van_thu"
    assert line["request_id"] == "req-42.a_B"
    # Only what our log calls put there, not logging's own attributes.
    assert set(line) == {
        "at",
        "level",
        "logger",
        "message",
        "method",
        "path",
        "status",
        "duration_ms",
        "officer",
        "request_id",
    }


def test_an_unauthenticated_request_is_logged_without_an_officer(json_app, captured):
    response = json_app.test_client().post("/api/tasks/x/claim")
    assert response.status_code == 401
    line = one_json_line(captured)
    assert line["method"] == "POST" and line["path"] == "/api/tasks/x/claim"
    assert line["status"] == 401 and line["officer"] is None
    assert line["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    "given", ["", "has spaces", "x" * 65, "ünïcode", "a;b", "abc\n", "abc\r\nSet-Cookie: x=1"]
)
def test_a_malformed_request_id_is_replaced(json_app, captured, given):
    # Through the WSGI environ: the test client itself refuses newlines in headers.
    response = json_app.test_client().get(
        "/api/health", environ_overrides={"HTTP_X_REQUEST_ID": given}
    )
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    assert GENERATED_ID.match(request_id) and request_id != given
    assert one_json_line(captured)["request_id"] == request_id


def test_each_request_without_an_id_gets_its_own(json_app, captured):
    client = json_app.test_client()
    ids = {client.get("/api/health").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3 and all(GENERATED_ID.match(i) for i in ids)
    assert {r.request_id for r in request_lines(captured)} == ids


def test_logs_are_text_by_default(app, officers, captured):
    assert app.config["MOTCUA_LOG_FORMAT"] == "text"
    assert isinstance(installed_formatter(), TextFormatter)
    token = officers["h29.01.van_thu"]
    app.test_client().get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
    [record] = request_lines(captured)
    line = installed_formatter().format(record)
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
    assert "motcua.requests: request method=GET path=/api/tasks status=200" in line
    assert "officer=h29.01.van_thu" in line
    assert f"request_id={record.request_id}" in line


def test_a_text_line_cannot_be_forged_through_the_path(app, captured):
    app.test_client().get("/api/x%0Aforged=1 officer=root")
    [record] = request_lines(captured)
    line = installed_formatter().format(record)
    assert "\n" not in line
    assert ' path="/api/x\\nforged=1 officer=root" ' in line
    # Outside the quoted path, the fields are the request's own.
    after_path = line.split(' path="/api/x\\nforged=1 officer=root" ', 1)[1]
    assert after_path.startswith("status=404 ") and after_path.count("officer=") == 1
    assert "officer=None" in after_path


def test_api_answers_are_never_cached(app, officers):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {officers['h29.01.van_thu']}"}
    for response in (
        client.get("/api/tasks", headers=headers),
        client.get("/api/dossiers/H29.01-260302-0999", headers=headers),  # 404
        client.get("/api/tasks"),  # 401
        client.get("/api/health"),
        client.get("/api/openapi.json"),
    ):
        assert response.headers["Cache-Control"] == "no-store", response.request.path
    # The docs' static assets may be cached.
    bundle = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert "no-store" not in bundle.headers.get("Cache-Control", "")
    bundle.close()


def test_a_401_carries_a_bearer_challenge(app, officers):
    client = app.test_client()
    missing = client.get("/api/tasks")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="motcua"'
    assert set(missing.json) == {"code", "status", "message"}
    for header in ("Bearer mc_not-a-token", "Bearer " + "x" * 600):
        wrong = client.get("/api/tasks", headers={"Authorization": header})
        assert wrong.status_code == 401
        assert wrong.headers["WWW-Authenticate"] == 'Bearer realm="motcua", error="invalid_token"'
