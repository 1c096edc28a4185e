"""rq on Redis: the queue the API hands committed jobs to, and the worker that runs them.

Redis carries work, never the only copy of it: what is pushed here is an outbox id, and the
row in the database is the job. A push that fails (Redis down) is logged and forgotten; the
relay hands the job over again once its lease has passed. The worker is rq's `SimpleWorker`
(no fork per job: the app, its compiled procedures and its database pool stay warm, which is
what keeps a handoff's latency in milliseconds), plus a relay thread.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker

from .runner import TIMER_SWEEP, RelayThread, run_job, run_timers

log = logging.getLogger("motcua.jobs")

QUEUE_NAME = "motcua"
# A Redis that does not answer must not hold an officer's request: give up quickly, the
# relay hands the work over later.
_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 2.0}
_WORKER_APP: Flask | None = None
# Dossiers whose timers one rq job fires, in one transaction and one write statement: one
# Redis round trip and one job's bookkeeping for many timers (rq's own was a twentieth of a
# worker's time at 50).
TIMER_BATCH = 100


def redis_connection(url: str) -> Redis:
    return Redis.from_url(url, **_TIMEOUTS)


class RedisQueue:
    """Hands outbox job ids to rq workers through Redis."""

    def __init__(self, url: str, name: str = QUEUE_NAME):
        self.queue = Queue(name, connection=redis_connection(url))

    def state(self) -> str:
        try:
            self.queue.connection.ping()
            return "ok"
        except RedisError:
            return "unreachable"

    def push(self, job_ids: Iterable[int]) -> None:
        job_ids = list(job_ids)
        self._enqueue(
            perform,
            [(job_id,) for job_id in job_ids],
            "queue unreachable: the relay will hand the jobs over again",
            {"job_args": job_ids},
        )

    def room_for_timers(self) -> int:
        """Returns how many dossiers' timers a sweep may claim now: the sweep's size less
        what waits in the queue already (so dossiers claimed are fired within their lease)."""
        try:
            waiting = self.queue.count
        except RedisError:
            return 0  # nowhere to hand them: the sweep claims nothing
        return max(0, TIMER_SWEEP - waiting * TIMER_BATCH)

    def push_timers(self, dossier_ids: Iterable[int]) -> None:
        ids = list(dossier_ids)
        self._enqueue(
            perform_timers,
            [(ids[i : i + TIMER_BATCH],) for i in range(0, len(ids), TIMER_BATCH)],
            "queue unreachable: the timers are swept again when their lease ends",
            {"dossiers": len(ids)},
        )

    def _enqueue(self, function, calls: list[tuple], lost: str, extra: dict) -> None:
        """Pushes one rq job per call; a Redis that cannot take them is logged, never raised
        (the database keeps the work, and the relay hands it over again)."""
        try:
            self.queue.enqueue_many(
                [
                    Queue.prepare_data(
                        function, args=args, result_ttl=0, failure_ttl=86400, timeout=300
                    )
                    for args in calls
                ]
            )
        except RedisError as exc:
            log.warning(lost, extra={**extra, "error": f"{type(exc).__name__}: {exc}"[:300]})


def perform_timers(dossier_ids: list[int]) -> int:
    """What an rq worker runs for timers: fire those of each dossier given."""
    if _WORKER_APP is None:
        raise RuntimeError("the worker's app is not set (start workers with `motcua worker`)")
    return run_timers(_WORKER_APP, dossier_ids)


def perform(job_id: int) -> str:
    """What an rq worker runs: one outbox job, in the worker's app."""
    if _WORKER_APP is None:
        raise RuntimeError("the worker's app is not set (start workers with `motcua worker`)")
    return run_job(_WORKER_APP, job_id)


def work(app: Flask, *, burst: bool = False, name: str | None = None) -> None:
    """Runs an rq worker on the app's Redis, with a relay thread, until stopped."""
    global _WORKER_APP
    _WORKER_APP = app
    url = app.config["REDIS_URL"]
    if not url:
        raise RuntimeError("REDIS_URL is not set: without Redis, jobs run in the API process")
    # No read timeout here: rq waits for work with a blocking pop, for minutes at a time.
    connection = Redis.from_url(url, socket_connect_timeout=_TIMEOUTS["socket_connect_timeout"])
    queue = Queue(app.config["MOTCUA_QUEUE_NAME"], connection=connection)
    # What the worker holds for its whole life (the app, the libraries, their modules) is moved
    # out of the garbage collector's reach: every collection of the oldest generation would
    # otherwise walk it again, for nothing (a tenth of a timer's CPU, measured).
    gc.collect()
    gc.freeze()
    relay = RelayThread(app, app.config["MOTCUA_RELAY_SECONDS"]).start()
    try:
        worker = SimpleWorker([queue], connection=connection, name=name)
        worker.work(burst=burst, logging_level="WARNING", with_scheduler=False)
    finally:
        relay.stop()
