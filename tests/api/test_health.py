"""GET /api/health says whether this process can serve, and why not; a database that was
never migrated (or is behind this code) is a 503 naming the fix, on every endpoint, never a
500."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from api import create_app
from api.store import db

TOKEN = {"Authorization": "Bearer mc_some-token-of-an-unmigrated-database"}
# Endpoints that all reach the database (the token is resolved there first).
ENDPOINTS = [
    ("get", "/api/tasks"),
    ("get", "/api/procedures"),
    ("get", "/api/dossiers/H29.01-260302-0001"),
    ("post", "/api/dossiers"),
    ("get", "/api/tasks/00000000-0000-0000-0000-000000000000"),
    ("post", "/api/tasks/00000000-0000-0000-0000-000000000000/claim"),
    ("post", "/api/tasks/00000000-0000-0000-0000-000000000000/complete"),
]


def app_on(url: str, instance: Path):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "MOTCUA_INSTANCE_DIR": str(instance),
            "MOTCUA_TOKEN_CACHE_SECONDS": 0,
            "TESTING": True,
        }
    )


@pytest.fixture
def empty_app(backend, tmp_path, pytestconfig):
    """Returns an app on a database nobody ran `motcua db upgrade` on: a new SQLite file, or a
    new, empty PostgreSQL schema."""
    if backend == "sqlite":
        app = app_on(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
        yield app
        with app.app_context():
            db.engine.dispose()
        return
    url = pytestconfig.postgres_url
    schema = f"motcua_empty_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    app = app_on(f"{url}{separator}options=-csearch_path%3D{schema}", tmp_path)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_health_is_200_on_the_migrated_database(app):
    response = app.test_client().get("/api/health")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ok", "database": "ok", "queue": "in_process"}
    assert "Retry-After" not in response.headers


def test_health_is_503_on_a_database_never_migrated(empty_app):
    response = empty_app.test_client().get("/api/health")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["database"] == "not_migrated"
    assert "motcua db upgrade" in response.json["message"]
    assert int(response.headers["Retry-After"]) > 0


def test_every_endpoint_on_a_database_never_migrated_is_503_saying_to_migrate(empty_app):
    client = empty_app.test_client()
    for method, url in ENDPOINTS:
        response = getattr(client, method)(
            url, headers=TOKEN, json={} if method == "post" else None
        )
        assert response.status_code == 503, (
            url,
            response.status_code,
            response.get_data(as_text=True),
        )
        body = response.json
        assert set(body) == {"code", "status", "message"}, (url, body)
        assert body["code"] == 503 and body["status"] == "Service Unavailable"
        assert "motcua db upgrade" in body["message"], (url, body)
        assert int(response.headers["Retry-After"]) > 0
    # The process itself is fine: what needs no database still answers.
    assert client.get("/api/openapi.json").status_code == 200
    # And after the migration, the same process serves.
    with empty_app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.session.remove()
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/tasks", headers=TOKEN).status_code == 401


@pytest.mark.parametrize("revision", ["0001_core_tables", "ffffffffffff"])
def test_health_is_503_outdated_when_the_schema_is_at_another_revision(app, revision):
    with app.app_context():
        current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        db.session.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        db.session.commit()
    try:
        response = app.test_client().get("/api/health")
        assert response.status_code == 503
        assert response.json["database"] == "outdated"
        assert revision in response.json["message"] and current in response.json["message"]
        assert "motcua db upgrade" in response.json["message"]
        assert int(response.headers["Retry-After"]) > 0
    finally:
        # Put the head back: the fixture's next stamp must know the revision it finds.
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": current})
            db.session.commit()
    assert app.test_client().get("/api/health").status_code == 200


def test_health_is_503_when_the_database_does_not_answer(tmp_path):
    # Nothing listens on port 1: the connection is refused at once.
    app = app_on("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2", tmp_path)
    response = app.test_client().get("/api/health")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    assert int(response.headers["Retry-After"]) > 0
