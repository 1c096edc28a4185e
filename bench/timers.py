"""`python -m bench.timers`: how long two rq workers take to fire 100,000 due BPMN timers.

PostgreSQL (BENCH_DATABASE_URL, default the local test database, in a schema of its own that
is dropped afterwards), Redis (BENCH_REDIS_URL, default the local one, on a queue of this
run's own) and `motcua worker` processes (rq SimpleWorker + relay), started here.

The dossiers: one is received over the API (in this process) for a procedure whose appraisal
step carries an interrupting boundary timer that escalates it to the leader; its reception
is done, so appraisal is open and the timer waits. It is then cloned N times in SQL, each
clone with fresh task ids in its workflow state (the ids are what make two workflows
distinct) and its own open appraisal task row, and every clone's timer made due. Then the
workers start; the clock runs from their start until every dossier's timer has fired (each
one restored, fired, stepped, written: the appraisal cancelled, the leader's task opened, a
`timer_fired` event logged) and no dossier waits for a timer any more. Prints figures;
asserts nothing (it does count what it expects, and says so when a count is off).
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import psycopg

from api import create_app
from api.services import deploy, operation
from api.store import db
from tests.escalation import ESCALATION, FORMS, TIMER, received_at_appraisal

from .__main__ import machine
from .groups import check_services, libpq_url, rq_workers
from .server import ROOT, bench_database, prepare

TARGET_SECONDS = 60.0
DIAGRAM = ROOT / "tests" / "fixtures" / "bpmn" / "escalation.bpmn"
# The appraisal's boundary timer, made short: the template's timer is due a second after it
# starts waiting, and so is every clone's (the due time is in the workflow state).
SHORT_TIMER = b"<bpmn:timeDuration>PT1S</bpmn:timeDuration>"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def template_dossier(database_url: str, instance: Path, tokens: dict[str, str]) -> str:
    """Returns the code of a dossier at appraisal, its boundary timer waiting."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "MOTCUA_INSTANCE_DIR": str(instance)}
    )
    with app.app_context():
        bpmn = DIAGRAM.read_bytes()
        if TIMER not in bpmn:
            raise RuntimeError(f"{DIAGRAM} no longer has the timer this bench shortens")
        deploy(operation(), ESCALATION, bpmn=bpmn.replace(TIMER, SHORT_TIMER), forms=FORMS)
        db.session.commit()
    headers = {"Authorization": f"Bearer {tokens['h29.01.tiep_nhan']}"}
    dossier = received_at_appraisal(app.test_client(), headers)
    with app.app_context():
        db.engine.dispose()
    time.sleep(1.1)  # its timer (and so every clone's) is due
    return dossier["code"]


def clone(database_url: str, code: str, count: int) -> float:
    """Clones the dossier `count` times, every clone's timer due now; returns the seconds."""
    started = time.perf_counter()
    with psycopg.connect(libpq_url(database_url)) as conn:
        dossier_id, state = conn.execute(
            "SELECT id, workflow_state FROM dossiers WHERE code = %s", (code,)
        ).fetchone()
        [open_task] = conn.execute(
            "SELECT id FROM tasks WHERE dossier_id = %s AND state = 'open'", (dossier_id,)
        ).fetchone()
        ids = sorted(set(_UUID.findall(state)))
        if open_task not in ids:
            raise RuntimeError("the open task's id is not in the workflow state")
        conn.execute("CREATE TEMP TABLE clones (n integer, code text, state text, task_id text)")
        with conn.cursor().copy("COPY clones (n, code, state, task_id) FROM STDIN") as copy:
            for n in range(count):
                fresh = {old: str(uuid.uuid4()) for old in ids}
                copy.write_row(
                    (
                        n,
                        f"BENCH-T{n:07d}",
                        _renamed(state, fresh),
                        fresh[open_task],
                    )
                )
        columns = [
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'dossiers' AND table_schema = current_schema() "
                "AND column_name NOT IN ('id', 'code', 'workflow_state', 'timer_due_at')"
            )
        ]
        names = ", ".join(columns)
        conn.execute(
            f"INSERT INTO dossiers (code, workflow_state, timer_due_at, {names}) "
            f"SELECT c.code, c.state, d.timer_due_at, "
            f"{', '.join('d.' + name for name in columns)} "
            "FROM clones c CROSS JOIN dossiers d WHERE d.id = %s",
            (dossier_id,),
        )
        task_columns = [
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'tasks' AND table_schema = current_schema() "
                "AND column_name NOT IN ('id', 'dossier_id', 'dossier_code')"
            )
        ]
        task_names = ", ".join(task_columns)
        conn.execute(
            f"INSERT INTO tasks (id, dossier_id, dossier_code, {task_names}) "
            f"SELECT c.task_id, nd.id, nd.code, {', '.join('t.' + n for n in task_columns)} "
            "FROM clones c JOIN dossiers nd ON nd.code = c.code "
            "CROSS JOIN tasks t WHERE t.id = %s",
            (open_task,),
        )
        conn.execute("UPDATE dossiers SET timer_due_at = NULL WHERE id = %s", (dossier_id,))
        conn.commit()
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE dossiers")
        conn.execute("VACUUM ANALYZE tasks")
    return time.perf_counter() - started


