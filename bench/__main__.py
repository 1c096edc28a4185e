"""`make bench`: engine-only rate, end-to-end API rate, their ratio, and inbox latency.

Runs against PostgreSQL (BENCH_DATABASE_URL, default the local test database, in a schema of
its own that is dropped afterwards) and gunicorn started here. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from .api_rate import api_rate
from .engine_rate import engine_rate
from .inbox import fill_tasks, inbox_latency
from .server import bench_database, gunicorn, prepare

INBOX_OFFICER = "h29.01.tham_dinh"


def machine() -> str:
    memory = "?"
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{os.cpu_count()} cores, {memory}, {python}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--engine-dossiers", type=int, default=400)
    parser.add_argument("--api-dossiers", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument(
        "--inbox-tasks", type=int, default=1_000_000, help="task rows in the table (all states)"
    )
    parser.add_argument("--inbox-requests", type=int, default=500, help="requests per inbox query")
    parser.add_argument("--port", type=int, default=5099)
    args = parser.parse_args()
    base_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

    print(f"machine: {machine()}")
    engine_tps, state_bytes = engine_rate(args.engine_dossiers)
    print(
        f"engine: {engine_tps:.0f} tasks/s (restore + complete + save; state {state_bytes} bytes)"
    )

    with (
        tempfile.TemporaryDirectory(prefix="motcua-bench-") as instance,
        bench_database(base_url) as url,
    ):
        tokens = prepare(url, Path(instance))
        with gunicorn(
            url,
            Path(instance),
            workers=args.workers,
            threads=args.threads,
            port=args.port,
            worker_class=args.worker_class,
        ) as address:
            api_tps, client_ms = api_rate(
                address, tokens, dossiers=args.api_dossiers, clients=args.clients
            )
            print(
                f"api: {api_tps:.0f} tasks/s, load generator {client_ms:.2f} ms CPU/task "
                f"(claim + complete over HTTP; gunicorn "
                f"{args.workers}x{args.threads} {args.worker_class}, "
                f"{args.clients} clients, PostgreSQL)"
            )
            started = time.perf_counter()
            counts = fill_tasks(url, args.inbox_tasks, username=INBOX_OFFICER)
            print(
                f"inbox data: {counts['rows']:,} task rows, {counts['open']:,} open or claimed "
                f"in {counts['agencies']} agencies; {counts['agency_open']:,} in the officer's "
                f"agency, {counts['visible']:,} open in its roles "
                f"(filled, vacuumed and analyzed in {time.perf_counter() - started:.0f} s)"
            )
            figures = inbox_latency(address, tokens[INBOX_OFFICER], requests=args.inbox_requests)
            for name, (q50, q99, matches) in figures.items():
                if name != "all":
                    print(
                        f"inbox {name}: p50 {q50:.2f} ms, p99 {q99:.2f} ms over "
                        f"{args.inbox_requests} requests ({matches:,} tasks match)"
                    )
            p50, p99, _ = figures["all"]
    print(
        f"engine_tps={engine_tps:.0f} api_tps={api_tps:.0f} ratio={api_tps / engine_tps:.2f} "
        f"inbox_p50_ms={p50:.2f} inbox_p99_ms={p99:.2f}"
    )


if __name__ == "__main__":
    main()
