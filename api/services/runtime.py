"""Returns the app's clock, working calendar and compiled-procedure cache.

They hang on `app.extensions` so tests can swap the clock for a fixed one, and so the cache
of compiled procedures lives once per process, shared by every request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app

from engine import CompiledProcess, ProcessCache, WorkingCalendar
from engine.calendar import now as calendar_now

from .token_cache import TokenCache

EXTENSION_KEY = "motcua"


class Runtime:
    def __init__(self, clock: Callable[[], datetime] = calendar_now, token_cache_seconds: float = 0):
        self.clock = clock
        self.tokens = TokenCache(token_cache_seconds)
        self.calendar = WorkingCalendar()
        self.processes = ProcessCache()
        # procedure version id → compiled process; versions are immutable once deployed.
        self.versions: dict[int, CompiledProcess] = {}


def init_runtime(app: Flask) -> Runtime:
    runtime = Runtime(token_cache_seconds=app.config["MOTCUA_TOKEN_CACHE_SECONDS"])
    app.extensions[EXTENSION_KEY] = runtime
    return runtime


def runtime() -> Runtime:
    """Returns the runtime of the current app."""
    return current_app.extensions[EXTENSION_KEY]


def now() -> datetime:
    """Returns the current instant from the app's clock (timezone-aware)."""
    return runtime().clock()
