"""Returns validated form data: JSON Schema (draft 2020-12) checks, errors by field path, capped.

The same schema file renders a form in a browser and validates on the server, so the server
never trusts what a browser already checked.

Validation costs time and memory in proportion to what a form accepts, not to what a client
sends. Before the full JSON Schema validation, a cheap pass walks the data alongside the schema
(properties, patternProperties, additionalProperties, prefixItems, items, local $ref, allOf)
and refuses on:
- hard limits that hold whatever the schema says (MAX_NODES values in all, MAX_DEPTH levels of
  nesting, MAX_STRING characters in any text or field name): the first one broken is the only
  error reported;
- the schema's size rules (maxItems, items: false, maxLength, maxProperties, and more than
  MAX_UNKNOWN_LISTED keys that additionalProperties: false forbids): one error per oversized
  value, whose contents are not looked at.
Only data within all of them reaches the full validation. The report itself is bounded: at most
MAX_ERRORS messages of at most MAX_MESSAGE characters (field paths too); FormInvalid.more says
how many further errors were found.

References stay inside the platform. A form refers to its own parts (`"#/$defs/person"`) and to
the other forms deployed with the same procedure by their form key, with or without the
`motcua:forms/` prefix (`"khai_sinh/to_khai#/$defs/person"`, or
`"motcua:forms/khai_sinh/to_khai#/$defs/person"`); each form's URI is `motcua:forms/<key>`.
A form may say `"$id": "motcua:forms/<its key>"` at its root and nowhere else, and
`"$schema"` only at its root, only as draft 2020-12. Nothing is ever fetched: the registry's
retrieve function serves the procedure's forms and refuses every other URI (http, https,
file, a relative reference that resolves to one, another procedure's form). `check_schema`
resolves every `$ref` and `$dynamicRef` a validation could follow, so an unresolvable or
forbidden reference is a deploy finding; a `Form` refuses to be built from a schema with
findings, and a reference that still fails while validating raises DiagramRejected.

Regular expressions run in linear time: `pattern`, `patternProperties` (and the keys
`additionalProperties` sets apart with them) and `format: "regex"` use RE2 (google-re2),
never Python's backtracking `re`. A pattern RE2 cannot compile (backreferences, lookaround,
a repetition over 1000) is a deploy finding. `unevaluatedProperties`, whose jsonschema code
matches patternProperties with `re`, is not supported in forms (a deploy finding).
"""

from __future__ import annotations

import functools
import heapq
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

import re2
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema._utils import extras_msg
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from .errors import DiagramRejected, Finding, FormInvalid

# The URI of a form: FORM_URI + its key.
FORM_URI = "motcua:forms/"
_DRAFT = "https://json-schema.org/draft/2020-12/schema"

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is reported, not printed by RE2

# Draft 2020-12's format checks, with "regex" compiled by RE2 (jsonschema compiles it with
# Python's re, which can exhaust the stack on deeply nested parentheses). The other formats
# are local, linear-time checks (no lookups: "hostname", "idn-hostname", "uri" and "email"
# only parse the text).
_FORMAT_CHECKER = FormatChecker(formats=())
_FORMAT_CHECKER.checkers.update(Draft202012Validator.FORMAT_CHECKER.checkers)
# The meta-schema check leaves "regex" out: every pattern is compiled by RE2 afterwards, with
# a finding that says why one is refused.
_META_FORMAT_CHECKER = FormatChecker(formats=())
_META_FORMAT_CHECKER.checkers.update(
    (name, check) for name, check in _FORMAT_CHECKER.checkers.items() if name != "regex"
)


@_FORMAT_CHECKER.checks("regex", raises=re2.error)
def _is_regex(instance: object) -> bool:
    return not isinstance(instance, str) or bool(re2.compile(instance, _RE2_OPTIONS))


