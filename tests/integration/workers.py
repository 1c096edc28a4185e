"""The production stack for integration tests: `motcua worker` processes on PostgreSQL and a
real Redis, and waiting for what they do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from redis import Redis

MOTCUA = Path(sys.executable).with_name("motcua")
LEASE_SECONDS = 2


def redis_reachable(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


class Workers:
    """`motcua worker` processes on one database and one queue, stopped at the end."""

    def __init__(self, database_url: str, instance_dir: Path):
        self.database_url, self.instance_dir = database_url, instance_dir
        self.processes: list[subprocess.Popen] = []

    def start(
        self, redis_url: str, queue: str, *, failpoints: str = "", **settings: str
    ) -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": redis_url,
            "MOTCUA_QUEUE_NAME": queue,
            "MOTCUA_INSTANCE_DIR": str(self.instance_dir),
            "MOTCUA_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "MOTCUA_JOB_BACKOFF_SECONDS": "0.2",
            "MOTCUA_RELAY_SECONDS": "0.2",
            "MOTCUA_FAILPOINTS": failpoints,
            **settings,
        }
        name = f"test-{uuid.uuid4().hex[:8]}"
        with open(self.instance_dir / f"{name}.log", "wb") as log:  # the child keeps its copy
            process = subprocess.Popen(
                [str(MOTCUA), "worker", "--name", name], env=env, stdout=log, stderr=log
            )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in sorted(self.instance_dir.glob("test-*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")  # on failure


def wait_for(condition: Callable[[], object], seconds: float = 30, what: str = "") -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")
