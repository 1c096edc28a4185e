"""`python -m bench.groups`: interlinked birth groups end to end on the production stack.

PostgreSQL (BENCH_DATABASE_URL, default the local test database, in a schema of its own that
is dropped afterwards), gunicorn started here, Redis (BENCH_REDIS_URL, default the local one,
on a queue of this run's own) and `motcua worker` processes (rq SimpleWorker + relay).
Each client thread runs whole birth groups (LT-KS) over HTTP: the reception at commune H29.01,
the commune's five steps, then the police's and the social insurance's three steps each,
until the group dossier reads status 10. Prints figures; asserts nothing.

- groups/s: groups completed end to end per second, all clients working at once.
- handoff latency: from the moment the commune's `ky_so` completion answer has returned (its
  transaction committed, the two handoffs recorded in the outbox) to the moment each
  receiver's first task is committed. The client thread that signed polls the database
  directly (one indexed query on `dossiers.group_id` joined to `tasks`, every ~2 ms) and takes
  the time at which it sent the query that first saw the row, so a sample is late by at most
  one poll. Two samples per group, taken while the other clients work their own groups.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker

from config import normalize_database_url
from tests.groups import ANSWERS, birth_group_submission

from .__main__ import machine
from .client import ApiClient
from .scenario import DECLARATION
from .server import ROOT, bench_database, gunicorn, prepare

TARGET_P99_MS = 250.0
COMMUNE = "H29.01"
# receiving procedure → (agency, its first step)
RECEIVERS = {
    "1.004194": ("CA29.01", "thuong_tru_tham_dinh"),
    "1.011605": ("BH29", "bhyt_tre_em_tham_dinh"),
}
POLL_SECONDS = 0.002
WAIT_SECONDS = 30.0  # a handoff or a group status not seen by then is an error
# The receivers' first tasks of one group: dossiers by group (indexed), tasks by dossier
# (indexed). Autocommit: every poll reads what is committed at that moment.
POLL_QUERY = (
    "SELECT d.procedure_code, d.code, t.id FROM dossiers d "
    "JOIN tasks t ON t.dossier_id = d.id "
    "WHERE d.group_id = %s AND t.step = ANY(%s)"
)
FIRST_STEPS = [step for _, step in RECEIVERS.values()]


def libpq_url(sqlalchemy_url: str) -> str:
    """Returns the URL psycopg connects to, from the SQLAlchemy one."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def check_services(database_url: str, redis_url: str) -> None:
    """Exits with a clear message when PostgreSQL or Redis does not answer."""
    try:
        psycopg.connect(libpq_url(normalize_database_url(database_url)), connect_timeout=3).close()
    except psycopg.Error as exc:
        sys.exit(f"bench.groups: PostgreSQL at {database_url} is unreachable: {exc}".strip())
    try:
        Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2).ping()
    except RedisError as exc:
        sys.exit(f"bench.groups: Redis at {redis_url} is unreachable: {exc}")