# Hard limits, whatever the schema says (a designer's form may forget a maxItems). The largest
# shipped form (khai_sinh/to_khai: four people and up to 30 documents) holds under 200 values,
# 3 levels deep, with texts of at most 4,000 characters. The limits leave designers' forms a
# wide margin (100 times the values, 10 times the depth, 25 times the text) while the worst
# data they let through takes a few hundred milliseconds to check, not seconds.
MAX_NODES = 20_000  # values in all (objects, arrays, texts, numbers, booleans, nulls)
MAX_DEPTH = 32  # levels of nesting below the form's top object
MAX_STRING = 100_000  # characters in any text or field name

# The report: messages in all (across fields), characters per message and per field path
# (jsonschema messages embed the offending value: a 1 MB text gives a 1 MB message).
MAX_ERRORS = 50
MAX_MESSAGE = 200
# Errors counted, listed or not, before the full validation stops: past it, FormInvalid.more
# is a lower bound, and the time spent stays in proportion to the report.
MAX_COUNTED = 1_000
# Keys forbidden by additionalProperties: false that are named one by one; an object with more
# is refused on that alone, naming the first few (in sorted order) and counting the rest.
MAX_UNKNOWN_LISTED = 5

NOT_A_FIELD = "is not a field of this form"


def check_schema(
    form_key: str, schema: Mapping[str, Any], forms: Mapping[str, Any] | None = None
) -> list[Finding]:
    """Returns the problems of a form schema (empty when it is a valid draft 2020-12 schema
    whose references all resolve among `forms`, the procedure's forms by key, and whose
    patterns RE2 runs). Without `forms`, the form can refer only to itself."""
    try:
        Draft202012Validator.check_schema(schema, format_checker=_META_FORMAT_CHECKER)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.path) or "(root)"
        return [Finding(f"form {form_key}", f"invalid JSON Schema at {path}: {exc.message}")]
    if schema.get("type") != "object":
        return [Finding(f"form {form_key}", 'a form schema must have "type": "object"')]
    declared = schema.get("$schema")
    if declared is not None and declared not in (_DRAFT, _DRAFT + "#"):
        return [Finding(f"form {form_key}", f'"$schema" must be {_DRAFT!r}, not {declared!r}')]
    forms = {**(forms or {}), form_key: schema}
    return [Finding(f"form {form_key}", problem) for problem in _Checker(form_key, forms).run()]


class Form:
    """A compiled form: its key, its schema and a reusable validator. `forms` are the
    procedure's forms by key, which this one may refer to; a schema with findings is refused
    (DiagramRejected)."""

    def __init__(self, key: str, schema: Mapping[str, Any], forms: Mapping[str, Any] | None = None):
        findings = check_schema(key, schema, forms)
        if findings:
            raise DiagramRejected(findings)
        self.key = key
        self.schema = schema
        registry, roots = _registry({**(forms or {}), key: schema})
        self._validator = _Validator(roots[key], format_checker=_FORMAT_CHECKER, registry=registry)
        self._sizes = _SizeRules(schema)

    def validate(self, data: Any) -> dict[str, Any]:
        """Returns the data unchanged when valid; raises FormInvalid with its errors, capped."""
        report = _Report()
        try:
            _Walk(self._sizes, report).visit(data, self._sizes.expand(self.schema), (), 0)
        except _Refused as refused:
            raise FormInvalid(self.key, {_clip(refused.field): [_clip(refused.message)]}) from None
        if not report.counted:
            # Only data within every size rule gets here, so this is bounded by the limits.
            try:
                for error in self._validator.iter_errors(data):
                    for field, message in _describe(error):
                        report.add(field, message)
                    if report.counted >= MAX_COUNTED:
                        break  # stop consuming the generator: the rest would only add to a count
            except Unresolvable as exc:  # check_schema resolved every reference: not expected
                raise DiagramRejected(
                    [Finding(f"form {self.key}", f"unresolvable reference: {exc.ref!r}")]
                ) from None
        if report.counted:
            raise FormInvalid(self.key, dict(sorted(report.errors.items())), report.more)
        return data


