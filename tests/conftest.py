"""Fixtures: an app on SQLite and (when reachable, always in CI) on PostgreSQL, a settable
clock, seeded agencies and officers, and an HTTP client that speaks for one officer."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from flask_migrate import stamp
from sqlalchemy import create_engine, text

from api import create_app
from api.services import (
    create_agency,
    create_officer,
    deploy,
    deploy_shipped,
    find_agency,
    issue_token,
    operation,
    runtime,
)
from api.store import db
from engine.calendar import TIMEZONE
from tests.groups import GROUP_AGENCIES, GROUP_ROLES

# Real servers on 127.0.0.1 for the notification channels: SMTP and a webhook receiver.
pytest_plugins = ["tests.smtp_server", "tests.webhook_receiver"]

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable_postgres() -> str | None:
    from config import normalize_database_url

    url = normalize_database_url(POSTGRES_URL)
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return url
    except Exception:  # any failure to connect means "not here"
        return None


def _reachable_redis() -> str | None:
    from redis import Redis

    try:
        return REDIS_URL if Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping() else None
    except Exception:  # any failure to connect means "not here"
        return None


def pytest_configure(config):
    config.postgres_url = _reachable_postgres()
    if config.postgres_url is None and REQUIRE_SERVICES:
        pytest.exit(
            f"PostgreSQL is required (REQUIRE_SERVICES=1) but {POSTGRES_URL} is unreachable", 1
        )
    config.redis_url = _reachable_redis()
    if config.redis_url is None and REQUIRE_SERVICES:
        pytest.exit(f"Redis is required (REQUIRE_SERVICES=1) but {REDIS_URL} is unreachable", 1)


def pytest_collection_modifyitems(config, items):
    # Locally, without a service, the tests that need it are reported as skipped; CI (with
    # REQUIRE_SERVICES=1) never gets here: it stopped in pytest_configure.
    if config.redis_url is None:
        reason = f"Redis at {REDIS_URL} is not reachable (CI sets REQUIRE_SERVICES=1 and fails)"
        for item in items:
            if item.get_closest_marker("redis"):
                item.add_marker(pytest.mark.skipif(True, reason=reason))
    if config.postgres_url is not None:
        return
    reason = f"PostgreSQL at {POSTGRES_URL} is not reachable (CI sets REQUIRE_SERVICES=1 and fails)"
    for item in items:
        params = getattr(item, "callspec", None)
        if item.get_closest_marker("postgres") or (
            params and params.params.get("backend") == "postgresql"
        ):
            item.add_marker(pytest.mark.skipif(True, reason=reason))


@pytest.fixture(scope="session")
def postgres_schema_url(pytestconfig):
    """Returns a PostgreSQL URL whose search_path is a schema private to this test run."""
    url = pytestconfig.postgres_url
    schema = f"motcua_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


class Clock:
    """A settable clock the app reads instead of the wall clock."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, *args: int) -> None:
        self.now = datetime(*args, tzinfo=TIMEZONE)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def clock():
    # A Monday morning, 2026-03-02 09:00 in Vietnam: an ordinary working day.
    return Clock(datetime(2026, 3, 2, 9, 0, tzinfo=TIMEZONE))


@pytest.fixture
def app(backend, tmp_path: Path, clock, request):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'motcua.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "MOTCUA_INSTANCE_DIR": str(tmp_path),
            "MOTCUA_TOKEN_CACHE_SECONDS": 0,
            "MOTCUA_CALENDAR_REFRESH_SECONDS": 0,
            "TESTING": True,
        }
    )
    # Requests must run in their own app context, as in production (a shared one would share
    # the session and flask.g between requests), so the fixture leaves none pushed.
    with app.app_context():
        runtime().clock = clock
        db.drop_all()
        db.create_all()
        stamp()  # the schema is this code's: health checks see a migrated database
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


AGENCIES = {"H29.01": "UBND xã Tân An", "H29.02": "UBND xã Bình Minh"}
ROLES = ("tiep_nhan", "tham_dinh", "lanh_dao", "van_thu")


@pytest.fixture
def officers(app, clock) -> dict[str, str]:
    """Returns username → token: per agency, one officer per role plus a second receptionist
    and a second appraiser."""
    tokens = {}
    with app.app_context():
        op = operation()
        deploy_shipped(op)
        for code, name in AGENCIES.items():
            agency = create_agency(op, code=code, name=name, kind="ubnd_xa", area=code)
            people = [(f"{code.lower()}.{role}", [role]) for role in ROLES]
            people.append((f"{code.lower()}.tiep_nhan2", ["tiep_nhan"]))
            people.append((f"{code.lower()}.tham_dinh2", ["tham_dinh"]))
            for username, roles in people:
                officer = create_officer(op, agency=agency, username=username, roles=roles)
                tokens[username], _ = issue_token(op, officer)
        db.session.commit()
    return tokens


