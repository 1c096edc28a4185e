"""Fixtures of the production stack: the test's Redis and workers on a queue of its own, the
app reading the real clock as the workers do."""

from __future__ import annotations

import uuid

import pytest

from api.jobs.worker import RedisQueue
from api.services import runtime
from engine.calendar import now as calendar_now
from tests.integration.workers import Workers


@pytest.fixture(scope="module")
def redis_url(pytestconfig) -> str:
    return pytestconfig.redis_url  # reachable: the `redis` mark skips (or CI fails) otherwise


@pytest.fixture
def stack(app, redis_url, postgres_schema_url, tmp_path):
    """Returns (workers, queue name): the app hands its jobs to rq on Redis, on a queue of
    this test's own, and reads the real clock as the workers do."""
    queue = f"motcua-test-{uuid.uuid4().hex[:8]}"
    with app.app_context():
        runtime().clock = calendar_now
        runtime().queue = RedisQueue(redis_url, queue)
    workers = Workers(postgres_schema_url, tmp_path)
    yield workers, queue
    workers.stop()
