"""Handoffs on the production stack: PostgreSQL, a real Redis and rq workers started as
separate processes (`motcua worker`). After the commune signs, police and social insurance
both get their task; a delivery run twice, or a worker killed (SIGKILL) at either side of its
commit, leaves exactly one receiving dossier; with Redis down the commune's step still
succeeds and the handoffs are delivered once Redis is back."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import func, select

from api.jobs import run_job
from api.jobs.worker import RedisQueue
from api.services import runtime
from api.store import Dossier, Handoff, OutboxJob, db
from tests.conftest import birth_declaration
from tests.groups import birth_group_submission, work_dossier
from tests.integration.workers import redis_reachable, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.parametrize("backend", ["postgresql"]),
    pytest.mark.usefixtures("group_officers"),
]


def commune_signs(as_officer) -> str:
    """Returns the group code after the commune worked its dossier (signing hands over)."""
    group = as_officer("h29.01.tiep_nhan").post(
        "/api/dossiers", json=birth_group_submission(birth_declaration())
    )
    assert group.status_code == 201, group.json
    code = group.json["code"]
    [commune] = [p["dossier_code"] for p in group.json["parts"] if p["dossier_code"]]
    work_dossier(as_officer, "H29.01", commune)
    return code


def inbox_steps(as_officer, username: str) -> list[str]:
    return [t["step"] for t in as_officer(username).get("/api/tasks").json["items"]]


def both_tasks_appear(as_officer) -> None:
    wait_for(
        lambda: (
            inbox_steps(as_officer, "ca29.01.tham_dinh") == ["thuong_tru_tham_dinh"]
            and inbox_steps(as_officer, "bh29.tham_dinh") == ["bhyt_tre_em_tham_dinh"]
        ),
        what="the police and insurance tasks",
    )


def receivers(app) -> dict[str, int]:
    """Returns how many dossiers each procedure has (the receiving instances)."""
    with app.app_context():
        rows = db.session.execute(
            select(Dossier.procedure_code, func.count()).group_by(Dossier.procedure_code)
        )
        return dict(rows.all())


def delivery_jobs(app) -> list[OutboxJob]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(OutboxJob).where(OutboxJob.job == "deliver_handoff").order_by(OutboxJob.id)
            )
        )
        db.session.expunge_all()
        return rows


def handoff_states(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Handoff.state)))


def test_two_workers_deliver_both_handoffs_and_a_repeated_delivery_starts_nothing(
    app, as_officer, stack, redis_url
):
    workers, queue = stack
    workers.start(redis_url, queue)
    workers.start(redis_url, queue)
    commune_signs(as_officer)
    both_tasks_appear(as_officer)
    assert receivers(app) == {"1.001193": 1, "1.004194": 1, "1.011605": 1}
    jobs = delivery_jobs(app)
    assert [job.state for job in jobs] == ["done", "done"]

    # The same delivery jobs again: through Redis to the workers, and by hand here.
    RedisQueue(redis_url, queue).push([job.id for job in jobs])
    wait_for(lambda: Redis.from_url(redis_url).llen(f"rq:queue:{queue}") == 0, what="queue")
    time.sleep(0.5)  # let the workers finish what they took
    assert [run_job(app, job.id) for job in jobs] == ["skipped", "skipped"]
    assert receivers(app) == {"1.001193": 1, "1.004194": 1, "1.011605": 1}
    assert handoff_states(app) == ["delivered", "delivered"]


@pytest.mark.parametrize("failpoint", ["job.after_commit", "job.before_commit"])
def test_a_worker_killed_around_its_commit_leaves_exactly_one_receiver(
    app, as_officer, stack, redis_url, failpoint
):
    workers, queue = stack
    doomed = workers.start(redis_url, queue, failpoints=failpoint)
    commune_signs(as_officer)
    doomed.wait(timeout=30)
    assert doomed.returncode == -signal.SIGKILL
    first = [job for job in delivery_jobs(app) if job.attempts or job.state == "done"]
    if failpoint == "job.after_commit":
        # Killed after delivering, before rq heard it finished: the delivery stands.
        assert len(first) == 1 and first[0].state == "done"
        assert sum(receivers(app).values()) == 2
    else:
        # Killed inside the delivery's transaction: nothing of it was kept.
        assert first == [] and receivers(app) == {"1.001193": 1}
    # A healthy worker takes what is left in the queue; the relay hands over, after its
    # lease, what the dead worker held; rq redelivering the first job changes nothing.
    workers.start(redis_url, queue)
    both_tasks_appear(as_officer)
    RedisQueue(redis_url, queue).push([job.id for job in delivery_jobs(app)])
    wait_for(lambda: Redis.from_url(redis_url).llen(f"rq:queue:{queue}") == 0, what="queue")
    time.sleep(0.5)
    assert receivers(app) == {"1.001193": 1, "1.004194": 1, "1.011605": 1}
    assert handoff_states(app) == ["delivered", "delivered"]
    assert [job.state for job in delivery_jobs(app)] == ["done", "done"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own, which the test stops and starts again."""

    def __init__(self, tmp_path: Path):
        self.port, self.dir = _free_port(), tmp_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: redis_reachable(self.url), 10, "redis-server")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def test_with_redis_down_the_step_succeeds_and_the_handoffs_arrive_after_it_returns(
    app, as_officer, stack, tmp_path, redis_url
):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is needed to stop and restart a Redis of the test's own")
    workers, queue = stack
    own = OwnRedis(tmp_path)
    own.start()
    try:
        with app.app_context():
            runtime().queue = RedisQueue(own.url, queue)
        workers.start(own.url, queue)
        health = app.test_client().get("/api/health")
        assert (health.status_code, health.json["queue"]) == (200, "ok")
        own.stop()  # Redis goes away before the commune signs
        health = app.test_client().get("/api/health")  # reported; the API still serves
        assert (health.status_code, health.json["queue"]) == (200, "unreachable")
        commune_signs(as_officer)  # every step answered 200 (work_dossier checks)
        assert receivers(app) == {"1.001193": 1}
        assert handoff_states(app) == ["pending", "pending"]
        assert [job.state for job in delivery_jobs(app)] == ["pending", "pending"]
        own.start()  # Redis is back, empty: the jobs it never got are in the outbox
        # The first worker may have exited on the lost connection, or sit in rq's backoff
        # before it reconnects (up to a minute): a fresh one is what an operator's
        # supervisor would give; the relay hands it the jobs Redis never had.
        workers.start(own.url, queue)
        both_tasks_appear(as_officer)
        assert receivers(app) == {"1.001193": 1, "1.004194": 1, "1.011605": 1}
    finally:
        workers.stop()
        own.stop()


def test_two_workers_delivering_one_groups_handoffs_at_once_never_retry(
    app, as_officer, stack, redis_url
):
    # Both handoffs of a group are delivered at the same moment by the two workers, and both
    # write the group's row: they must queue on it, not deadlock and retry (a deadlock costs
    # a second of PostgreSQL's detection, then a backoff: seconds of latency).
    workers, queue = stack
    workers.start(redis_url, queue)
    workers.start(redis_url, queue)
    groups = 6
    for _ in range(groups):
        commune_signs(as_officer)
    wait_for(
        lambda: [job.state for job in delivery_jobs(app)] == ["done"] * (2 * groups),
        what="every delivery",
    )
    assert [job.attempts for job in delivery_jobs(app)] == [1] * (2 * groups)
    assert receivers(app) == {"1.001193": groups, "1.004194": groups, "1.011605": groups}
