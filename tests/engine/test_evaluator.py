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
    evaluator._checked_tree.cache_clear()
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
    with pytest.raises(UnsafeCodeError, match="syntax error"):
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
    assert "syntax error" in caught.value.findings[0]


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
    info = evaluator._checked_tree.cache_info()
    assert (info.misses, info.hits) == (1, 2)
