"""Attempts counted per key in the database (`rate_limits`), so every API process counts
alike: failed sign-ins and failed citizen lookups per client address.

A key may fail `limit` times within `window`; the failure that reaches the limit blocks it
for `block`, and every further failure before the record is forgotten doubles the wait (at
most `max_block`). The record is forgotten once its window and its last block are both a
window old. Successes do not reset a key: a caller who knows one right answer must not be
able to wipe its failures with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..store import RateLimit, db
from .errors import Throttled

MAX_KEY = 128


@dataclass(frozen=True)
class Limit:
    """`limit` failures within `window`, then a wait of `block`, doubling per further one."""

    name: str
    limit: int
    window: timedelta
    block: timedelta
    max_block: timedelta = timedelta(hours=24)

    def key(self, subject: str) -> str:
        return f"{self.name}:{subject}"[:MAX_KEY]


def retry_after(until: datetime, at: datetime) -> int:
    """Returns the whole seconds from `at` to `until` (at least 1)."""
    return max(1, math.ceil((until - at).total_seconds()))


def minutes(seconds: int) -> int:
    """Returns whole minutes, rounded up (what a person is told to wait)."""
    return max(1, -(-seconds // 60))


def check(limit: Limit, subject: str, at: datetime, message: str) -> None:
    """Raises Throttled while the subject must wait (reads only); `message` may say
    `{minutes}`."""
    row = db.session.get(RateLimit, limit.key(subject), populate_existing=True)
    if row is not None and row.blocked_until is not None and row.blocked_until > at:
        wait = retry_after(row.blocked_until, at)
        raise Throttled(message.format(minutes=minutes(wait)), wait)


def record_failure(limit: Limit, subject: str, at: datetime) -> datetime | None:
    """Counts one failure of the subject (in the caller's transaction, its row locked);
    returns until when it must now wait, or None."""
    key = limit.key(subject)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(RateLimit)
        .values(key=key, window_started_at=at, attempts=0, blocked_until=None)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    row = db.session.scalars(
        select(RateLimit)
        .where(RateLimit.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    last_block = row.blocked_until or row.window_started_at
    if at - row.window_started_at >= limit.window and at - last_block >= limit.window:
        row.window_started_at, row.attempts, row.blocked_until = at, 0, None
    row.attempts += 1
    if row.attempts >= limit.limit:
        wait = min(limit.block * 2 ** min(row.attempts - limit.limit, 32), limit.max_block)
        row.blocked_until = at + wait
    db.session.flush()
    return row.blocked_until if row.blocked_until and row.blocked_until > at else None