def _renamed(state: str, fresh: dict[str, str]) -> str:
    return _UUID.sub(lambda match: fresh.get(match.group(0), match.group(0)), state)


def waiting(database_url: str) -> int:
    """Returns how many dossiers still wait for a timer (an index scan, cheap enough to poll
    without taking the workers' CPU)."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM dossiers WHERE timer_due_at IS NOT NULL"
        ).fetchone()[0]


def counts(database_url: str) -> tuple[int, int]:
    """Returns (timer_fired events, leader tasks): counted once, after the clock stops."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        fired = conn.execute("SELECT count(*) FROM events WHERE action = 'timer_fired'").fetchone()[
            0
        ]
        escalated = conn.execute(
            "SELECT count(*) FROM tasks WHERE step = 'lanh_dao_xu_ly'"
        ).fetchone()[0]
    return fired, escalated


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.timers", description=__doc__)
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--rq-workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1800, help="give up after (seconds)")
    args = parser.parse_args()
    base_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    queue = f"motcua-bench-{uuid.uuid4().hex[:8]}"
    schema = f"motcua_bench_timers_{uuid.uuid4().hex[:8]}"

    print(f"machine: {machine()}")
    check_services(base_url, redis_url)
    with ExitStack() as stack:
        instance = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="motcua-bench-")))
        url = stack.enter_context(bench_database(base_url, schema))
        tokens = prepare(url, instance)
        code = template_dossier(url, instance, tokens)
        seconds = clone(url, code, args.timers)
        print(f"setup: {args.timers} dossiers with a due timer cloned in {seconds:.1f} s")
        started = time.perf_counter()
        workers = stack.enter_context(rq_workers(url, redis_url, queue, instance, args.rq_workers))
        ready = time.perf_counter() - started
        while True:
            left = waiting(url)
            elapsed = time.perf_counter() - started
            if left == 0:
                break
            if elapsed > args.timeout:
                print(workers.log_tails())
                raise SystemExit(f"bench.timers: {left} still waiting after {elapsed:.0f} s")
            time.sleep(0.5)
        jobs = workers.jobs_done()
        fired, escalated = counts(url)
    rate = fired / elapsed
    met = "met" if elapsed <= TARGET_SECONDS else "NOT met"
    print(
        f"timers: {fired} fired in {elapsed:.1f} s with {args.rq_workers} rq workers "
        f"({rate:.0f} timers/s; the workers took {ready:.1f} s to start; rq ran {jobs} jobs; "
        f"target ≤ {TARGET_SECONDS:.0f} s: {met})"
    )
    if fired != args.timers or escalated != args.timers + 0:
        print(f"counts off: {fired} timer_fired events, {escalated} leader tasks")
    print(f"timers={fired} seconds={elapsed:.1f} timers_per_s={rate:.0f}")


if __name__ == "__main__":
    main()
