"""Returns the results of BPMN gateway conditions and script tasks, run in a restricted interpreter.

Diagrams uploaded by process designers carry Python snippets. They never reach eval/exec:
check() verifies the syntax tree against a whitelist, then a small tree-walking interpreter runs
it, so every name lookup, call, attribute access and loop iteration passes through this module.
Each evaluated node costs one step; builtin work on big values (walking, comparing, hashing,
copying or printing strings and containers) costs one more step per UNITS_PER_STEP characters or
elements, so time and memory stay bounded by max_steps.
"""

from __future__ import annotations

import ast
import datetime as _dt
import decimal
import itertools
import operator
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "SAFE_FUNCTIONS",
    "EvaluationError",
    "StepBudgetExceeded",
    "UnsafeCodeError",
    "check",
    "evaluate",
    "execute",
]

MAX_INT_BITS = 10_000  # largest int that *, ** or << may build
MAX_LENGTH = 100_000  # longest str/list/tuple/dict/set an operation may take or build
MAX_RANGE = 10_000  # longest range()
MAX_FORMAT_NUMBER = 1_000  # largest width/precision in a format spec
MAX_SOURCE_LENGTH = 100_000  # characters of source accepted by check()
UNITS_PER_STEP = 10  # characters/elements of data handled per extra step
# No call takes a str/list/tuple/dict/set longer than MAX_LENGTH, and no operation builds one:
# forms accept at most 100,000 characters, so task data never needs more.
MAX_HANDLED = 2_000_000  # characters/elements one operation may walk, whatever the budget
MAX_BUILT = 1_000_000  # characters/elements/int words built in one evaluation, whatever the budget
MAX_CACHED_TREES = 2_048  # parsed sources kept by the parse cache
MAX_CACHED_SOURCE = 250_000  # characters of source kept by the parse cache (trees: ~200 B/char)


class UnsafeCodeError(ValueError):
    """Source uses a refused construct; `findings` lists every problem as "line L, col C: ..."."""

    def __init__(self, findings: list[str] | str):
        self.findings = [findings] if isinstance(findings, str) else list(findings)
        super().__init__("; ".join(self.findings))


class EvaluationError(RuntimeError):
    """Running checked code failed (unknown name, type error, size guard, ...)."""


class StepBudgetExceeded(EvaluationError):
    """Running checked code took more than max_steps steps."""


# --- the whitelist ------------------------------------------------------------------------


def _range(*args: int) -> range:
    """Returns range(*args), refusing ranges longer than MAX_RANGE items."""
    result = range(*args)
    try:
        too_long = len(result) > MAX_RANGE
    except OverflowError:  # longer than sys.maxsize
        too_long = True
    if too_long:
        raise ValueError(f"range() is limited to {MAX_RANGE} items")
    return result


def _refuse_huge_decimal(value: Any) -> None:
    # int(Decimal("1e999999999")) would allocate a billion-digit int.
    if isinstance(value, decimal.Decimal) and value.is_finite() and value.adjusted() > 3_000:
        raise ValueError("Decimal is too large to convert to int")


def _int(value: Any = 0, *args: Any, **kwargs: Any) -> int:
    """Returns int(value, ...), refusing Decimals whose int would be gigantic."""
    _refuse_huge_decimal(value)
    return int(value, *args, **kwargs)


def _round(number: Any, ndigits: int | None = None) -> Any:
    """Returns round(number, ndigits), refusing gigantic results and digit counts."""
    if ndigits is None:
        _refuse_huge_decimal(number)
        return round(number)
    # round(5, -10**9) computes 10**(10**9) internally.
    if isinstance(ndigits, int) and abs(ndigits) > 100:
        raise ValueError("round() accepts at most 100 digits")
    return round(number, ndigits)


def _sum(iterable: Any, start: Any = 0) -> Any:
    """Returns sum(iterable, start) for numbers and timedeltas only."""
    # sum(lists, []) concatenates quadratically and past every size guard.
    if not isinstance(start, (int, float, decimal.Decimal, _dt.timedelta)):
        raise TypeError("sum() start must be a number or a timedelta")
    return sum(iterable, start)


SAFE_FUNCTIONS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {
        "len": len,
        "min": min,
        "max": max,
        "sum": _sum,
        "abs": abs,
        "round": _round,
        "str": str,
        "int": _int,
        "float": float,
        "bool": bool,
        "list": list,
        "dict": dict,
        "set": set,
        "tuple": tuple,
        "sorted": sorted,
        "any": any,
        "all": all,
        "range": _range,
        "enumerate": enumerate,
        "zip": zip,
        "date": _dt.date,
        "datetime": _dt.datetime,
        "timedelta": _dt.timedelta,
        "Decimal": decimal.Decimal,
    }
)
_FREE_FUNCTIONS = frozenset({"len", "bool", "range"})  # O(1) in their arguments' size
_SHALLOW_FUNCTIONS = frozenset({"list", "tuple", "any", "all"})  # never compare or hash items


