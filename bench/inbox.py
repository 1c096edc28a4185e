"""Returns the inbox's latency percentiles per query with a million task rows in the table.

The tasks table is filled in one INSERT … SELECT from generate_series (no round trip per
row): most rows are completed or cancelled history, a large share is open or claimed across
many agencies, and the measured officer's agency holds tens of thousands of open tasks with
due dates from two weeks past to four weeks ahead, so that every filter has matches.
"""

from __future__ import annotations

import statistics
import time

import psycopg

from .client import ApiClient

ROLES = ("tiep_nhan", "tham_dinh", "lanh_dao", "van_thu")
OTHER_AGENCIES = 200  # agencies added so that open tasks are spread over many
OPEN_SHARE = 0.30  # open or claimed; the rest is history
CLAIMED_SHARE = 0.10  # of the open share
COMPLETED_SHARE = 0.60  # the remaining 0.10 is cancelled
OFFICER_AGENCY_SHARE = 0.10  # of the open share, in the measured officer's agency

_FILL = """
WITH pools AS (
    SELECT
        (SELECT array_agg(id ORDER BY id) FROM agencies WHERE id <> %(agency)s) AS agencies,
        (SELECT array_agg(id ORDER BY id) FROM officers WHERE id <> %(officer)s) AS officers,
        (SELECT array_agg(id ORDER BY id) FROM dossiers) AS dossier_ids,
        (SELECT array_agg(code ORDER BY id) FROM dossiers) AS dossier_codes,
        %(roles)s::text[] AS roles
), draws AS (
    SELECT g, random() AS s, random() AS a, random() AS o, random() AS d, random() AS r,
           random() AS t, random() AS b
    FROM generate_series(1, %(count)s) AS g
    OFFSET 0
), rows AS (
    SELECT
        md5('bench-task-' || g)::uuid::text AS id,
        1 + floor(d * cardinality(p.dossier_ids))::int AS k,
        CASE
            WHEN s < %(open)s AND a < %(officer_share)s THEN %(agency)s
            WHEN s >= %(open)s AND a < 1.0 / (cardinality(p.agencies) + 1) THEN %(agency)s
            ELSE p.agencies[1 + floor(b * cardinality(p.agencies))::int]
        END AS agency_id,
        p.roles[1 + floor(r * 4)::int] AS role,
        CASE
            WHEN s < %(open)s * %(claimed)s THEN 'claimed'
            WHEN s < %(open)s THEN 'open'
            WHEN s < %(open)s + %(completed)s THEN 'completed'
            ELSE 'cancelled'
        END AS state,
        p.officers[1 + floor(o * cardinality(p.officers))::int] AS officer_id,
        CASE
            WHEN s < %(open)s THEN now() + (t * 42 - 14) * interval '1 day'
            ELSE now() - (t * 182) * interval '1 day'
        END AS due_at,
        p.dossier_ids, p.dossier_codes
    FROM draws CROSS JOIN pools AS p
)
INSERT INTO tasks (id, dossier_id, agency_id, dossier_code, procedure_code, step, title, role,
    form_key, state, assignee_id, assignee_username, budget_days, created_at, claimed_at,
    changed_at, completed_at, completed_by_id, due_at, calendar_version, data)
SELECT id, dossier_ids[k], agency_id, dossier_codes[k], '1.001193', role, 'Bước', role,
    'khai_sinh/' || role, state,
    CASE WHEN state IN ('claimed', 'completed') THEN officer_id END,
    NULL, 0.5, due_at - interval '5 days',
    CASE WHEN state IN ('claimed', 'completed') THEN due_at - interval '4 days' END,
    CASE WHEN state IN ('open', 'claimed') THEN due_at - interval '4 days'
         ELSE due_at - interval '1 day' END,
    CASE WHEN state IN ('completed', 'cancelled') THEN due_at - interval '1 day' END,
    CASE WHEN state = 'completed' THEN officer_id END,
    due_at, 'VN/bench', '{}'
FROM rows
"""


