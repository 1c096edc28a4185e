"""Returns the engine-only rate: tasks completed per second when every step deserializes,
completes and serializes a workflow in memory (the ceiling the API can approach)."""

from __future__ import annotations

import time

from engine import ProcessInstance, compile_process
from processes import CATALOGUE, read_sources

from .scenario import DECLARATION, STEP_ANSWERS


def engine_rate(dossiers: int = 400) -> tuple[float, int]:
    """Returns (tasks per second, bytes of the final saved state).

    Starting the instances is left out of the time, as the API rate leaves out submissions."""
    sources = read_sources(CATALOGUE["1.001193"])
    process = compile_process(sources.bpmn, "khai_sinh", sources.forms)
    states = [
        ProcessInstance.start(process, {"declaration": DECLARATION, "group": None}).state()
        for _ in range(dossiers)
    ]
    completed = 0
    started = time.perf_counter()
    for state in states:
        for _, answers in STEP_ANSWERS:
            instance = ProcessInstance.restore(process, state)
            instance.complete(instance.ready_steps()[0].task_id, answers)
            state = instance.state()
            completed += 1
    return completed / (time.perf_counter() - started), len(state)
