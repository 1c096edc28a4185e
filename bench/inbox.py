"""Returns the inbox's latency percentiles with 100,000 open tasks in the database."""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from .client import ApiClient

ROLES = ("tiep_nhan", "tham_dinh", "lanh_dao", "van_thu")


def fill_open_tasks(database_url: str, count: int, *, seed: int = 766) -> None:
    """Inserts `count` open tasks across the bench's dossiers, roles and due dates."""
    rng = random.Random(seed)
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, code, agency_id FROM dossiers ORDER BY id")
        dossiers = cur.fetchall()
        cur.execute("SELECT id, agency_id FROM officers")
        officers_by_agency: dict[int, list[int]] = {}
        for officer_id, agency_id in cur.fetchall():
            officers_by_agency.setdefault(agency_id, []).append(officer_id)
        now = datetime.now(UTC)
        with cur.copy(
            "COPY tasks (id, dossier_id, agency_id, dossier_code, procedure_code, step, title,"
            " role, form_key, state, assignee_id, budget_days, created_at, claimed_at,"
            " changed_at, due_at, calendar_version, data) FROM STDIN"
        ) as copy:
            for _ in range(count):
                dossier_id, code, agency_id = rng.choice(dossiers)
                role = rng.choice(ROLES)
                claimed = rng.random() < 0.1
                created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 20))
                copy.write_row(
                    (
                        str(uuid.uuid4()),
                        dossier_id,
                        agency_id,
                        code,
                        "1.001193",
                        role,
                        "Bước",
                        role,
                        f"khai_sinh/{role}",
                        "claimed" if claimed else "open",
                        rng.choice(officers_by_agency[agency_id]) if claimed else None,
                        "0.5",
                        created,
                        created if claimed else None,
                        created,
                        now + timedelta(minutes=rng.randint(-60 * 24 * 10, 60 * 24 * 10)),
                        "VN/bench",
                        "{}",
                    )
                )
        cur.execute("ANALYZE tasks")
        conn.commit()


def inbox_latency(address, token: str, *, requests: int) -> tuple[float, float, int]:
    """Returns (p50 ms, p99 ms, open tasks visible to the officer on the first page)."""
    client = ApiClient(*address, token)
    paths = ["/api/tasks", "/api/tasks?overdue=true", "/api/tasks?procedure=1.001193&limit=100"]
    status, first = client.call("GET", "/api/tasks")
    if status != 200:
        raise RuntimeError(f"inbox failed: {status} {first}")
    cursor = first["next_cursor"]
    paths.append(f"/api/tasks?cursor={cursor}")
    for path in paths * 5:  # warm the server's caches and connections
        client.call("GET", path)
    timings = []
    for n in range(requests):
        path = paths[n % len(paths)]
        started = time.perf_counter()
        status, _ = client.call("GET", path)
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"inbox failed: {status}")
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    return statistics.median(timings), p99, len(first["items"])