@pytest.fixture
def group_officers(app, officers) -> dict[str, str]:
    """Returns `officers` with the agencies the communes hand interlinked dossiers to (police,
    social insurance, social protection), one officer per role each, and each commune's
    operator (role quan_tri)."""
    with app.app_context():
        op = operation()
        for code, name, kind, area in GROUP_AGENCIES:
            agency = create_agency(op, code=code, name=name, kind=kind, area=area)
            for role in GROUP_ROLES:
                officer = create_officer(
                    op, agency=agency, username=f"{code.lower()}.{role}", roles=[role]
                )
                officers[officer.username], _ = issue_token(op, officer)
        for code in AGENCIES:
            officer = create_officer(
                op,
                agency=find_agency(code),
                username=f"{code.lower()}.quan_tri",
                roles=["quan_tri"],
            )
            officers[officer.username], _ = issue_token(op, officer)
        db.session.commit()
    return officers


class OfficerClient:
    """An HTTP client that sends one officer's bearer token with every request."""

    def __init__(self, client, token: str | None):
        self._client = client
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, url, **kwargs):
        return self._client.get(url, headers=self._headers, **kwargs)

    def post(self, url, json=None, **kwargs):
        return self._client.post(url, json=json, headers=self._headers, **kwargs)

    def put(self, url, json=None, **kwargs):
        return self._client.put(url, json=json, headers=self._headers, **kwargs)

    def delete(self, url, **kwargs):
        return self._client.delete(url, headers=self._headers, **kwargs)


DESIGNER = "h29.01.thiet_ke"


@pytest.fixture
def designer(app, officers) -> str:
    """Returns the username of a process designer (role thiet_ke) of H29.01, with a token."""
    with app.app_context():
        op = operation()
        officer = create_officer(
            op, agency=find_agency("H29.01"), username=DESIGNER, roles=["thiet_ke"]
        )
        officers[DESIGNER], _ = issue_token(op, officer)
        db.session.commit()
    return DESIGNER


@pytest.fixture
def as_officer(app, officers):
    client = app.test_client()

    def make(username: str | None) -> OfficerClient:
        return OfficerClient(client, officers.get(username) if username else None)

    return make


def birth_declaration() -> dict:
    return {
        "child": {
            "full_name": "Nguyễn Minh An",
            "sex": "male",
            "date_of_birth": "2026-02-20",
            "place_of_birth": "Bệnh viện Phụ sản Hà Nội",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
        },
        "mother": {"full_name": "Trần Thị Bình", "id_number": "001190012345"},
        "declarant": {"full_name": "Trần Thị Bình", "relationship": "mother"},
        "documents": [{"name": "Giấy chứng sinh", "kind": "original", "count": 1}],
    }


def birth_submission(**overrides) -> dict:
    body = {
        "procedure": "1.001193",
        "applicant": {"full_name": "Trần Thị Bình", "phone": "0912345678"},
        "channel": 1,
        "data": birth_declaration(),
    }
    body.update(overrides)
    return body


# The birth procedure's happy path: (officer, step, form answers, dossier status once done).
BIRTH_STEPS = [
    ("h29.01.tiep_nhan", "tiep_nhan", {"decision": "accept"}, 2),
    ("h29.01.tham_dinh", "tham_dinh", {"assessment": "eligible", "opinion": "Hồ sơ hợp lệ"}, 4),
    ("h29.01.lanh_dao", "phe_duyet", {"approved": True}, 4),
    (
        "h29.01.lanh_dao",
        "ky_so",
        {
            "signed": True,
            "certificate_serial": "5401A2B3C4",
            "registration_number": "12/2026",
            "personal_id": "001226012345",
        },
        9,
    ),
    (
        "h29.01.van_thu",
        "tra_ket_qua",
        {"delivery": "counter", "receiver_name": "Trần Thị Bình"},
        10,
    ),
]


def receive(as_officer, username: str = "h29.01.tiep_nhan", **overrides) -> dict:
    """Returns a new birth dossier, received over HTTP by a reception officer."""
    response = as_officer(username).post("/api/dossiers", json=birth_submission(**overrides))
    assert response.status_code == 201, response.json
    return response.json


def appraisal_task(as_officer) -> tuple[dict, str]:
    """Returns a new dossier, accepted at reception, and the id of its open appraisal task."""
    dossier = receive(as_officer)
    reception = dossier["tasks"][0]["id"]
    officer = as_officer("h29.01.tiep_nhan")
    assert officer.post(f"/api/tasks/{reception}/claim").status_code == 200
    done = officer.post(f"/api/tasks/{reception}/complete", json={"data": {"decision": "accept"}})
    assert done.status_code == 200, done.json
    [task] = done.json["next_tasks"]
    assert task["step"] == "tham_dinh"
    return dossier, task["id"]


def deploy_test_procedure(app, clock, monkeypatch, procedure, bpmn: bytes, forms: dict):
    """Returns the version deployed for a test procedure, with its descriptor, as a
    designer's new procedure is."""
    with app.app_context():
        version, _ = deploy(
            operation(), procedure, effective_from=clock.now, bpmn=bpmn, forms=forms
        )
        db.session.commit()
        return version.id
