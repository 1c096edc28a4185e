"""Returns the app's clock, working calendar and compiled-procedure cache.

They hang on `app.extensions` so tests can swap the clock for a fixed one, and so the cache
of compiled procedures lives once per process, shared by every request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app

from engine import ProcessCache, WorkingCalendar
from engine.calendar import now as calendar_now

EXTENSION_KEY = "motcua"


class Runtime:
    def __init__(self, clock: Callable[[], datetime] = calendar_now):
        self.clock = clock
        self.calendar = WorkingCalendar()
        self.processes = ProcessCache()


def init_runtime(app: Flask) -> Runtime:
    runtime = Runtime()
    app.extensions[EXTENSION_KEY] = runtime
    return runtime


def runtime() -> Runtime:
    """Returns the runtime of the current app."""
    return current_app.extensions[EXTENSION_KEY]


def now() -> datetime:
    """Returns the current instant from the app's clock (timezone-aware)."""
    return runtime().clock()