def _join(separator: str, iterable: Any) -> str:
    """Returns separator.join(iterable), refusing results longer than MAX_LENGTH."""
    parts = list(itertools.islice(iterable, MAX_LENGTH + 1))
    if len(parts) > MAX_LENGTH:
        raise ValueError(f"join() is limited to {MAX_LENGTH} parts")
    if all(isinstance(part, str) for part in parts):
        size = sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0)
        if size > MAX_LENGTH:
            raise ValueError(f"join() result would exceed {MAX_LENGTH} characters")
    return str.join(separator, parts)


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    """Returns text.replace(old, new, count), refusing results longer than MAX_LENGTH."""
    hits = text.count(old) if old else len(text) + 1
    if count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(new) - len(old)) > MAX_LENGTH:
        raise ValueError(f"replace() result would exceed {MAX_LENGTH} characters")
    return str.replace(text, old, new, count)


# (type, allowed names) pairs, most specific type first: datetime is a subclass of date.
_METHODS: tuple[tuple[type, frozenset[str]], ...] = (
    (
        str,
        frozenset(
            {
                "lower",
                "upper",
                "strip",
                "lstrip",
                "rstrip",
                "startswith",
                "endswith",
                "split",
                "join",
                "replace",
                "count",
                "find",
                "title",
                "capitalize",
                "isdigit",
            }
        ),
    ),
    (list, frozenset({"append", "extend", "count", "index", "pop", "insert", "remove"})),
    (dict, frozenset({"get", "keys", "values", "items", "pop", "setdefault", "update"})),
    (set, frozenset({"add", "discard", "union", "intersection", "difference"})),
    (_dt.datetime, frozenset({"isoformat", "date", "weekday", "replace"})),
    (_dt.date, frozenset({"isoformat", "weekday", "replace"})),
    (decimal.Decimal, frozenset({"quantize"})),
)
_ATTRIBUTES: tuple[tuple[type, frozenset[str]], ...] = (
    (_dt.datetime, frozenset({"year", "month", "day", "hour", "minute"})),
    (_dt.date, frozenset({"year", "month", "day"})),
    (_dt.timedelta, frozenset({"days", "seconds"})),
)
_STR_GUARDS = {"join": _join, "replace": _replace}
_METHOD_NAMES = frozenset().union(*(names for _, names in _METHODS))
_ATTRIBUTE_NAMES = frozenset().union(*(names for _, names in _ATTRIBUTES))
_RECEIVER_DEEP = frozenset({"count", "index", "remove"})  # compare the argument with every item
_RECEIVER_SHALLOW = frozenset({"insert", "pop", "union", "intersection", "difference"})


def _allowed_kind(table: tuple[tuple[type, frozenset[str]], ...], value: Any, name: str):
    """Returns the whitelisted type of value that allows `name`, or None."""
    for kind, names in table:
        if isinstance(value, kind):
            return kind if name in names else None
    return None


# --- static check -------------------------------------------------------------------------

_ALLOWED_NODES = frozenset(
    {
        ast.Expression,
        ast.Module,
        ast.Expr,
        ast.Assign,
        ast.AugAssign,
        ast.AnnAssign,
        ast.If,
        ast.For,
        ast.Break,
        ast.Continue,
        ast.Pass,
        ast.Constant,
        ast.Name,
        ast.Load,
        ast.Store,
        ast.List,
        ast.Tuple,
        ast.Dict,
        ast.Set,
        ast.BoolOp,
        ast.And,
        ast.Or,
        ast.BinOp,
        ast.Add,
        ast.Sub,
        ast.Mult,
        ast.Div,
        ast.FloorDiv,
        ast.Mod,
        ast.Pow,
        ast.LShift,
        ast.RShift,
        ast.BitOr,
        ast.BitXor,
        ast.BitAnd,
        ast.UnaryOp,
        ast.UAdd,
        ast.USub,
        ast.Not,
        ast.Invert,
        ast.Compare,
        ast.Eq,
        ast.NotEq,
        ast.Lt,
        ast.LtE,
        ast.Gt,
        ast.GtE,
        ast.Is,
        ast.IsNot,
        ast.In,
        ast.NotIn,
        ast.IfExp,
        ast.Subscript,
        ast.Slice,
        ast.ListComp,
        ast.SetComp,
        ast.DictComp,
        ast.GeneratorExp,
        ast.comprehension,
        ast.JoinedStr,
        ast.FormattedValue,
        ast.Call,
        ast.keyword,
        ast.Attribute,
    }
)
# Parts of refused constructs (import aliases, lambda arguments, ...): the construct is reported.
_NEUTRAL_NODES = (
    ast.alias,
    ast.arguments,
    ast.arg,
    ast.withitem,
    ast.excepthandler,
    ast.match_case,
    ast.pattern,
    ast.Del,
)
_REFUSED = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.While: "while loops are not allowed (unbounded)",
    ast.FunctionDef: "function definitions are not allowed",
    ast.AsyncFunctionDef: "function definitions are not allowed",
    ast.ClassDef: "class definitions are not allowed",
    ast.Starred: "* unpacking is not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
}
_SAFE_CONSTANTS = (str, int, float, bool, type(None))


