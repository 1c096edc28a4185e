"""The app's clock, working calendar and compiled-procedure cache, and the operation context
every service reads once at its top.

They hang on `app.extensions` so tests can swap the clock for a fixed one, and so the cache of
compiled procedures lives once per process, shared by every request and job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app

from engine import CompiledProcess, ProcessCache, WorkingCalendar
from engine.calendar import now as calendar_now

from .token_cache import TokenCache

EXTENSION_KEY = "motcua"


class Runtime:
    """What a process keeps between operations: the clock, the calendar and caches."""

    def __init__(
        self, clock: Callable[[], datetime] = calendar_now, token_cache_seconds: float = 0
    ):
        self.clock = clock
        self.tokens = TokenCache(token_cache_seconds)
        self.calendar = WorkingCalendar()
        self.processes = ProcessCache()
        # procedure version id → compiled process; versions are immutable once deployed.
        self.versions: dict[int, CompiledProcess] = {}


@dataclass(frozen=True)
class Operation:
    """One operation's instant and calendar: read once, then passed down, so every row and
    due date an operation writes agrees on when it happened and which calendar counted."""

    at: datetime
    calendar: WorkingCalendar


def init_runtime(app: Flask) -> Runtime:
    runtime = Runtime(token_cache_seconds=app.config["MOTCUA_TOKEN_CACHE_SECONDS"])
    app.extensions[EXTENSION_KEY] = runtime
    return runtime


def runtime() -> Runtime:
    """Returns the runtime of the current app."""
    return current_app.extensions[EXTENSION_KEY]


def operation() -> Operation:
    """Returns the clock's instant and the calendar, for one operation (call it once, after
    the operation holds its locks: its events then never precede what they waited for)."""
    current = runtime()
    return Operation(at=current.clock(), calendar=current.calendar)
