"""A lost database connection is a 503 with Retry-After (the transaction was rolled back whole,
so a retry is safe), never a 500; the next requests find new connections and succeed."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from api.services import Busy, Conflict, NotReady, from_database_error
from api.store import DatabaseFault, classify_fault
from tests.conftest import birth_submission

APPLICATION_NAME = "motcua_fault_test"


@pytest.fixture
def backend():
    return "postgresql"


@pytest.fixture
def postgres_schema_url(postgres_schema_url):
    # Name this test's connections, so killing them touches nothing else on the server.
    return f"{postgres_schema_url}&application_name={APPLICATION_NAME}"


def terminate_app_connections(admin_url: str) -> int:
    engine = create_engine(admin_url)
    with engine.begin() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = :name AND pid <> pg_backend_pid()"
            ),
            {"name": APPLICATION_NAME},
        ).scalar_one()
    engine.dispose()
    return killed


@pytest.mark.postgres
def test_killed_connections_under_load_give_503_never_500_then_200(app, as_officer, pytestconfig):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is an answer to count, not a crash
    officer = as_officer("h29.01.tiep_nhan")
    dossier = officer.post("/api/dossiers", json=birth_submission()).json
    task_id = dossier["tasks"][0]["id"]
    statuses: list[tuple[int, str | None]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(username: str):
        client = as_officer(username)
        while not stop.is_set():
            for response in (
                client.get("/api/tasks"),
                client.get(f"/api/dossiers/{dossier['code']}"),
                client.post(f"/api/tasks/{task_id}/claim"),
                client.post(f"/api/tasks/{task_id}/release"),
            ):
                with lock:
                    statuses.append((response.status_code, response.headers.get("Retry-After")))

    threads = [
        threading.Thread(target=load, args=(name,))
        for name in ("h29.01.tiep_nhan", "h29.01.tiep_nhan2", "h29.01.lanh_dao")
    ]
    for thread in threads:
        thread.start()
    killed = 0
    try:
        for round_ in range(5):
            # wait for some load between cuts; a load thread that died ends the wait too
            while len(statuses) < 20 + 40 * round_ and all(t.is_alive() for t in threads):
                stop.wait(0.01)
            killed += terminate_app_connections(pytestconfig.postgres_url)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert all(not t.is_alive() for t in threads)
    assert killed > 0  # the test really cut connections in use
    codes = {code for code, _ in statuses}
    assert 500 not in codes
    assert 503 in codes  # each cut is seen once, by the request that meets it
    # claims and releases race each other (409) or are refused by role (403): all by design
    assert codes <= {200, 403, 409, 503}
    assert all(retry for code, retry in statuses if code == 503)
    # once the killing stops, every endpoint answers again
    assert officer.get("/api/tasks").status_code == 200
    assert officer.get(f"/api/dossiers/{dossier['code']}").status_code == 200
    assert officer.get("/api/health").status_code == 200


def _operational(message: str, sqlstate: str | None = None) -> OperationalError:
    original = Exception(message)
    original.sqlstate = sqlstate  # type: ignore[attr-defined]
    return OperationalError("SELECT 1", {}, original)


@pytest.mark.parametrize(
    ("error", "fault", "domain"),
    [
        (_operational("deadlock detected", "40P01"), DatabaseFault.CONTENTION, Conflict),
        (_operational("could not serialize access", "40001"), DatabaseFault.CONTENTION, Conflict),
        (
            _operational("terminating connection due to administrator command", "57P01"),
            DatabaseFault.UNAVAILABLE,
            Busy,
        ),
        (
            _operational("server closed the connection unexpectedly"),
            DatabaseFault.UNAVAILABLE,
            Busy,
        ),
        (_operational("connection refused", "08006"), DatabaseFault.UNAVAILABLE, Busy),
        (_operational("database is locked"), DatabaseFault.BUSY, Busy),
        (_operational("no such table: tasks"), DatabaseFault.NOT_MIGRATED, NotReady),
        (
            _operational('relation "tasks" does not exist', "42P01"),
            DatabaseFault.NOT_MIGRATED,
            NotReady,
        ),
    ],
)
def test_database_faults_are_classified(error, fault, domain):
    assert classify_fault(error) is fault
    assert isinstance(from_database_error(error), domain)


def test_a_bug_in_sql_is_not_mistaken_for_a_fault():
    error = _operational('syntax error at or near "SELEC"', "42601")
    assert classify_fault(error) is None and from_database_error(error) is None