def _where(node: Any) -> str:
    """Returns the "line L, col C: " prefix for node, or "" if it has no position."""
    if isinstance(node, ast.comprehension):  # a `for ... in` clause has no position of its own
        node = node.target
    line = getattr(node, "lineno", None)
    return f"line {line}, col {node.col_offset}: " if line is not None else ""


def _spec_problem(spec: str) -> str | None:
    """Returns why a format spec is refused, or None."""
    # "{x:>999999999}" would allocate a gigabyte of padding.
    if any(int(number) > MAX_FORMAT_NUMBER for number in re.findall(r"\d+", spec)):
        return f"format widths and precisions are limited to {MAX_FORMAT_NUMBER}"
    return None


def _node_problems(node: ast.AST, is_method: bool, in_loop: bool) -> Iterator[str]:
    """Yields why this one node is refused; its children are checked on their own."""
    private = "{} {!r} is not allowed (names starting with '_' are private)"
    if type(node) not in _ALLOWED_NODES:
        if not isinstance(node, _NEUTRAL_NODES):
            yield _REFUSED.get(type(node), f"{type(node).__name__} is not allowed")
    elif isinstance(node, ast.Name) and node.id.startswith("_"):
        yield private.format("name", node.id)
    elif isinstance(node, ast.Constant) and not isinstance(node.value, _SAFE_CONSTANTS):
        yield f"{type(node.value).__name__} constants are not allowed"
    elif isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            yield private.format("attribute", node.attr)
        elif is_method:
            if node.attr not in _METHOD_NAMES:
                yield f"method {node.attr!r} is not allowed"
        elif not isinstance(node.ctx, ast.Load):
            yield "assigning attributes is not allowed"
        elif node.attr in _METHOD_NAMES and node.attr not in _ATTRIBUTE_NAMES:
            yield f"method {node.attr!r} may only be called directly"
        elif node.attr not in _ATTRIBUTE_NAMES:
            yield f"attribute {node.attr!r} is not allowed"
    elif isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id not in SAFE_FUNCTIONS:
            yield f"calling {node.func.id!r} is not allowed"
        elif not isinstance(node.func, (ast.Name, ast.Attribute)):
            yield "only whitelisted functions and methods can be called"
        if any(keyword.arg is None for keyword in node.keywords):
            yield "** unpacking is not allowed"
    elif isinstance(node, ast.Dict) and None in node.keys:
        yield "** unpacking is not allowed"
    elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
        parts = node.format_spec.values
        if not all(isinstance(part, ast.Constant) for part in parts):
            yield "nested replacement fields in format specs are not allowed"
        elif problem := _spec_problem("".join(part.value for part in parts)):
            yield problem
    elif isinstance(node, (ast.Break, ast.Continue)) and not in_loop:
        yield f"'{type(node).__name__.lower()}' outside a loop"
    elif isinstance(node, ast.AnnAssign) and node.value is None:
        yield "annotations without a value are not allowed"
    elif isinstance(node, ast.comprehension) and node.is_async:
        yield "async comprehensions are not allowed"


