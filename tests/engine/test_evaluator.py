"""Tests of the restricted evaluator for gateway conditions and script tasks."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from engine import evaluator
from engine.evaluator import (
    SAFE_FUNCTIONS,
    EvaluationError,
    StepBudgetExceeded,
    UnsafeCodeError,
    check,
    evaluate,
    execute,
)


class Tripwire(Mapping[str, Any]):
    """A names mapping that fails the test if the evaluator ever looks a name up."""

    def __getitem__(self, key: str) -> Any:
        raise AssertionError(f"refused code was run: it looked up {key!r}")

    def __contains__(self, key: object) -> bool:
        raise AssertionError(f"refused code was run: it looked up {key!r}")

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("refused code was run")

    def __len__(self) -> int:
        return 0


class Box(dict):
    """A host object whose own methods must never be reachable from user code."""

    def get(self, *args: Any) -> Any:
        raise AssertionError("subclass method was called instead of dict.get")


DANGEROUS_EXPRESSIONS = [
    "__import__('os')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd')",
    "getattr(x, '__dict__')",
    "eval('1')",
    "lambda: 1",
]
DANGEROUS_STATEMENTS = ["import os", "while True: pass"]
DANGEROUS = [(source, mode) for source in DANGEROUS_EXPRESSIONS for mode in ("eval", "exec")] + [
    (source, "exec") for source in DANGEROUS_STATEMENTS
]


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    evaluator._TREES.clear()
    yield


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "mode"), DANGEROUS)
def test_dangerous_source_is_refused_by_check(source: str, mode: str) -> None:
    with pytest.raises(UnsafeCodeError) as caught:
        check(source, mode=mode)
    assert caught.value.findings
    assert str(caught.value).startswith("line 1, col ")


@pytest.mark.parametrize(("source", "mode"), DANGEROUS)
def test_dangerous_source_is_refused_by_evaluate_and_execute_without_running(
    source: str, mode: str
) -> None:
    with pytest.raises(UnsafeCodeError):
        if mode == "eval":
            evaluate(source, Tripwire())
        else:
            execute(source, Tripwire())  # type: ignore[arg-type]


def test_while_loop_is_a_syntax_finding_in_eval_mode() -> None:
    with pytest.raises(UnsafeCodeError, match="does not parse as Python"):
        check("while True: pass", mode="eval")


def test_check_names_the_construct_and_its_position() -> None:
    with pytest.raises(UnsafeCodeError) as caught:
        check("x = 1\nimport os", mode="exec")
    assert caught.value.findings == ["line 2, col 0: imports are not allowed"]
    assert str(caught.value) == "line 2, col 0: imports are not allowed"


def test_check_reports_every_finding_not_just_the_first() -> None:
    source = (
        "import os\n"
        "x = open('/etc/passwd')\n"
        "y = ().__class__\n"
        "while True:\n"
        "    pass\n"
        "f = lambda: 1\n"
    )
    with pytest.raises(UnsafeCodeError) as caught:
        check(source, mode="exec")
    findings = caught.value.findings
    assert len(findings) == 5
    assert [finding.split(",")[0] for finding in findings] == [
        "line 1",
        "line 2",
        "line 3",
        "line 4",
        "line 6",
    ]
    assert "imports are not allowed" in findings[0]
    assert "'open'" in findings[1]
    assert "'__class__'" in findings[2]
    assert "while" in findings[3]
    assert "lambda" in findings[4]
    assert all(finding in str(caught.value) for finding in findings)


def test_syntax_errors_are_findings_with_a_position() -> None:
    with pytest.raises(UnsafeCodeError) as caught:
        check("decision ==", mode="eval")
    assert caught.value.findings[0].startswith("line 1, col ")
    assert "does not parse as Python" in caught.value.findings[0]


@pytest.mark.parametrize(
    "source",
    [
        "x.__class__",
        "x._private",
        "_hidden + 1",
        "__builtins__",
        "x.format(1)",
        "x.lower",
        "isinstance(x, int)",
        "type(x)",
        "getattr(x, 'y')",
        "len(*x)",
        "dict(**x)",
        "{**x}",
        "[*x]",
        "(y := 1)",
        "x(1)",
        "x[0](1)",
        "b'bytes'",
        "1j",
        "f'{x:>99999999}'",
        "f'{x:{width}}'",
        "x @ y",
        "[1 async for y in x]",
        "x.mro()",
    ],
)
def test_refused_expressions(source: str) -> None:
    with pytest.raises(UnsafeCodeError):
        check(source, mode="eval")


@pytest.mark.parametrize(
    "source",
    [
        "def f(): pass",
        "class A: pass",
        "global x",
        "with x: pass",
        "try:\n    pass\nexcept Exception:\n    pass",
        "raise ValueError()",
        "del x",
        "assert x",
        "x.year = 1",
        "x: int",
        "break",
        "for x in y:\n    pass\nelse:\n    continue",
        "from os import path",
        "_x = 1",
        "a, *b = c",
        "return 1",
    ],
)
def test_refused_statements(source: str) -> None:
    with pytest.raises(UnsafeCodeError):
        check(source, mode="exec")


def test_safe_functions_are_the_documented_whitelist() -> None:
    assert set(SAFE_FUNCTIONS) == {
        "len",
        "min",
        "max",
        "sum",
        "abs",
        "round",
        "str",
        "int",
        "float",
        "bool",
        "list",
        "dict",
        "set",
        "tuple",
        "sorted",
        "any",
        "all",
        "range",
        "enumerate",
        "zip",
        "date",
        "datetime",
        "timedelta",
        "Decimal",
    }
    with pytest.raises(TypeError):
        SAFE_FUNCTIONS["open"] = open  # type: ignore[index]


def test_check_accepts_a_typical_script() -> None:
    check(
        "total = 0\n"
        "for i, item in enumerate(items):\n"
        "    if item['amount'] > 10:\n"
        "        total += item['amount']\n"
        "    elif not item:\n"
        "        continue\n"
        "    else:\n"
        "        break\n"
        "label: str = f'{total:,} VND on {today:%d/%m/%Y}'\n",
        mode="exec",
    )


# --- gateway conditions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "names", "expected"),
    [
        ('decision == "accept"', {"decision": "accept"}, True),
        ('decision == "accept"', {"decision": "refuse"}, False),
        ('decision in ("refuse", "reject")', {"decision": "reject"}, True),
        ('decision not in ("refuse", "reject")', {"decision": "accept"}, True),
        (
            "len(missing_documents) > 0 and not urgent",
            {"missing_documents": ["id"], "urgent": False},
            True,
        ),
        (
            "len(missing_documents) > 0 and not urgent",
            {"missing_documents": [], "urgent": False},
            False,
        ),
        ('applicant.get("age", 0) >= 18', {"applicant": {"age": 30}}, True),
        ('applicant.get("age", 0) >= 18', {"applicant": {}}, False),
        ('amount * 2 > Decimal("10.5")', {"amount": 6}, True),
        ('amount * 2 > Decimal("10.5")', {"amount": Decimal("5.2")}, False),
        ("0 < score <= 10", {"score": 10}, True),
        ("reviewer is None or reviewer == 'me'", {"reviewer": None}, True),
        ("'x' if flag else 'y'", {"flag": 0}, "y"),
        ("name.strip().lower().startswith('ng')", {"name": "  NGUYEN "}, True),
        (
            "deadline - submitted > timedelta(days=15)",
            {"deadline": date(2025, 3, 1), "submitted": date(2025, 2, 1)},
            True,
        ),
        (
            "submitted.year == 2025 and submitted.weekday() < 5",
            {"submitted": date(2025, 2, 3)},
            True,
        ),
        ("datetime(2025, 1, 2, 8, 30).hour", {}, 8),
        ("sorted(codes)[-1]", {"codes": {"b", "a"}}, "b"),
        ("sum(amounts[1:]) // 2 % 7", {"amounts": [100, 3, 5]}, 4),
        ("{k: v * 2 for k, v in fees.items() if v}", {"fees": {"a": 1, "b": 0}}, {"a": 2}),
        ("[x ** 2 for x in range(4) if x % 2]", {}, [1, 9]),
        ("{x % 3 for x in range(10)}", {}, {0, 1, 2}),
        ("max(x for row in grid for x in row)", {"grid": [[1, 5], [3]]}, 5),
        (
            "f'{name!r}: {amount:,.2f} VND'",
            {"name": "A", "amount": 12345.678},
            "'A': 12,345.68 VND",
        ),
        (
            "Decimal('1.005').quantize(Decimal('0.01'), rounding='ROUND_HALF_UP')",
            {},
            Decimal("1.01"),
        ),
        ("', '.join(sorted(tags)).title()", {"tags": ["b", "a"]}, "A, B"),
        ("round(2.675, 2) + abs(-1) + int('12') + float('0.5')", {}, round(2.675, 2) + 13.5),
        ("any(x > 2 for x in xs) and all(xs)", {"xs": [1, 3]}, True),
        ("list(zip(a, b))", {"a": [1, 2], "b": "xy"}, [(1, "x"), (2, "y")]),
        ("dict(a=1).get('a') + len(set([1, 1]))", {}, 2),
    ],
)
def test_typical_gateway_conditions(expression: str, names: dict[str, Any], expected: Any) -> None:
    assert evaluate(expression, names) == expected


def test_condition_is_evaluated_against_a_chain_of_mappings() -> None:
    from collections import ChainMap

    assert evaluate("a + b", ChainMap({"a": 1}, {"b": 2})) == 3


def test_whitespace_around_an_expression_is_ignored() -> None:
    assert evaluate('\n    decision == "accept"\n  ', {"decision": "accept"}) is True


def test_methods_of_subclasses_are_not_used() -> None:
    assert evaluate("box.get('a')", {"box": Box(a=1)}) == 1


def test_methods_and_attributes_are_refused_on_other_types() -> None:
    with pytest.raises(EvaluationError, match="'get'.*int"):
        evaluate("x.get('a')", {"x": 5})
    with pytest.raises(EvaluationError, match="'year'.*object"):
        evaluate("x.year", {"x": object()})
    with pytest.raises(EvaluationError, match="'hour'.*date"):
        evaluate("d.hour", {"d": date(2025, 1, 1)})
    with pytest.raises(EvaluationError, match="subscripts"):
        evaluate("x[0]", {"x": object()})
    with pytest.raises(EvaluationError, match="method 'replace'"):
        evaluate("str.replace('a', 'a', 'b')", {})


# --- scripts ------------------------------------------------------------------------------


def test_script_assigns_a_conditional_fee() -> None:
    names: dict[str, Any] = {"exempt": True}
    execute("fee = 0 if exempt else 50000", names)
    assert names["fee"] == 0
    names["exempt"] = False
    execute("fee = 0 if exempt else 50000", names)
    assert names["fee"] == 50000


def test_script_sums_a_generator_expression() -> None:
    names: dict[str, Any] = {"items": [{"amount": 10}, {"amount": 32}]}
    execute('total = sum(x["amount"] for x in items)', names)
    assert names["total"] == 42
    assert "x" not in names  # comprehension variables do not leak


def test_script_loop_with_break_continue_and_else() -> None:
    names: dict[str, Any] = {"values": [1, -2, 3, 99, 4]}
    execute(
        "found = None\n"
        "positives = []\n"
        "for v in values:\n"
        "    if v < 0:\n"
        "        continue\n"
        "    if v > 50:\n"
        "        found = v\n"
        "        break\n"
        "    positives.append(v)\n"
        "else:\n"
        "    found = 'none'\n",
        names,
    )
    assert names["found"] == 99
    assert names["positives"] == [1, 3]
    execute("for v in []:\n    pass\nelse:\n    found = 'none'", names)
    assert names["found"] == "none"


def test_script_tuple_unpacking() -> None:
    names: dict[str, Any] = {"pair": ("a", 1), "a": 1, "b": 2}
    execute("key, value = pair\na, b = b, a\n[c, (d, e)] = [1, (2, 3)]", names)
    assert (names["key"], names["value"]) == ("a", 1)
    assert (names["a"], names["b"]) == (2, 1)
    assert (names["c"], names["d"], names["e"]) == (1, 2, 3)
    with pytest.raises(EvaluationError, match="expected 2 values to unpack, got more"):
        execute("x, y = range(10000)", names)


def test_script_assigns_into_a_dict_by_subscript() -> None:
    names: dict[str, Any] = {"applicant": {"name": "A"}, "counts": {"a": 1}, "row": [0, 0]}
    execute(
        "applicant['status'] = 'approved'\n"
        "counts['a'] += 2\n"
        "row[1] = 5\n"
        "total: int = counts['a'] + row[1]\n",
        names,
    )
    assert names["applicant"] == {"name": "A", "status": "approved"}
    assert names["counts"]["a"] == 3
    assert names["row"] == [0, 5]
    assert names["total"] == 8


def test_script_augmented_assignment_on_a_list_mutates_it_in_place() -> None:
    shared: list[int] = []
    names: dict[str, Any] = {"docs": shared}
    execute("docs += [1]\ndocs.extend([2])\ndocs.insert(0, 0)", names)
    assert shared == [0, 1, 2]


def test_script_cannot_assign_to_a_tuple_item_or_a_string() -> None:
    with pytest.raises(EvaluationError, match="item assignment"):
        execute("t[0] = 1", {"t": (0,)})


# --- budgets and size guards --------------------------------------------------------------


def test_nested_comprehension_of_sums_exceeds_the_step_budget() -> None:
    with pytest.raises(StepBudgetExceeded, match="step budget of 10000 exceeded"):
        evaluate("[sum(range(10000)) for i in range(10000)]", {})
    with pytest.raises(StepBudgetExceeded):
        evaluate("sum(sum(x for x in range(10000)) for y in range(10000))", {})


def test_step_budget_is_enforced_in_scripts() -> None:
    with pytest.raises(StepBudgetExceeded):
        execute("total = 0\nfor i in range(10000):\n    total += i", {}, max_steps=1000)
    names: dict[str, Any] = {}
    execute("total = 0\nfor i in range(10000):\n    total += i", names)
    assert names["total"] == sum(range(10000))


def test_step_budget_exceeded_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError):
        evaluate("[x for x in range(100)]", {}, max_steps=50)


def test_shared_nested_lists_cannot_make_one_comparison_take_forever() -> None:
    # a == b below would compare 2**60 leaves if only nodes were counted.
    # The budget, not the size of the comparison, ends it: reaching the exception is the proof.
    script = "a = [0]\nb = [0]\nfor i in range(60):\n    a = [a, a]\n    b = [b, b]\nsame = a == b"
    with pytest.raises(StepBudgetExceeded):
        execute(script, {})
    with pytest.raises(StepBudgetExceeded):
        execute(script.replace("same = a == b", "text = str(a)"), {})


def test_self_referencing_list_exhausts_the_budget_when_inspected() -> None:
    with pytest.raises(StepBudgetExceeded):
        execute("a = [1]\na.append(a)\nb = str(a)", {})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("2 ** 10 ** 10", "exceed 10000 bits"),
        ('"a" * 10**9', "repetition would exceed"),
        ("[0] * 10**9", "repetition would exceed"),
        ("1 << 10**9", "exceed 10000 bits"),
        ("range(10**12)", "range\\(\\) is limited"),
        ("'x' * 60000 + 'y' * 60000", "concatenation would exceed"),
        ("','.join(['x' * 1000] * 1000)", "join\\(\\) result"),
        ("('x' * 1000).replace('', 'y' * 1000)", "replace\\(\\) result"),
        ("'%d' % 1", "'%' string formatting"),
        ("int(Decimal('1e999999999'))", "too large"),
        ("round(Decimal('1e999999999'))", "too large"),
        ("round(5, -10**9)", "at most 100 digits"),
        ("f'{d:f}'", "fixed-point"),
        ("sum([[1]] * 10, [])", "start must be"),
    ],
)
def test_size_guards_refuse_huge_values_before_building_them(source: str, message: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(EvaluationError, match=message):  # the guard, not the budget, refuses
            evaluate(source, {"d": Decimal("1e999999999")}, max_steps=10**7)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024  # the huge value was never built


def test_repeated_squaring_is_stopped_by_the_int_size_guard() -> None:
    with pytest.raises(EvaluationError, match="bits"):
        execute("x = 3\nfor i in range(100):\n    x = x * x", {})


def test_repeated_doubling_of_a_list_is_bounded() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(EvaluationError):
            execute("x = [0]\nfor i in range(100):\n    x.extend(x)", {})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024


# --- run-time errors ----------------------------------------------------------------------


def test_unknown_name_raises_evaluation_error_naming_it() -> None:
    with pytest.raises(EvaluationError, match="line 1, col 12: name 'decison' is not defined"):
        evaluate('"accept" == decison', {"decision": "accept"})


def test_python_errors_surface_with_their_original_message() -> None:
    with pytest.raises(EvaluationError, match="ZeroDivisionError: division by zero") as caught:
        evaluate("total / count", {"total": 1, "count": 0})
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
    with pytest.raises(EvaluationError, match="line 2, col 4: KeyError: 'missing'"):
        execute("x = 1\ny = d['missing']", {"d": {}})
    with pytest.raises(EvaluationError, match="TypeError"):
        evaluate("'a' + 1", {})


def test_parsed_trees_are_cached() -> None:
    for decision in ("accept", "refuse", "accept"):
        evaluate('decision == "accept"', {"decision": decision})
    assert (evaluator._TREES.misses, evaluator._TREES.hits) == (1, 2)
    assert len(evaluator._TREES) == 1


# --- work bounded by the size of what an operation consumes and builds ---------------------


def _peak_of(action: Any) -> int:
    """Returns the tracemalloc peak (bytes) of action(), which must raise EvaluationError."""
    tracemalloc.start()
    try:
        with pytest.raises(EvaluationError):
            action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize(
    "growth",
    [
        "x.extend(zip(x, x))",
        "x += zip(x, x)",
        "x += enumerate(x)",
        "x.extend(enumerate(x, 1))",
        "x += (y for y in x)",
        "x.extend(y for y in x)",
        "x.extend([y for y in x])",
        "x.extend(sorted(x))",
        "x.extend(list(x))",
    ],
)
def test_a_list_fed_with_an_iterator_over_itself_is_refused_whatever_the_budget(
    growth: str,
) -> None:
    # Three doublings would build 320,000 items; the length guard stops them at MAX_LENGTH.
    script = f"x = list(range(10000)) * 4\nfor i in range(3):\n    {growth}"
    peak = _peak_of(lambda: execute(script, {}, max_steps=10**7))
    assert peak < 16 * 1024 * 1024


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("x = [1, 2]\nx.extend(zip(x, x))", [1, 2, (1, 1), (2, 2)]),
        ("x = [1]\nx += enumerate(x)", [1, (0, 1)]),
        ("x = ['a']\nx.extend(enumerate(x, 5))", ["a", (5, "a")]),
        ("x = [1]\nx.extend(y + 1 for y in x)", [1, 2]),
        ("x = [1]\nx += (y * 3 for y in x)", [1, 3]),
    ],
)
def test_a_list_extended_with_an_iterator_over_itself_reads_the_items_it_had(
    script: str, expected: list[Any]
) -> None:
    names: dict[str, Any] = {}
    execute(script, names)
    assert names["x"] == expected


@pytest.mark.parametrize(
    "expression",
    [
        "s.strip()",
        "s.split()",
        "s.replace('a', 'b')",
        "s.upper()",
        "s.find('y')",
        "s.count('a')",
        "'-'.join(s)",
        "''.join([s, s])",
        "s.startswith('a')",
    ],
)
def test_string_methods_on_a_ten_million_character_string_are_refused_whatever_the_budget(
    expression: str,
) -> None:
    big = "a " * 5_000_000  # data from the caller: still charged and limited by its size
    peak = _peak_of(lambda: evaluate(expression, {"s": big}, max_steps=10**7))
    assert peak < 8 * 1024 * 1024  # refused before building anything of its size
    with pytest.raises(EvaluationError):
        evaluate(expression, {"s": big})  # and with the default budget


@pytest.mark.parametrize(
    "expression",
    ["sorted(l, key=str)", "sorted(zip(l, l), key=str)", "max(enumerate(l), key=str)"],
)
def test_sorting_a_large_list_with_a_key_is_refused_whatever_the_budget(expression: str) -> None:
    data = {"l": list(range(1_000_000))}
    peak = _peak_of(lambda: evaluate(expression, data, max_steps=10**7))
    assert peak < 8 * 1024 * 1024


def test_one_operation_cannot_walk_a_huge_shared_value_whatever_the_budget() -> None:
    # [a, a] nested 30 deep has 2**30 leaves: str(), comparison or a key would walk them all.
    script = "a = [0]\nfor i in range(30):\n    a = [a, a]\nb = sorted([a, a], key=str)"
    with pytest.raises(EvaluationError, match="one operation handles at most"):
        execute(script, {}, max_steps=10**9)


def test_an_evaluation_cannot_build_more_than_max_built_items_whatever_its_budget() -> None:
    script = "rows = []\nfor i in range(1000):\n    rows.append('x' * 99999)"
    peak = _peak_of(lambda: execute(script, {}, max_steps=10**9))
    assert peak < 4 * evaluator.MAX_BUILT  # characters take 1 byte; lists 8 per item


def test_the_parse_cache_does_not_keep_a_refused_source() -> None:
    for source in ("import os", "decision ==", "x.__class__", "x" * 200_000):
        with pytest.raises(UnsafeCodeError):
            check(source, mode="exec")
    assert len(evaluator._TREES) == 0
    assert evaluator._TREES.chars == 0


def test_the_parse_cache_is_bounded_by_entry_count() -> None:
    for i in range(evaluator.MAX_CACHED_TREES + 500):
        check(f"decision == {i}", mode="eval")
    assert len(evaluator._TREES) == evaluator.MAX_CACHED_TREES
    assert evaluate("decision == 1", {"decision": 1}) is True


def test_the_parse_cache_is_bounded_by_total_source_size() -> None:
    tracemalloc.start()
    try:
        for i in range(60):  # 60 distinct 10,000-character scripts: 600,000 characters
            check(f"x{i} = 0\n" + "y = x + 1\n" * 1_000, mode="exec")
        retained, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    cached = sum(len(source) for source, _ in evaluator._TREES.trees)
    assert cached == evaluator._TREES.chars <= evaluator.MAX_CACHED_SOURCE
    assert len(evaluator._TREES) < 60
    assert retained < 64 * 1024 * 1024  # keeping all 60 trees would retain ~110 MB
