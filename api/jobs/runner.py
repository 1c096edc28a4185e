"""The in-process job runner of the embedded default, and the app-context wrapper."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app

from ..store import db

log = logging.getLogger("motcua.jobs")

JobFunction = Callable[..., Any]
_JOBS: dict[str, JobFunction] = {}
# A job's arguments are ids and plain values: what a JSON serializer carries unchanged.
_PLAIN = (str, int, float, bool, type(None))


def register(name: str) -> Callable[[JobFunction], JobFunction]:
    """Returns a decorator that names a job function, so a queue can carry its name."""

    def decorate(function: JobFunction) -> JobFunction:
        if name in _JOBS and _JOBS[name] is not function:
            raise ValueError(f"job {name} is registered twice")
        _JOBS[name] = function
        return function

    return decorate


def enqueue(name: str, *args: Any) -> None:
    """Runs the job named `name` with these ids now, in this process, in its own app context
    and transaction (the embedded default). A failure is logged, never raised into the
    operation that asked for the work: that operation has already committed."""
    if name not in _JOBS:
        raise KeyError(f"no job {name}")
    for arg in args:
        if not isinstance(arg, _PLAIN):
            raise TypeError(f"job {name} takes ids and plain values, not {type(arg).__name__}")
    in_app_context(current_app._get_current_object(), name)(*args)


def in_app_context(app: Flask, name: str) -> Callable[..., Any]:
    """Returns the job `name` wrapped to run in an app context of `app`, with its own session
    removed afterwards, logging one line per run (what a worker process calls)."""
    function = _JOBS[name]

    @wraps(function)
    def run(*args: Any) -> Any:
        started = time.perf_counter()
        with app.app_context():
            try:
                result = function(*args)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception(
                    "job failed",
                    extra={"job": name, "job_args": list(args), "duration_ms": _ms(started)},
                )
                return None
            finally:
                db.session.remove()
        # Not `args`: that is the LogRecord's own attribute (the message's % arguments), and
        # logging refuses to overwrite it (KeyError raised into the caller on every run).
        log.info(
            "job done", extra={"job": name, "job_args": list(args), "duration_ms": _ms(started)}
        )
        return result

    return run


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