@functools.lru_cache(maxsize=4096)
def _regex(pattern: str):
    """Returns the pattern compiled by RE2 (raises re2.error when RE2 cannot run it)."""
    return re2.compile(pattern, _RE2_OPTIONS)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator, patterns, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        regex = _regex(pattern)
        for key, value in instance.items():
            if regex.search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator, additional, instance, schema):
    # jsonschema's own, with the keys patternProperties matches found by RE2.
    if not validator.is_type(instance, "object"):
        return
    extras = set(_unknown_keys(schema, instance))
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            error = "Additional properties are not allowed (%s %s unexpected)"
            yield ValidationError(error % extras_msg(sorted(extras, key=str)))


def _unsupported(validator, value, instance, schema):
    # check_schema refuses it: jsonschema's unevaluatedProperties matches patterns with re.
    raise DiagramRejected([Finding("form", "unevaluatedProperties is not supported in forms")])


_Validator = validators.extend(
    Draft202012Validator,
    validators={
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
        "unevaluatedProperties": _unsupported,
    },
    format_checker=_FORMAT_CHECKER,
)


def _registry(forms: Mapping[str, Any]) -> tuple[Registry, dict[str, Any]]:
    """Returns a registry holding the forms, each at FORM_URI + key, that retrieves nothing
    else, and each form's root as the validator sees it: without "$schema" (jsonschema
    would switch a subschema that has one to its own validator, which matches with re)."""
    roots = {
        key: {name: value for name, value in schema.items() if name != "$schema"}
        if isinstance(schema, Mapping)
        else schema
        for key, schema in forms.items()
    }
    resources = {FORM_URI + key: DRAFT202012.create_resource(root) for key, root in roots.items()}

    def retrieve(uri: str) -> Resource:
        # A form by its bare key (a relative reference resolves to the key itself); nothing
        # else, whatever the scheme: this is the only way a reference leaves its form.
        found = resources.get(uri if uri.startswith(FORM_URI) else FORM_URI + uri)
        if found is None:
            raise NoSuchResource(ref=uri)
        return found

    return Registry(retrieve=retrieve).with_resources(resources.items()), roots


# Keywords whose value is a schema, a list of schemas, or schemas by name (draft 2020-12).
_ONE = (
    "additionalProperties",
    "contains",
    "contentSchema",
    "else",
    "if",
    "items",
    "not",
    "propertyNames",
    "then",
    "unevaluatedItems",
    "unevaluatedProperties",
)
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_NAMED = ("$defs", "definitions", "dependentSchemas", "patternProperties", "properties")


