"""Returns a bench database and a gunicorn server on it, as production would run them."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from config import normalize_database_url

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def bench_database(base_url: str, schema: str = "motcua_bench"):
    """Yields a database URL whose search_path is a fresh schema, dropped afterwards."""
    url = normalize_database_url(base_url)
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def prepare(database_url: str, instance_dir: Path) -> dict[str, str]:
    """Migrates and seeds the bench database; returns username → token of the demo officers."""
    env = {**os.environ, "DATABASE_URL": database_url, "MOTCUA_INSTANCE_DIR": str(instance_dir)}
    motcua = [sys.executable, "-c", "from api.cli import main; main()"]
    subprocess.run([*motcua, "db", "upgrade"], env=env, check=True, cwd=ROOT, capture_output=True)
    out = subprocess.run(
        [*motcua, "demo", "seed", "--json"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    return {row["username"]: row["token"] for row in json.loads(out)["officers"]}


@contextmanager
def gunicorn(
    database_url: str,
    instance_dir: Path,
    *,
    workers: int,
    threads: int,
    port: int,
    worker_class: str = "gthread",
):
    """Yields the base address of a gunicorn server running the app, stopped afterwards."""
    env = {**os.environ, "DATABASE_URL": database_url, "MOTCUA_INSTANCE_DIR": str(instance_dir)}
    log = tempfile.NamedTemporaryFile(prefix="motcua-gunicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            worker_class,
            "--keep-alive",
            "30",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "api:create_app()",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/api/openapi.json")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {log.name}")
            time.sleep(0.2)
        yield ("127.0.0.1", port)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