def _findings(tree: ast.AST) -> list[str]:
    """Returns every problem of tree, in source order."""
    nodes = list(ast.walk(tree))  # iterative, so deeply nested source cannot overflow the stack
    nodes.sort(key=lambda node: (getattr(node, "lineno", 0), getattr(node, "col_offset", 0)))
    methods = {
        id(node.func)
        for node in nodes
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    # A loop's else clause is not in the loop: a break there would belong to an outer loop.
    in_loop = {
        id(inner)
        for loop in nodes
        if isinstance(loop, (ast.For, ast.While))
        for statement in loop.body
        for inner in ast.walk(statement)
    }
    return [
        f"{_where(node)}{problem}"
        for node in nodes
        for problem in _node_problems(node, id(node) in methods, id(node) in in_loop)
    ]


class _TreeCache:
    """The parsed, verified trees of the most recently used sources.

    Bounded by entry count and by total source characters (a tree weighs ~200 bytes per source
    character at most); a source that check() refuses raises and is never stored."""

    def __init__(self, max_entries: int, max_chars: int) -> None:
        self.max_entries, self.max_chars = max_entries, max_chars
        self.trees: OrderedDict[tuple[str, str], ast.Expression | ast.Module] = OrderedDict()
        self.chars = self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self.trees)

    def get(self, source: str, mode: str) -> ast.Expression | ast.Module:
        key = (source, mode)
        tree = self.trees.get(key)
        if tree is not None:
            self.hits += 1
            self.trees.move_to_end(key)
            return tree
        self.misses += 1
        tree = _parse_and_check(source, mode)  # raises for refused source: nothing is stored
        if len(source) <= self.max_chars:
            self.trees[key] = tree
            self.chars += len(source)
            while len(self.trees) > self.max_entries or self.chars > self.max_chars:
                (old, _), _ = self.trees.popitem(last=False)
                self.chars -= len(old)
        return tree

    def clear(self) -> None:
        self.trees.clear()
        self.chars = self.hits = self.misses = 0


def _parse_and_check(source: str, mode: str) -> ast.Expression | ast.Module:
    """Returns the parsed, verified tree of source; raises UnsafeCodeError if it is refused."""
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    if len(source) > MAX_SOURCE_LENGTH:
        raise UnsafeCodeError(f"source is longer than {MAX_SOURCE_LENGTH} characters")
    try:
        # Like builtin eval(), ignore whitespace around an expression (XML indentation).
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError as exc:
        raise UnsafeCodeError(
            f"line {exc.lineno}, col {max((exc.offset or 1) - 1, 0)}: does not parse as "
            'Python (write it as Python, e.g. decision == "accept")'
        ) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise UnsafeCodeError(f"source cannot be parsed: {exc or type(exc).__name__}") from None
    findings = _findings(tree)
    if findings:
        raise UnsafeCodeError(findings)
    return tree


_TREES = _TreeCache(MAX_CACHED_TREES, MAX_CACHED_SOURCE)  # conditions run thousands of times
_checked_tree = _TREES.get


# --- interpreter ---------------------------------------------------------------------------

_BINARY = {
    ast.Add: (operator.add, operator.iadd),
    ast.Sub: (operator.sub, operator.isub),
    ast.Mult: (operator.mul, operator.imul),
    ast.Div: (operator.truediv, operator.itruediv),
    ast.FloorDiv: (operator.floordiv, operator.ifloordiv),
    ast.Mod: (operator.mod, operator.imod),
    ast.Pow: (operator.pow, operator.ipow),
    ast.LShift: (operator.lshift, operator.ilshift),
    ast.RShift: (operator.rshift, operator.irshift),
    ast.BitOr: (operator.or_, operator.ior),
    ast.BitXor: (operator.xor, operator.ixor),
    ast.BitAnd: (operator.and_, operator.iand),
}
_UNARY = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Invert: operator.invert,
}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_SEQUENCES = (str, list, tuple)
_NOTHING = object()
_LAZY = frozenset({"zip", "enumerate"})  # builtins returning iterators over their arguments
_FROZEN = (str, tuple, range)  # what an iterator may go on reading: it cannot change
_GROWING = frozenset({"append", "extend", "insert", "update", "setdefault", "add"})
_SIZED = (
    str,
    list,
    tuple,
    dict,
    set,
    frozenset,
    range,
    type({}.keys()),
    type({}.values()),
    type({}.items()),
)


def _units(value: Any, deep: bool, limit: int) -> int:
    """Returns the data units in value (nested values too if deep), stopping once past limit."""
    total, pending = 0, [value]
    while pending and total <= limit:  # the limit also ends walks of self-referencing values
        item = pending.pop()
        total += 1  # visiting a value costs as much as an item: [a, a] nested 24 deep is not free
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, int):
            total += item.bit_length() >> 6
        elif isinstance(item, _SIZED):
            total += len(item)
            if deep and total <= limit and not isinstance(item, range):
                pending.extend(
                    itertools.chain.from_iterable(item.items()) if isinstance(item, dict) else item
                )
    return total


