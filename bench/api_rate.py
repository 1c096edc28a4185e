"""Returns the end-to-end API rate: claim + complete over HTTP against gunicorn on PostgreSQL."""

from __future__ import annotations

import multiprocessing
import time

from .client import ApiClient
from .scenario import STEP_ANSWERS, SUBMISSION


def submit_dossiers(address, tokens: dict[str, str], count: int) -> list[str]:
    """Returns the first task id of each of `count` new dossiers (not timed)."""
    client = ApiClient(*address, tokens["h29.01.tiep_nhan"])
    first_tasks = []
    for _ in range(count):
        status, body = client.call("POST", "/api/dossiers", SUBMISSION)
        if status != 201:
            raise RuntimeError(f"submission failed: {status} {body}")
        first_tasks.append(body["tasks"][0]["id"])
    return first_tasks


def _work(args) -> tuple[int, float]:
    address, tokens, first_tasks = args
    cpu_started = time.process_time()
    client = ApiClient(*address)
    by_role = {role: tokens[f"h29.01.{role}"] for role, _ in STEP_ANSWERS}
    completed = 0
    for task_id in first_tasks:
        for role, answers in STEP_ANSWERS:
            token = by_role[role]
            status, body = client.call("POST", f"/api/tasks/{task_id}/claim", token=token)
            if status != 200:
                raise RuntimeError(f"claim failed: {status} {body}")
            status, body = client.call(
                "POST", f"/api/tasks/{task_id}/complete", {"data": answers}, token=token
            )
            if status != 200:
                raise RuntimeError(f"complete failed: {status} {body}")
            completed += 1
            task_id = body["next_tasks"][0]["id"] if body["next_tasks"] else None
    return completed, time.process_time() - cpu_started


def api_rate(
    address, tokens: dict[str, str], *, dossiers: int, clients: int
) -> tuple[float, float]:
    """Returns (tasks completed per second with `clients` officers working at once, client CPU
    milliseconds per task: the load generator shares the machine with the server)."""
    first_tasks = submit_dossiers(address, tokens, dossiers)
    shares = [first_tasks[i::clients] for i in range(clients)]
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        started = time.perf_counter()
        results = pool.map(_work, [(address, tokens, share) for share in shares])
        elapsed = time.perf_counter() - started
    completed = sum(count for count, _ in results)
    client_cpu = sum(cpu for _, cpu in results)
    return completed / elapsed, client_cpu * 1000 / completed