def fill_tasks(database_url: str, count: int, *, username: str) -> dict[str, int]:
    """Inserts task rows until the table holds `count` (see the module's doc), then VACUUM
    ANALYZEs it; returns its counts."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM tasks")
        (existing,) = cur.fetchone()
        cur.execute("SELECT count(*) FROM dossiers")
        if not cur.fetchone()[0]:
            raise RuntimeError("fill_tasks spreads tasks over dossiers: make some first")
        cur.execute("SELECT id, agency_id FROM officers WHERE username = %s", (username,))
        officer, agency = cur.fetchone()
        cur.execute(
            "INSERT INTO agencies (code, name, kind, area, created_at)"
            " SELECT 'bench-' || g, 'Bench agency ' || g, 'bench', '', now()"
            " FROM generate_series(1, %s) AS g",
            (OTHER_AGENCIES,),
        )
        cur.execute("SELECT setseed(0.766)")
        cur.execute(
            _FILL,
            {
                "agency": agency,
                "officer": officer,
                "roles": list(ROLES),
                "count": max(0, count - existing),
                "open": OPEN_SHARE,
                "claimed": CLAIMED_SHARE,
                "completed": COMPLETED_SHARE,
                "officer_share": OFFICER_AGENCY_SHARE,
            },
        )
        conn.commit()
        # What autovacuum would have done to a table this old: without it, autovacuum works
        # on the million new rows during the measurement and first reads set hint bits.
        conn.autocommit = True
        cur.execute("VACUUM (ANALYZE) tasks")
        cur.execute(
            "SELECT count(*),"
            " count(*) FILTER (WHERE state IN ('open', 'claimed')),"
            " count(DISTINCT agency_id) FILTER (WHERE state IN ('open', 'claimed')),"
            " count(*) FILTER (WHERE state IN ('open', 'claimed') AND agency_id = %(agency)s),"
            " count(*) FILTER (WHERE state = 'open' AND agency_id = %(agency)s"
            "   AND role IN (SELECT role FROM officer_roles WHERE officer_id = %(officer)s))"
            " FROM tasks",
            {"agency": agency, "officer": officer},
        )
        rows, open_rows, agencies, agency_open, visible = cur.fetchone()
    return {
        "rows": rows,
        "open": open_rows,
        "agencies": agencies,
        "agency_open": agency_open,
        "visible": visible,
    }


def _percentiles(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[min(len(timings) - 1, int(len(timings) * 0.99))]


def _matches(client: ApiClient, query: str) -> int:
    """Returns how many tasks a filter matches, walking its pages of 200."""
    total, cursor = 0, None
    while True:
        path = f"/api/tasks?limit=200{query}" + (f"&cursor={cursor}" if cursor else "")
        status, page = client.call("GET", path)
        if status != 200:
            raise RuntimeError(f"inbox failed: {status} {page}")
        total += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return total


def inbox_latency(address, token: str, *, requests: int) -> dict[str, tuple[float, float, int]]:
    """Returns {query: (p50 ms, p99 ms, tasks it matches)} over `requests` requests each, and
    under "all" the percentiles of every request together."""
    client = ApiClient(*address, token)
    status, first = client.call("GET", "/api/tasks")
    if status != 200:
        raise RuntimeError(f"inbox failed: {status} {first}")
    paths = {
        "no filter": "/api/tasks",
        "overdue=true": "/api/tasks?overdue=true",
        "due_soon=true": "/api/tasks?due_soon=true",
        "second page": f"/api/tasks?cursor={first['next_cursor']}",
    }
    matches = {
        "no filter": _matches(client, ""),
        "overdue=true": _matches(client, "&overdue=true"),
        "due_soon=true": _matches(client, "&due_soon=true"),
    }
    matches["second page"] = matches["no filter"]
    for path in list(paths.values()) * 5:  # warm the server's caches and connections
        client.call("GET", path)
    timings: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(requests):
        for name, path in paths.items():  # interleaved, so that each sees the same load
            started = time.perf_counter()
            status, _ = client.call("GET", path)
            timings[name].append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"inbox failed: {status}")
    figures = {name: (*_percentiles(t), matches[name]) for name, t in timings.items()}
    figures["all"] = (*_percentiles([x for t in timings.values() for x in t]), 0)
    return figures