class _Checker:
    """Walks a form's subschemas and every schema its references reach, as a validation
    would, resolving each reference with the registry the validator uses."""

    def __init__(self, key: str, forms: Mapping[str, Any]):
        self.key = key
        self.registry, self.roots = _registry(forms)
        self.problems: list[str] = []
        self.seen: set[int] = set()

    def run(self) -> list[str]:
        root = self.roots[self.key]
        root_id = root.get("$id")
        if root_id is not None and root_id != FORM_URI + self.key:
            self.problems.append(
                f'"$id" must be {FORM_URI + self.key!r} (or left out), not {root_id!r}'
            )
            return self.problems
        resolver = self.registry.resolver_with_root(DRAFT202012.create_resource(root))
        pending: list[tuple[Any, Any, str]] = [(root, resolver, "#")]
        while pending:
            schema, resolver, where = pending.pop()
            if isinstance(schema, bool) or id(schema) in self.seen:
                continue
            if not isinstance(schema, Mapping):
                self.problems.append(f"{where}: is not a schema")
                continue
            self.seen.add(id(schema))
            self._keywords(schema, where)
            for keyword in ("$ref", "$dynamicRef"):
                ref = schema.get(keyword)
                if isinstance(ref, str):
                    pending += self._follow(resolver, ref, f"{where}/{keyword}")
            for child, path in _children(schema):
                pending.append((child, resolver, f"{where}/{path}"))
        return self.problems

    def _keywords(self, schema: Mapping[str, Any], where: str) -> None:
        is_root = any(schema is root for root in self.roots.values())
        if "$id" in schema and not is_root:
            self.problems.append(f'{where}: "$id" is allowed only at the root of a form')
        if "$schema" in schema:  # the roots are seen without theirs
            self.problems.append(f'{where}: "$schema" is allowed only at the root of a form')
        if "unevaluatedProperties" in schema:
            self.problems.append(
                f"{where}: unevaluatedProperties is not supported in forms; "
                "use additionalProperties"
            )
        patterns = [("pattern", schema.get("pattern"))]
        patterns += [
            ("patternProperties", key) for key in _mapping(schema.get("patternProperties"))
        ]
        for keyword, pattern in patterns:
            if not isinstance(pattern, str):
                continue
            try:
                _regex(pattern)
            except re2.error as exc:
                self.problems.append(
                    f"{where}/{keyword}: {pattern!r} is refused: this pattern needs features "
                    "that can run in exponential time (backreferences, lookaround) or a "
                    f"repetition over 1000 ({_re2_reason(exc)})"
                )

    def _follow(self, resolver, ref: str, where: str) -> list[tuple[Any, Any, str]]:
        try:
            resolved = resolver.lookup(ref)
        except Unresolvable:
            self.problems.append(
                f"{where}: {ref!r} does not resolve; a form refers only to its own parts "
                f'("#/$defs/...") and to the forms of its procedure by key '
                f'("<key>#/$defs/..." or "{FORM_URI}<key>#/$defs/..."), never to a URL or a file'
            )
            return []
        target = resolved.contents
        if isinstance(target, Mapping):
            try:
                Draft202012Validator.check_schema(target, format_checker=_META_FORMAT_CHECKER)
            except SchemaError as exc:
                self.problems.append(f"{where}: {ref!r} is not a valid schema: {exc.message}")
                return []
        return [(target, resolved.resolver, f"{where}={ref}")]


def _children(schema: Mapping[str, Any]) -> Iterator[tuple[Any, str]]:
    for keyword in _ONE:
        if keyword in schema:
            yield schema[keyword], keyword
    for keyword in _LIST:
        if isinstance(schema.get(keyword), list):
            for index, child in enumerate(schema[keyword]):
                yield child, f"{keyword}/{index}"
    for keyword in _NAMED:
        for name, child in _mapping(schema.get(keyword)).items():
            yield child, f"{keyword}/{name}"


def _re2_reason(exc: re2.error) -> str:
    reason = exc.args[0] if exc.args else exc
    return reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)


