"""Background work: jobs recorded in the outbox in the transaction that needs them, handed to
a queue after the commit (rq on Redis when REDIS_URL is set, this process otherwise), run
once each with retries and backoff, and relayed again when a queue lost them.
"""

from flask import Flask

from ..services import runtime
from . import handlers  # noqa: F401  (registers the platform's jobs)
from .runner import (
    InProcessQueue,
    RelayThread,
    enqueue,
    in_app_context,
    register,
    relay_due,
    run_job,
)

__all__ = [
    "InProcessQueue",
    "RelayThread",
    "enqueue",
    "in_app_context",
    "init_jobs",
    "register",
    "relay_due",
    "run_job",
]


def init_jobs(app: Flask) -> None:
    """Sets the queue committed jobs go to: rq on Redis when REDIS_URL is set, else this
    process (the embedded default)."""
    with app.app_context():
        if app.config.get("REDIS_URL"):
            from .worker import RedisQueue

            runtime().queue = RedisQueue(app.config["REDIS_URL"], app.config["MOTCUA_QUEUE_NAME"])
        else:
            runtime().queue = InProcessQueue(app)