@contextmanager
def environment(**values: str):
    """Sets environment variables for what starts inside (gunicorn copies os.environ when it
    starts its process), restoring them afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class RqWorkers:
    """`motcua worker` processes on one database and one queue, stopped at the end."""

    command = [sys.executable, "-c", "from api.cli import main; main()"]

    def __init__(self, database_url: str, redis_url: str, queue: str, instance_dir: Path):
        self.redis_url, self.queue = redis_url, queue
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "MOTCUA_QUEUE_NAME": queue,
            "MOTCUA_INSTANCE_DIR": str(instance_dir),
        }
        self.instance_dir = instance_dir
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self, count: int) -> None:
        for number in range(count):
            name = f"{self.queue}-{number}"
            log = self.instance_dir / f"{name}.log"
            with open(log, "wb") as handle:  # the child keeps its own copy
                self.processes.append(
                    subprocess.Popen(
                        [*self.command, "worker", "--name", name],
                        env=self.env,
                        cwd=ROOT,
                        stdout=handle,
                        stderr=subprocess.STDOUT,
                    )
                )
            self.logs.append(log)
        deadline = time.monotonic() + 60
        while self.registered() < count:
            if any(p.poll() is not None for p in self.processes) or time.monotonic() > deadline:
                raise RuntimeError(f"the rq workers did not start:\n{self.log_tails()}")
            time.sleep(0.1)

    def _connection(self) -> Redis:
        return Redis.from_url(self.redis_url, socket_connect_timeout=1, socket_timeout=5)

    def registered(self) -> int:
        return Worker.count(queue=Queue(self.queue, connection=self._connection()))

    def jobs_done(self) -> int:
        """Returns how many jobs the workers ran successfully (rq's own count)."""
        workers = Worker.all(queue=Queue(self.queue, connection=self._connection()))
        return sum(worker.successful_job_count for worker in workers)

    def log_tails(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
            for log in self.logs
            if log.exists()
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        try:  # this run's queue, registries and worker sets; nothing of anyone else's
            connection = self._connection()
            keys = list(connection.scan_iter(match=f"rq:*{self.queue}*"))
            if keys:
                connection.delete(*keys)
            connection.srem("rq:queues", f"rq:queue:{self.queue}")
        except RedisError as exc:
            print(f"bench.groups: could not clean queue {self.queue} on Redis: {exc}")


@contextmanager
def rq_workers(database_url: str, redis_url: str, queue: str, instance_dir: Path, count: int):
    workers = RqWorkers(database_url, redis_url, queue, instance_dir)
    try:
        workers.start(count)
        yield workers
    finally:
        workers.stop()


class GroupClient:
    """One client thread's officers: runs whole birth groups over HTTP, and polls the
    database for the handoffs' arrival."""

    def __init__(self, address, tokens: dict[str, str], database_url: str):
        self.api = ApiClient(*address)
        self.tokens = tokens
        self.db = psycopg.connect(libpq_url(database_url), autocommit=True)
        self.body = birth_group_submission(DECLARATION)

    def close(self) -> None:
        self.db.close()

    def call(self, username: str, method: str, path: str, body=None) -> dict:
        status, answer = self.api.call(method, path, body, token=self.tokens[username])
        if status not in (200, 201):
            raise RuntimeError(f"{username} {method} {path}: {status} {answer}")
        return answer

    def work(self, agency: str, task: dict | None, on_step=None) -> None:
        """Claims and completes a dossier's tasks from `task` on until none is open;
        `on_step(step)` runs after each completion answer."""
        while task is not None:
            role, answers = ANSWERS[task["step"]]
            username = f"{agency.lower()}.{role}"
            self.call(username, "POST", f"/api/tasks/{task['id']}/claim")
            done = self.call(
                username, "POST", f"/api/tasks/{task['id']}/complete", {"data": answers}
            )
            if on_step is not None:
                on_step(task["step"])
            task = done["next_tasks"][0] if done["next_tasks"] else None

    def run_group(self) -> list[float]:
        """Runs one group end to end; returns its two handoff latencies in milliseconds."""
        reception = f"{COMMUNE.lower()}.tiep_nhan"
        group = self.call(reception, "POST", "/api/dossiers", self.body)
        code = group["code"]
        [commune] = [p["dossier_code"] for p in group["parts"] if p["dossier_code"]]
        first = self.call(reception, "GET", f"/api/dossiers/{commune}")["tasks"][0]
        [group_id] = self.db.execute(
            "SELECT id FROM group_dossiers WHERE code = %s", (code,)
        ).fetchone()

        received: dict[str, tuple[float, str]] = {}  # procedure → (ms, first task id)

        def after(step: str) -> None:
            if step == "ky_so":
                received.update(self.wait_for_handoffs(group_id))

        self.work(COMMUNE, first, after)
        if len(received) != len(RECEIVERS):
            raise RuntimeError(f"group {code}: the commune never reached ky_so")
        for procedure, (agency, first_step) in RECEIVERS.items():
            self.work(agency, {"id": received[procedure][1], "step": first_step})
        deadline = time.monotonic() + WAIT_SECONDS
        while self.call(reception, "GET", f"/api/dossiers/{code}")["status"]["code"] != 10:
            if time.monotonic() > deadline:
                raise RuntimeError(f"group {code} did not reach status 10")
            time.sleep(0.01)
        return [ms for ms, _ in received.values()]

    def wait_for_handoffs(self, group_id: int) -> dict[str, tuple[float, str]]:
        """Polls until both receivers' first tasks are committed; returns procedure →
        (milliseconds since the call, task id)."""
        started = time.perf_counter()
        seen: dict[str, tuple[float, str]] = {}
        while True:
            sent = time.perf_counter()
            for procedure, _code, task_id in self.db.execute(
                POLL_QUERY, (group_id, FIRST_STEPS), prepare=True
            ):
                if procedure not in seen:
                    seen[procedure] = ((sent - started) * 1000, task_id)
            if len(seen) == len(RECEIVERS):
                return seen
            if sent - started > WAIT_SECONDS:
                raise RuntimeError(f"group {group_id}: handoffs not delivered ({sorted(seen)})")
            time.sleep(POLL_SECONDS)


def run_groups(address, tokens, database_url: str, groups: int) -> list[float]:
    """Runs `groups` groups one after the other in the calling thread; returns the
    handoff latencies."""
    client = GroupClient(address, tokens, database_url)
    try:
        latencies: list[float] = []
        for _ in range(groups):
            latencies.extend(client.run_group())
        return latencies
    finally:
        client.close()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    rank = min(max(1, math.ceil(fraction * len(sorted_values))), len(sorted_values))
    return sorted_values[rank - 1]


def groups_rate(address, tokens, database_url: str, *, groups: int, clients: int):
    """Returns (groups per second, handoff latencies in ms, load generator CPU ms per group)
    with `clients` threads each running its share of `groups` whole groups at once."""
    shares = [groups // clients + (1 if i < groups % clients else 0) for i in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def client(share: int) -> list[float]:
        barrier.wait()
        return run_groups(address, tokens, database_url, share)

    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(client, share) for share in shares]
        barrier.wait()
        cpu_started, started = time.process_time(), time.perf_counter()
        latencies = [ms for future in futures for ms in future.result()]
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    return groups / elapsed, latencies, cpu * 1000 / groups


def delivery_tries(database_url: str, after_id: int) -> tuple[int, int, Counter]:
    """Returns (deliveries, deliveries that needed more than one try, errors of the failed
    tries by exception class) among the delivery jobs after outbox id `after_id`."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
        rows = connection.execute(
            "SELECT attempts, last_error FROM outbox WHERE job = 'deliver_handoff' AND id > %s",
            (after_id,),
        ).fetchall()
    errors = Counter()
    for _, error in rows:
        if error:
            found = re.search(r"\(([\w.]+)\)", error) or re.match(r"\w+", error)
            errors[found.group(1) if found.groups() else found.group(0)] += 1
    return len(rows), sum(1 for attempts, _ in rows if attempts > 1), errors


def last_outbox_id(database_url: str) -> int:
    with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
        return connection.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.groups", description=__doc__)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--warmup", type=int, default=2, help="groups run first, not counted")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--rq-workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5098)
    args = parser.parse_args()
    if args.groups < 1 or args.clients < 1 or args.rq_workers < 1:
        parser.error("--groups, --clients and --rq-workers must be at least 1")
    base_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    queue = f"motcua-bench-{uuid.uuid4().hex[:8]}"
    schema = f"motcua_bench_groups_{uuid.uuid4().hex[:8]}"

    print(f"machine: {machine()}")
    check_services(base_url, redis_url)
    with ExitStack() as stack:
        instance = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="motcua-bench-")))
        url = stack.enter_context(bench_database(base_url, schema))
        tokens = prepare(url, instance)
        workers = stack.enter_context(rq_workers(url, redis_url, queue, instance, args.rq_workers))
        with environment(REDIS_URL=redis_url, MOTCUA_QUEUE_NAME=queue):
            address = stack.enter_context(
                gunicorn(
                    url,
                    instance,
                    workers=args.workers,
                    threads=args.threads,
                    port=args.port,
                    worker_class=args.worker_class,
                )
            )
        try:
            if args.warmup:
                run_groups(address, tokens, url, args.warmup)
            before = last_outbox_id(url)
            rate, latencies, client_ms = groups_rate(
                address, tokens, url, groups=args.groups, clients=args.clients
            )
            jobs = workers.jobs_done()
            deliveries, retried, errors = delivery_tries(url, before)
        except Exception:
            print(workers.log_tails(), file=sys.stderr)
            raise
    if jobs == 0:
        raise RuntimeError("the rq workers ran no job: the API did not hand its jobs to Redis")
    load = (
        f"{args.clients} clients, gunicorn {args.workers}x{args.threads} {args.worker_class}, "
        f"{args.rq_workers} rq workers, {args.groups} groups after {args.warmup} warm-up"
    )
    latencies.sort()
    p50, p99, worst = percentile(latencies, 0.5), percentile(latencies, 0.99), latencies[-1]
    met = "met" if p99 <= TARGET_P99_MS else "NOT met"
    print(
        f"groups: {rate:.2f} groups/s end to end (reception → 3 agencies → status 10; "
        f"{load}; load generator {client_ms:.1f} ms CPU/group; rq ran {jobs} jobs)"
    )
    print(
        f"handoff: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms over "
        f"{len(latencies)} samples (ky_so answer → receiver's first task committed, "
        f"while {args.clients - 1} other client(s) work their groups; "
        f"target p99 ≤ {TARGET_P99_MS:.0f} ms: {met})"
    )
    causes = ", ".join(f"{name} {count}" for name, count in errors.most_common()) or "none"
    print(f"deliveries: {deliveries}, {retried} needed more than one try (last errors: {causes})")
    print(
        f"groups_per_s={rate:.2f} handoff_p50_ms={p50:.1f} handoff_p99_ms={p99:.1f} "
        f"handoff_max_ms={worst:.1f} samples={len(latencies)}"
    )


if __name__ == "__main__":
    main()