class _Report:
    """Errors by field path, at most MAX_ERRORS messages; the others are only counted."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}
        self.listed = 0
        self.counted = 0

    @property
    def more(self) -> int:
        return self.counted - self.listed

    def add(self, field: str, message: str) -> None:
        self.counted += 1
        if self.listed < MAX_ERRORS:
            self.listed += 1
            self.errors.setdefault(_clip(field), []).append(_clip(message))


class _Refused(Exception):
    """A hard limit broken: the one error reported, nothing else is checked."""

    def __init__(self, field: str, message: str):
        super().__init__(field, message)
        self.field = field
        self.message = message


class _SizeRules:
    """The subschemas that apply to a value, for the size rules; shared by every validation."""

    def __init__(self, schema: Mapping[str, Any]):
        self._root = schema
        # id(subschema) -> the subschemas it stands for; the root schema keeps every key alive,
        # and concurrent fills compute the same value.
        self._expanded: dict[int, list[Mapping[str, Any]]] = {}

    def expand(self, schema: Any) -> list[Mapping[str, Any]]:
        """Returns the schema with the local $ref targets and allOf members that apply with it."""
        found = self._expanded.get(id(schema))
        if found is None:
            found, seen, pending = [], set(), [schema]
            while pending:
                each = pending.pop()
                # Boolean schemas have no size rules; seen ends $ref cycles.
                if not isinstance(each, Mapping) or id(each) in seen:
                    continue
                seen.add(id(each))
                found.append(each)
                target = self._resolve(each.get("$ref"))
                if target is not None:
                    pending.append(target)
                if isinstance(each.get("allOf"), list):
                    pending.extend(each["allOf"])
            self._expanded[id(schema)] = found
        return found

    def _resolve(self, ref: Any) -> Any:
        """Returns the target of a $ref within this schema (None for others: the full
        validation resolves those)."""
        if not isinstance(ref, str):
            return None
        base, _, fragment = ref.partition("#")
        if base and base != self._root.get("$id"):
            return None
        target: Any = self._root
        if fragment == "":
            return target
        if not fragment.startswith("/"):
            return None  # a plain-name anchor
        for part in fragment[1:].split("/"):
            part = unquote(part).replace("~1", "/").replace("~0", "~")
            if isinstance(target, Mapping) and part in target:
                target = target[part]
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target = target[int(part)]
            else:
                return None
        return target

    def property_schemas(self, schemas: list[Mapping[str, Any]], key: str) -> list[Mapping]:
        """Returns the subschemas that apply to the value of one key of an object."""
        children: list[Any] = []
        for schema in schemas:
            properties = _mapping(schema.get("properties"))
            matched = [sub for pattern, sub in _patterns(schema) if _search(pattern, key)]
            if key in properties:
                children.append(properties[key])
            children += matched
            extra = schema.get("additionalProperties")
            if key not in properties and not matched and isinstance(extra, Mapping):
                children.append(extra)
        return [each for child in children for each in self.expand(child)]

    def item_schemas(self, schemas: list[Mapping[str, Any]], index: int) -> list[Mapping]:
        """Returns the subschemas that apply to one item of an array."""
        children: list[Any] = []
        for schema in schemas:
            prefix = schema.get("prefixItems")
            prefix = prefix if isinstance(prefix, list) else []
            if index < len(prefix):
                children.append(prefix[index])
            elif isinstance(schema.get("items"), Mapping):
                children.append(schema["items"])
        return [each for child in children for each in self.expand(child)]


class _Walk:
    """One pass over the data: counts every value, records the size rules broken."""

    def __init__(self, sizes: _SizeRules, report: _Report):
        self.sizes = sizes
        self.report = report
        self.nodes = 0

    def visit(self, value: Any, schemas: list[Mapping], path: tuple, depth: int) -> None:
        self.nodes += 1
        self.make_room(0)
        if depth > MAX_DEPTH:
            raise _Refused(
                _dotted(path),
                f"is nested more than {MAX_DEPTH} levels deep; a form accepts at most {MAX_DEPTH}",
            )
        if isinstance(value, str):
            self.text(value, schemas, path)
        elif isinstance(value, list):
            self.array(value, schemas, path, depth)
        elif isinstance(value, dict):
            self.object(value, schemas, path, depth)

    def make_room(self, values: int) -> None:
        # Called with a container's size before it is entered, so a huge one is refused
        # without being iterated.
        if self.nodes + values > MAX_NODES:
            raise _Refused(
                "(root)", f"holds more than {MAX_NODES} values; a form accepts at most {MAX_NODES}"
            )

    def text(self, value: str, schemas: list[Mapping], path: tuple) -> None:
        if len(value) > MAX_STRING:
            raise _Refused(_dotted(path), _too_long_text(len(value), "text"))
        limit = _smallest(schemas, "maxLength")
        if limit is not None and len(value) > limit:
            self.report.add(_dotted(path), f"is too long: {len(value)} characters, at most {limit}")

    def array(self, value: list, schemas: list[Mapping], path: tuple, depth: int) -> None:
        limit = _smallest(schemas, "maxItems")
        for schema in schemas:
            if schema.get("items") is False:  # no item after the prefixItems
                prefix = schema.get("prefixItems")
                allowed = len(prefix) if isinstance(prefix, list) else 0
                limit = allowed if limit is None else min(limit, allowed)
        if limit is not None and len(value) > limit:
            self.report.add(_dotted(path), f"is too long: {len(value)} items, at most {limit}")
            return  # its items are not looked at: the array is refused whole
        self.make_room(len(value))
        prefixes = [s["prefixItems"] for s in schemas if isinstance(s.get("prefixItems"), list)]
        prefix = max(map(len, prefixes), default=0)
        rest = self.sizes.item_schemas(schemas, prefix)  # the same for every item past them
        for index, item in enumerate(value):
            child = self.sizes.item_schemas(schemas, index) if index < prefix else rest
            self.visit(item, child, (*path, index), depth + 1)

    def object(self, value: dict, schemas: list[Mapping], path: tuple, depth: int) -> None:
        limit = _smallest(schemas, "maxProperties")
        if limit is not None and len(value) > limit:
            self.report.add(
                _dotted(path), f"has too many properties: {len(value)}, at most {limit}"
            )
            return
        self.make_room(len(value))
        for key in value:
            if isinstance(key, str) and len(key) > MAX_STRING:
                raise _Refused(_dotted((*path, key)), _too_long_text(len(key), "field name"))
        closed = [schema for schema in schemas if schema.get("additionalProperties") is False]
        unknown = {key for schema in closed for key in _unknown_keys(schema, value)}
        if len(unknown) > MAX_UNKNOWN_LISTED:
            for key in heapq.nsmallest(MAX_UNKNOWN_LISTED, unknown, key=str):
                self.report.add(_dotted((*path, key)), NOT_A_FIELD)
            self.report.add(_dotted(path), _more_unknown(len(unknown) - MAX_UNKNOWN_LISTED))
            return  # refused on its keys alone; a few unknown keys are left to the validator
        for key, item in value.items():
            child = self.sizes.property_schemas(schemas, key)
            self.visit(item, child, (*path, key), depth + 1)


_REQUIRED = re.compile(r"^'(?P<name>[^']+)' is a required property$")


def _describe(error) -> list[tuple[str, str]]:
    """Returns (field path, message) pairs naming the field itself, not its parent object."""
    parent = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        match = _REQUIRED.match(error.message)
        if match:
            return [(".".join([*parent, match["name"]]), "is required")]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = _unknown_keys(error.schema, error.instance)
        if extra:
            listed = heapq.nsmallest(MAX_UNKNOWN_LISTED, extra, key=str)
            described = [(".".join([*parent, str(name)]), NOT_A_FIELD) for name in listed]
            if len(extra) > len(listed):
                described.append((_dotted(parent), _more_unknown(len(extra) - len(listed))))
            return described
    return [(_dotted(parent), error.message)]


def _unknown_keys(schema: Mapping[str, Any], keys) -> list:
    """Returns the keys that are neither properties of the schema nor matched by its
    patternProperties."""
    properties = _mapping(schema.get("properties"))
    patterns = list(_mapping(schema.get("patternProperties")))
    return [
        key
        for key in keys
        if key not in properties and not any(_search(pattern, key) for pattern in patterns)
    ]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _patterns(schema: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return list(_mapping(schema.get("patternProperties")).items())


def _search(pattern: str, key: Any) -> bool:
    # As the full validation does (RE2's search); check_schema refuses a pattern RE2 cannot
    # compile.
    try:
        return isinstance(key, str) and _regex(pattern).search(key) is not None
    except re2.error:
        return False


def _smallest(schemas: list[Mapping[str, Any]], keyword: str) -> int | float | None:
    """Returns the tightest limit the schemas set with this keyword, None when none does."""
    limits = [
        schema[keyword]
        for schema in schemas
        if isinstance(schema.get(keyword), int | float) and not isinstance(schema[keyword], bool)
    ]
    return min(limits) if limits else None


def _dotted(path) -> str:
    return ".".join(str(part) for part in path) or "(root)"


def _too_long_text(length: int, what: str) -> str:
    return f"is a {what} of {length} characters; a form accepts at most {MAX_STRING}"


def _more_unknown(count: int) -> str:
    return f"has {count} more keys that are not fields of this form"


def _clip(text: str) -> str:
    """Returns the text cut to MAX_MESSAGE characters, keeping its end (where jsonschema says
    what is wrong with the value it quotes first)."""
    if len(text) <= MAX_MESSAGE:
        return text
    tail = MAX_MESSAGE // 4
    return f"{text[: MAX_MESSAGE - tail - 1]}…{text[-tail:]}"