def _size_problem(kind: type, left: Any, right: Any) -> str | None:
    """Returns why `left <op> right` would build an oversized value, or None."""
    if isinstance(left, int) and isinstance(right, int):
        if kind is ast.Pow and right > 0 and abs(left) > 1:
            bits = left.bit_length() * right
        elif kind is ast.Mult:
            bits = left.bit_length() + right.bit_length()
        elif kind is ast.LShift and right > 0 and left:
            bits = left.bit_length() + right
        else:
            return None
        return f"integer result would exceed {MAX_INT_BITS} bits" if bits > MAX_INT_BITS else None
    if kind is ast.Mult:
        for sequence, count in ((left, right), (right, left)):
            if (
                isinstance(sequence, _SEQUENCES)
                and isinstance(count, int)
                and len(sequence) * count > MAX_LENGTH
            ):
                return f"repetition would exceed {MAX_LENGTH} items"
    if (
        kind is ast.Add
        and isinstance(left, _SEQUENCES)
        and isinstance(right, _SIZED)
        and len(left) + len(right) > MAX_LENGTH
    ):
        return f"concatenation would exceed {MAX_LENGTH} items"
    return None


def _public(node: ast.AST, name: str) -> str:
    """Returns name, refusing private names that check() would have refused."""
    if name.startswith("_"):
        raise UnsafeCodeError(f"{_where(node)}{name!r} is not allowed")
    return name


