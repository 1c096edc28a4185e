"""`python -m bench.evaluator`: the restricted evaluator's rate on the shipped conditions, and the
worst time and memory of one evaluation over a hostile set.

The rate evaluates every condition expression of the birth group diagram against realistic
task data, with the default budget the engine uses. Each hostile case runs in a child process
(limited to TIMEOUT seconds and MEMORY_LIMIT bytes of address space, so a runaway case cannot take
the machine with it); the child reports its wall time and tracemalloc peak. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from lxml import etree

BPMN = Path(__file__).resolve().parent.parent / "bpmn" / "groups" / "lien_thong_khai_sinh.bpmn"
TIMEOUT = 20.0  # seconds of one hostile case before it counts as runaway
MEMORY_LIMIT = 4 * 1024**3  # bytes of address space for one hostile case
BIG = 10_000_000  # characters or elements of the hostile data

TASK_DATA = {
    "decision": "accept",
    "approved": True,
    "declaration": {"child_name": "Nguyễn Văn An", "birth_date": "2025-01-02"},
    "note": "Hồ sơ đầy đủ",
    "group": {
        "code": "H29.01-260302-0001",
        "procedures": ["khai_sinh", "thuong_tru", "bhyt_tre_em"],
    },
}

# (label, mode, source, data builder name, max_steps or None for the default)
HOSTILE: list[tuple[str, str, str, str, int | None]] = [
    ("extend(zip(x, x))", "exec", "x = [1]\nx.extend(zip(x, x))", "none", None),
    ("+= enumerate(x)", "exec", "x = [1]\nx += enumerate(x)", "none", None),
    ("+= generator over x", "exec", "x = [1]\nx += (y for y in x)", "none", None),
    (
        "extend(comprehension over x) x40",
        "exec",
        "x = [1]\nfor i in range(40):\n    x.extend([y for y in x])",
        "none",
        10**7,
    ),
    (
        "extend(zip(x, x)) x40, big budget",
        "exec",
        "x = [1]\nfor i in range(40):\n    x.extend(zip(x, x))",
        "none",
        10**7,
    ),
    ("s.strip()", "eval", "s.strip()", "string", None),
    ("s.split()", "eval", "s.split()", "spaced", 10**7),
    ("s.replace('a', 'b')", "eval", "s.replace('a', 'b')", "spaced", 10**7),
    ("s.upper()", "eval", "s.upper()", "string", 10**7),
    ("s.find('y')", "eval", "s.find('y')", "string", 10**7),
    ("'-'.join(s)", "eval", "'-'.join(s)", "string", 10**7),
    ("sorted(zip(l), key=str)", "eval", "len(sorted(zip(l), key=str))", "list", None),
    ("sorted(l, key=str)", "eval", "len(sorted(l, key=str))", "list", 10**7),
    (
        "shared nested list, str key",
        "exec",
        "a = [0]\nfor i in range(24):\n    a = [a, a]\nb = min(enumerate([a, a]), key=str)",
        "none",
        None,
    ),
]


def conditions() -> list[str]:
    """Returns every condition expression of the shipped diagram."""
    tree = etree.parse(str(BPMN))
    return [
        element.text.strip()
        for element in tree.iter("{*}conditionExpression")
        if element.text and element.text.strip()
    ]


def rate(seconds: float = 2.0) -> tuple[float, int]:
    """Returns (evaluations per second, number of conditions) over the shipped conditions."""
    from engine.evaluator import evaluate

    expressions = conditions()
    data = [dict(TASK_DATA, decision=d) for d in ("accept", "supplement", "refuse")]
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for names in data:
            for expression in expressions:
                evaluate(expression, names)
            done += len(expressions)
    return done / elapsed, len(expressions)


def data(kind: str) -> dict[str, object]:
    if kind == "string":
        return {"s": "x" * BIG}
    if kind == "spaced":
        return {"s": "a " * (BIG // 2)}
    if kind == "list":
        return {"l": list(range(BIG // 10))}
    return {}


def run_case(index: int) -> None:
    """Runs one hostile case in this process and prints {"seconds", "peak", "outcome"}."""
    from engine.evaluator import EvaluationError, evaluate, execute

    _, mode, source, kind, max_steps = HOSTILE[index]
    names = data(kind)
    options = {} if max_steps is None else {"max_steps": max_steps}
    tracemalloc.start()
    started = time.perf_counter()
    try:
        if mode == "eval":
            evaluate(source, names, **options)
        else:
            execute(source, names, **options)
        outcome = "ran"
    except EvaluationError as exc:
        outcome = f"{type(exc).__name__}: {exc}"[:90]
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"seconds": seconds, "peak": peak, "outcome": outcome}))


def hostile() -> tuple[float, int]:
    """Returns (worst seconds, worst peak bytes) of one hostile evaluation, printing each case."""
    worst_seconds, worst_peak = 0.0, 0
    for index, (label, *_) in enumerate(HOSTILE):
        code = (
            "import resource, sys; "
            f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT})); "
            f"from bench.evaluator import run_case; run_case({index})"
        )
        started = time.perf_counter()
        try:
            child = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT
            )
            lines = child.stdout.strip().splitlines()
            if child.returncode == 0 and lines:
                report = json.loads(lines[-1])
            else:
                tail = (child.stderr.strip().splitlines() or ["?"])[-1]
                report = {
                    "seconds": time.perf_counter() - started,
                    "peak": MEMORY_LIMIT,
                    "outcome": f"crashed: {tail}"[:90],
                }
        except subprocess.TimeoutExpired:
            report = {"seconds": TIMEOUT, "peak": MEMORY_LIMIT, "outcome": "runaway (timeout)"}
        worst_seconds = max(worst_seconds, report["seconds"])
        worst_peak = max(worst_peak, report["peak"])
        print(
            f"  {label:36} {report['seconds'] * 1000:9.1f} ms {report['peak'] / 2**20:9.1f} MiB"
            f"  {report['outcome']}"
        )
    return worst_seconds, worst_peak


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.evaluator", description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="time spent on the rate")
    args = parser.parse_args()
    per_second, count = rate(args.seconds)
    print(f"conditions: {per_second:,.0f} evaluations/s over the {count} shipped conditions")
    print("hostile cases:")
    worst_seconds, worst_peak = hostile()
    print(
        f"hostile: worst {worst_seconds * 1000:.1f} ms, worst peak {worst_peak / 2**20:.1f} MiB "
        f"of one evaluation over {len(HOSTILE)} cases"
    )


if __name__ == "__main__":
    main()