class _Interpreter:
    """Walks a checked tree; each node costs a step, big data costs extra steps."""

    def __init__(self, max_steps: int) -> None:
        self.max_steps, self.steps, self.units, self.built = max_steps, 0, 0, 0

    def tick(self, node: ast.AST, steps: int = 1) -> None:
        self.steps += steps
        if self.steps + self.units // UNITS_PER_STEP > self.max_steps:
            raise StepBudgetExceeded(f"{_where(node)}step budget of {self.max_steps} exceeded")

    def charge(self, node: ast.AST, value: Any, deep: bool = True) -> Any:
        """Returns value after charging the steps that handling its data costs."""
        budget = (self.max_steps - self.steps + 1) * UNITS_PER_STEP - self.units
        units = _units(value, deep, min(budget, MAX_HANDLED))
        self.units += units
        self.tick(node, 0)
        if units > MAX_HANDLED:  # within a big budget, but too much for one operation
            raise EvaluationError(
                f"{_where(node)}value is too large: one operation handles at most "
                f"{MAX_HANDLED} items"
            )
        return value

    def build(self, node: ast.AST, units: int) -> None:
        """Counts units of data built; refuses once the evaluation has built MAX_BUILT."""
        self.built += units
        if self.built > MAX_BUILT:
            raise EvaluationError(
                f"{_where(node)}evaluation would build more than {MAX_BUILT} items"
            )

    def made(self, node: ast.AST, value: Any, built: Any = _NOTHING) -> Any:
        """Returns value, a newly built result, after charging and counting what was built.

        `built` is the part that is new when value is an operand grown in place (x += y)."""
        if isinstance(value, _SIZED) and len(value) > MAX_LENGTH:
            raise EvaluationError(f"{_where(node)}result would exceed {MAX_LENGTH} items")
        before = self.units
        self.charge(node, value if built is _NOTHING else built, deep=False)
        self.build(node, self.units - before)
        return value

    def materialize(self, node: ast.AST, iterable: Any) -> list[Any]:
        """Returns the items of an iterator, refusing more than MAX_LENGTH of them."""
        items = list(itertools.islice(iterable, MAX_LENGTH + 1))
        if len(items) > MAX_LENGTH:
            raise EvaluationError(
                f"{_where(node)}iterator would yield more than {MAX_LENGTH} items"
            )
        self.made(node, items)
        return items

    def eval(self, node: ast.AST, scope: tuple[Mapping[str, Any], ...]) -> Any:
        """Returns an expression's value, or for a statement None or ast.Break/ast.Continue."""
        self.tick(node)
        handler = _HANDLERS.get(type(node))
        if handler is None:  # check() refuses these; never run what slipped through
            raise UnsafeCodeError(f"{_where(node)}{type(node).__name__} is not allowed")
        try:
            return handler(self, node, scope)
        except (EvaluationError, UnsafeCodeError):
            raise
        except Exception as exc:  # converted at the innermost node, which locates it best
            raise EvaluationError(f"{_where(node)}{type(exc).__name__}: {exc}") from exc

    def run(self, body: list[ast.stmt], scope: tuple) -> type | None:
        """Returns ast.Break or ast.Continue if one escapes the statements, else None."""
        for statement in body:
            if (signal := self.eval(statement, scope)) is not None:
                return signal
        return None

    # statements
    def eval_Expr(self, node, scope):
        self.eval(node.value, scope)

    def eval_Pass(self, node, scope):
        return None

    def eval_Break(self, node, scope):
        return type(node)  # ast.Break or ast.Continue, for the enclosing eval_For

    eval_Continue = eval_Break

    def eval_If(self, node, scope):
        return self.run(node.body if self.eval(node.test, scope) else node.orelse, scope)

    def eval_For(self, node, scope):
        for item in self.eval(node.iter, scope):
            self.tick(node)
            self.assign(node.target, item, scope)
            if self.run(node.body, scope) is ast.Break:
                return None
        return self.run(node.orelse, scope)

    def eval_Assign(self, node, scope):
        value = self.eval(node.value, scope)
        for target in node.targets:
            self.assign(target, value, scope)

    def eval_AnnAssign(self, node, scope):
        self.assign(node.target, self.eval(node.value, scope), scope)

    def eval_AugAssign(self, node, scope):
        if isinstance(node.target, ast.Subscript):
            container, key = self.item_target(node.target, scope)
            right = self.eval(node.value, scope)
            container[key] = self.binop(node, container[key], right, inplace=True)
        else:
            left = self.eval_Name(node.target, scope)
            right = self.eval(node.value, scope)
            self.assign(node.target, self.binop(node, left, right, inplace=True), scope)

    def assign(self, target: ast.AST, value: Any, scope: tuple) -> None:
        if isinstance(target, ast.Name):
            scope[0][_public(target, target.id)] = value
        elif isinstance(target, ast.Subscript):
            container, key = self.item_target(target, scope)
            container[key] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            count = len(target.elts)
            items = list(itertools.islice(value, count + 1))  # never drain a long iterable
            if len(items) != count:
                raise EvaluationError(
                    f"{_where(target)}expected {count} values to unpack, got "
                    f"{'more' if len(items) > count else len(items)}"
                )
            for element, item in zip(target.elts, items, strict=True):
                self.assign(element, item, scope)
        else:
            raise UnsafeCodeError(f"{_where(target)}cannot assign to {type(target).__name__}")

    def item_target(self, target: ast.Subscript, scope: tuple) -> tuple[Any, Any]:
        """Returns the (container, key) pair that an item assignment writes to."""
        container = self.eval(target.value, scope)
        key = self.charge(target, self.eval(target.slice, scope))
        if not isinstance(container, (list, dict)):
            raise EvaluationError(
                f"{_where(target)}item assignment is not supported on "
                f"{type(container).__name__} values"
            )
        return container, key

    # expressions
    def eval_Constant(self, node, scope):
        return node.value

    def eval_Name(self, node, scope):
        name = _public(node, node.id)
        for names in scope:
            if name in names:
                return names[name]
        if name in SAFE_FUNCTIONS:
            return SAFE_FUNCTIONS[name]
        raise EvaluationError(f"{_where(node)}name {name!r} is not defined")

    def eval_List(self, node, scope):
        return [self.eval(element, scope) for element in node.elts]

    def eval_Tuple(self, node, scope):
        return tuple(self.eval_List(node, scope))

    def eval_Set(self, node, scope):
        return {self.charge(node, self.eval(element, scope)) for element in node.elts}

    def eval_Dict(self, node, scope):
        return {
            self.charge(node, self.eval(key, scope)): self.eval(value, scope)
            for key, value in zip(node.keys, node.values, strict=True)
        }

    def eval_BoolOp(self, node, scope):
        stop_at = isinstance(node.op, ast.Or)  # `or` stops at a truthy value, `and` at a falsy
        for operand in node.values:
            if bool(value := self.eval(operand, scope)) is stop_at:
                break
        return value

    def eval_UnaryOp(self, node, scope):
        return _UNARY[type(node.op)](self.eval(node.operand, scope))

    def eval_BinOp(self, node, scope):
        left, right = self.eval(node.left, scope), self.eval(node.right, scope)
        return self.binop(node, left, right, inplace=False)

    def binop(self, node: ast.BinOp | ast.AugAssign, left: Any, right: Any, inplace: bool) -> Any:
        """Returns `left <op> right` after refusing operations that would build huge values."""
        kind = type(node.op)
        if kind is ast.Mod and isinstance(left, str):  # "%999999999d" % 1 bypasses spec checks
            raise EvaluationError(f"{_where(node)}'%' string formatting is not allowed")
        if isinstance(right, Iterator):  # x += zip(x, x) would feed on itself: take it first
            right = self.materialize(node, right)
        if problem := _size_problem(kind, left, right):
            raise EvaluationError(f"{_where(node)}{problem}")
        result = _BINARY[kind][inplace](left, right)
        # In-place += and |= grow a list, set or dict by at most the right operand; charging the
        # whole result each time would make building a list with += quadratic.
        if result is left and kind is not ast.Mult:
            return self.made(node, result, right)
        return self.made(node, result)

    def eval_Compare(self, node, scope):
        left = self.eval(node.left, scope)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.eval(comparator, scope)
            # Comparing, hashing and searching walk nested values: charge them first so shared
            # sub-lists (a = [a, a] sixty times) cannot make one comparison take forever.
            if not isinstance(op, (ast.Is, ast.IsNot)):
                self.charge(node, left)
                if isinstance(right, _SEQUENCES) or not isinstance(op, (ast.In, ast.NotIn)):
                    self.charge(node, right)
            if not (result := _COMPARE[type(op)](left, right)):
                return result
            left = right
        return result

    def eval_IfExp(self, node, scope):
        return self.eval(node.body if self.eval(node.test, scope) else node.orelse, scope)

    def eval_Subscript(self, node, scope):
        container = self.eval(node.value, scope)
        key = self.charge(node, self.eval(node.slice, scope))
        if not isinstance(container, (str, list, tuple, dict, range)):
            raise EvaluationError(
                f"{_where(node)}subscripts are not supported on {type(container).__name__} values"
            )
        result = container[key]
        return self.made(node, result) if isinstance(key, slice) else result

    def eval_Slice(self, node, scope):
        return slice(
            *(
                None if part is None else self.eval(part, scope)
                for part in (node.lower, node.upper, node.step)
            )
        )

    def eval_Attribute(self, node, scope):
        name, value = _public(node, node.attr), self.eval(node.value, scope)
        if _allowed_kind(_ATTRIBUTES, value, name) is None:
            raise EvaluationError(
                f"{_where(node)}attribute {name!r} is not available on "
                f"{type(value).__name__} values"
            )
        return getattr(value, name)

    def method(self, node: ast.Call, receiver: Any, name: str) -> Callable[..., Any]:
        """Returns the whitelisted base-type function implementing receiver.name."""
        kind = _allowed_kind(_METHODS, receiver, name)
        if kind is None:
            raise EvaluationError(
                f"{_where(node)}method {name!r} is not available on "
                f"{type(receiver).__name__} values"
            )
        if isinstance(receiver, str) or name in _RECEIVER_DEEP:
            self.charge(node, receiver)
        elif name in _RECEIVER_SHALLOW:
            self.charge(node, receiver, deep=False)
        # The base type's function, so a subclass in the task data cannot substitute its own.
        return (kind is str and _STR_GUARDS.get(name)) or getattr(kind, name)

    def eval_Call(self, node, scope):
        func, receiver = node.func, ()
        if isinstance(func, ast.Attribute):
            name, receiver = _public(func, func.attr), (self.eval(func.value, scope),)
            function = self.method(node, receiver[0], name)
            deep, charge_result = True, isinstance(receiver[0], (str, set))  # new str/set
        elif isinstance(func, ast.Name) and func.id in SAFE_FUNCTIONS:
            name, function = func.id, SAFE_FUNCTIONS[func.id]
            deep, charge_result = name not in _SHALLOW_FUNCTIONS, name not in _FREE_FUNCTIONS
        else:
            raise UnsafeCodeError(f"{_where(node)}only whitelisted functions can be called")
        arguments = [self.eval(arg, scope) for arg in node.args]  # a Starred has no handler
        keywords = {keyword.arg: self.eval(keyword.value, scope) for keyword in node.keywords}
        if name not in _FREE_FUNCTIONS:
            if name not in ("any", "all"):  # those stop early: generators charge each item
                arguments = [
                    self.materialize(node, value) if isinstance(value, Iterator) else value
                    for value in arguments
                ]
            for value in itertools.chain(receiver, arguments, keywords.values()):
                if isinstance(value, _SIZED) and len(value) > MAX_LENGTH:
                    raise EvaluationError(
                        f"{_where(node)}{name}() is limited to values of {MAX_LENGTH} items"
                    )
            for value in itertools.chain(arguments, keywords.values()):
                self.charge(node, value, deep)
            if "key" in keywords:  # the key function walks every item once more
                for value in arguments:
                    self.charge(node, value)
        if receiver and name in _GROWING and isinstance(receiver[0], (list, dict, set)):
            grown = 1
            if name in ("extend", "update"):
                grown = sum(len(v) for v in arguments if isinstance(v, _SIZED)) + len(keywords)
            if len(receiver[0]) + grown > MAX_LENGTH:
                raise EvaluationError(f"{_where(node)}{name}() would exceed {MAX_LENGTH} items")
            self.build(node, grown)
        if name in _LAZY:
            # x.extend(zip(x, x)) would feed on itself: iterate over copies taken now, and count
            # the tuples the iterator will build (at most the shortest input's length).
            inputs = 1 if name == "enumerate" else len(arguments)  # enumerate(x, start)
            arguments = [
                value if index >= inputs or isinstance(value, _FROZEN) else tuple(value)
                for index, value in enumerate(arguments)
            ]
            sized = [len(value) for value in arguments[:inputs] if isinstance(value, _SIZED)]
            width = 2 if name == "enumerate" else inputs  # items in each tuple it builds
            self.build(node, min(sized, default=0) * (width + 1))
        result = function(*receiver, *arguments, **keywords)
        return self.made(node, result) if charge_result else result

    def eval_JoinedStr(self, node, scope):
        return self.charge(node, "".join(self.eval(part, scope) for part in node.values))

    def eval_FormattedValue(self, node, scope):
        value = self.charge(node, self.eval(node.value, scope))  # printing walks all of it
        spec = self.eval(node.format_spec, scope) if node.format_spec else ""
        if problem := _spec_problem(spec):
            raise EvaluationError(f"{_where(node)}{problem}")
        if node.conversion != -1:
            value = {ord("s"): str, ord("r"): repr, ord("a"): ascii}[node.conversion](value)
        # f"{Decimal('1e999999999'):f}" would print a billion digits.
        if (
            isinstance(value, decimal.Decimal)
            and spec[-1:] in ("f", "F", "%")
            and value.is_finite()
            and abs(value.adjusted()) > MAX_FORMAT_NUMBER
        ):
            raise EvaluationError(f"{_where(node)}Decimal is too large for fixed-point format")
        return format(value, spec)

    def loops(self, node, scope: tuple) -> Iterator[tuple]:
        """Returns an iterator yielding the comprehension's own scope once per element."""
        # Python evaluates the first iterable at once, even for a generator expression.
        first = iter(self.eval(node.generators[0].iter, scope))
        return self.nested_loops(node.generators, 0, first, ({},) + scope)

    def nested_loops(
        self, clauses: list[ast.comprehension], index: int, iterable: Any, scope: tuple
    ) -> Iterator[tuple]:
        clause = clauses[index]
        for item in iterable:
            self.tick(clause.target)
            self.assign(clause.target, item, scope)
            if not all(self.eval(condition, scope) for condition in clause.ifs):
                continue
            if index + 1 == len(clauses):
                yield scope
            else:
                inner = iter(self.eval(clauses[index + 1].iter, scope))
                yield from self.nested_loops(clauses, index + 1, inner, scope)

    def counted(self, node, scope: tuple) -> Iterator[tuple]:
        """Returns loops(node, scope), refusing a comprehension of more than MAX_LENGTH items."""
        for count, inner in enumerate(self.loops(node, scope), 1):
            if count > MAX_LENGTH:
                raise EvaluationError(
                    f"{_where(node)}comprehension would exceed {MAX_LENGTH} items"
                )
            self.build(node, 1)
            yield inner

    def eval_ListComp(self, node, scope):
        return [self.eval(node.elt, inner) for inner in self.counted(node, scope)]

    def eval_SetComp(self, node, scope):
        return {
            self.charge(node, self.eval(node.elt, inner)) for inner in self.counted(node, scope)
        }

    def eval_DictComp(self, node, scope):
        return {
            self.charge(node, self.eval(node.key, inner)): self.eval(node.value, inner)
            for inner in self.counted(node, scope)
        }

    def eval_GeneratorExp(self, node, scope):
        # Builtins consume generators unseen by the argument charge: charge each item instead.
        return (self.charge(node, self.eval(node.elt, inner)) for inner in self.loops(node, scope))


_HANDLERS = {
    getattr(ast, name[len("eval_") :]): function
    for name, function in vars(_Interpreter).items()
    if name.startswith("eval_")
}


# --- public API ----------------------------------------------------------------------------


def check(source: str, *, mode: Literal["eval", "exec"]) -> None:
    """Returns None if source parses in mode and passes every rule; else raises UnsafeCodeError."""
    _checked_tree(source, mode)


def evaluate(expression: str, names: Mapping[str, Any], *, max_steps: int = 10_000) -> Any:
    """Returns the value of a checked expression evaluated with `names` as its variables."""
    tree = _checked_tree(expression, "eval")
    return _Interpreter(max_steps).eval(tree.body, (names,))


def execute(script: str, names: dict[str, Any], *, max_steps: int = 100_000) -> None:
    """Returns None after running a checked script; assignments to plain names update `names`."""
    tree = _checked_tree(script, "exec")
    _Interpreter(max_steps).run(tree.body, (names,))
