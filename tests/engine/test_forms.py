"""Form validation: errors by field path, and work and answers bounded by what a form accepts."""

from __future__ import annotations

import json
import socket
import threading
from types import SimpleNamespace

import pytest
import re2

from engine import DiagramRejected, FormInvalid, compile_process, forms
from engine.forms import (
    MAX_COUNTED,
    MAX_DEPTH,
    MAX_ERRORS,
    MAX_MESSAGE,
    MAX_NODES,
    MAX_STRING,
    MAX_UNKNOWN_LISTED,
    NOT_A_FIELD,
    Form,
    check_schema,
)

# Whatever the data, an answer stays within MAX_ERRORS messages and field paths of MAX_MESSAGE
# characters, plus the JSON around them.
ANSWER_BOUND = MAX_ERRORS * (2 * MAX_MESSAGE + 8) + 2


@pytest.fixture
def declaration(birth_process):
    return birth_process.form("khai_sinh/to_khai")


def valid_declaration() -> dict:
    return {
        "child": {
            "full_name": "Nguyễn Văn An",
            "sex": "male",
            "date_of_birth": "2026-01-05",
            "place_of_birth": "Bệnh viện Phụ sản Hà Nội",
        },
        "mother": {"full_name": "Trần Thị Bình"},
        "declarant": {"full_name": "Trần Thị Bình", "relationship": "mother"},
        "documents": [{"name": "Giấy chứng sinh", "kind": "original", "count": 1}],
    }


def refusal(form: Form, data) -> FormInvalid:
    with pytest.raises(FormInvalid) as refused:
        form.validate(data)
    return refused.value


def messages(error: FormInvalid) -> int:
    return sum(map(len, error.errors.values()))


def answer_size(error: FormInvalid) -> int:
    return len(json.dumps(error.errors, ensure_ascii=False))


def test_valid_data_is_returned_unchanged(declaration):
    data = valid_declaration()
    assert declaration.validate(data) is data


def test_normal_invalid_data_reports_every_error_by_field_path(declaration):
    data = valid_declaration()
    del data["child"]["sex"]
    data["child"]["nickname"] = "Bin"
    data["declarant"]["phone"] = "12345"
    data["documents"].append({"name": "", "kind": "copy", "count": 0})
    del data["mother"]
    error = refusal(declaration, data)
    assert list(error.errors) == sorted(error.errors)
    assert set(error.errors) == {
        "child.nickname",
        "child.sex",
        "declarant.phone",
        "documents.1.count",
        "documents.1.name",
        "mother",
    }
    assert error.errors["child.sex"] == ["is required"]
    assert error.errors["mother"] == ["is required"]
    assert error.errors["child.nickname"] == ["is not a field of this form"]
    assert error.more == 0


def test_a_few_unknown_keys_are_each_reported_with_the_other_errors(declaration):
    data = valid_declaration()
    data.update({"x": 1, "y": 2, "z": 3})
    del data["documents"]
    error = refusal(declaration, data)
    assert error.errors == {
        "documents": ["is required"],
        "x": ["is not a field of this form"],
        "y": ["is not a field of this form"],
        "z": ["is not a field of this form"],
    }


def test_an_array_over_max_items_is_one_error_and_its_items_are_not_validated():
    form = Form(
        "t",
        {
            "type": "object",
            "properties": {"tags": {"type": "array", "maxItems": 20, "items": {"type": "string"}}},
        },
    )
    error = refusal(form, {"tags": list(range(200_000))})  # every item is also invalid
    assert error.errors == {"tags": ["is too long: 200000 items, at most 20"]}
    assert error.more == 0


def test_too_many_documents_in_the_shipped_declaration_is_one_error(declaration):
    data = valid_declaration()
    data["documents"] = [{"unknown": index} for index in range(31)]
    error = refusal(declaration, data)
    assert error.errors == {"documents": ["is too long: 31 items, at most 30"]}


def test_items_false_bounds_an_array_to_its_prefix_items():
    form = Form(
        "t",
        {
            "type": "object",
            "properties": {
                "pair": {
                    "type": "array",
                    "prefixItems": [{"type": "string"}, {"type": "integer"}],
                    "items": False,
                }
            },
        },
    )
    assert form.validate({"pair": ["a", 1]}) == {"pair": ["a", 1]}
    error = refusal(form, {"pair": ["a", 1, *range(100_000)]})
    assert error.errors == {"pair": ["is too long: 100002 items, at most 2"]}


def test_size_rules_behind_a_local_ref_are_applied():
    form = Form(
        "t",
        {
            "type": "object",
            "properties": {"people": {"$ref": "#/$defs/people"}},
            "$defs": {
                "people": {"type": "array", "maxItems": 3, "items": {"$ref": "#/$defs/person"}},
                "person": {"type": "object", "properties": {"name": {"$ref": "#/$defs/name"}}},
                "name": {"type": "string", "maxLength": 10},
            },
        },
    )
    assert refusal(form, {"people": [{}] * 100_000}).errors == {
        "people": ["is too long: 100000 items, at most 3"]
    }
    error = refusal(form, {"people": [{"name": "x" * 50_000}]})
    assert error.errors == {"people.0.name": ["is too long: 50000 characters, at most 10"]}


def test_an_object_over_max_properties_is_one_error():
    form = Form(
        "t",
        {
            "type": "object",
            "properties": {
                "labels": {
                    "type": "object",
                    "maxProperties": 4,
                    "additionalProperties": {"type": "string"},
                }
            },
        },
    )
    error = refusal(form, {"labels": {f"k{index}": index for index in range(10_000)}})
    assert error.errors == {"labels": ["has too many properties: 10000, at most 4"]}


def test_thousands_of_unknown_keys_are_listed_a_few_and_counted(declaration):
    data = valid_declaration()
    data["child"].update({f"extra{index:05}": index for index in range(5_000)})
    del data["child"]["sex"]  # refused on its keys alone: the rest is not validated
    error = refusal(declaration, data)
    listed = [f"child.extra{index:05}" for index in range(MAX_UNKNOWN_LISTED)]
    assert error.errors == {
        "child": [f"has {5_000 - MAX_UNKNOWN_LISTED} more keys that are not fields of this form"],
        **{field: ["is not a field of this form"] for field in listed},
    }
    assert answer_size(error) < 1_000


def test_keys_matched_by_pattern_properties_are_fields_of_the_form():
    form = Form(
        "t",
        {
            "type": "object",
            "additionalProperties": False,
            "patternProperties": {"^phone_": {"type": "string", "maxLength": 13}},
        },
    )
    data = {f"phone_{index}": "0912345678" for index in range(MAX_UNKNOWN_LISTED * 4)}
    assert form.validate(data) is data
    error = refusal(form, {**data, "phone_x": "0" * 20, "fax": "1"})
    assert error.errors == {"phone_x": ["is too long: 20 characters, at most 13"]}


def test_unknown_keys_forbidden_only_in_a_branch_are_listed_a_few_and_counted():
    # The size pass does not follow if/then: the full validation's report is capped too.
    form = Form(
        "t",
        {
            "type": "object",
            "if": {"required": ["kind"]},
            "then": {"properties": {"kind": {"const": "closed"}}, "additionalProperties": False},
        },
    )
    error = refusal(form, {"kind": "closed", **{f"x{index:04}": index for index in range(3_000)}})
    assert error.errors == {
        "(root)": [f"has {3_000 - MAX_UNKNOWN_LISTED} more keys that are not fields of this form"],
        **{f"x{index:04}": ["is not a field of this form"] for index in range(MAX_UNKNOWN_LISTED)},
    }


def test_a_long_text_gives_a_bounded_message_that_still_says_what_is_wrong(declaration):
    data = valid_declaration()
    data["child"]["sex"] = "x" * 90_000  # within the hard limit, not one of the choices
    error = refusal(declaration, data)
    [message] = error.errors["child.sex"]
    assert len(message) <= MAX_MESSAGE
    assert message.endswith("is not one of ['male', 'female']")
    assert len(str(error)) < 2 * MAX_MESSAGE


def test_a_text_over_max_length_is_reported_without_quoting_it(declaration):
    data = valid_declaration()
    data["child"]["full_name"] = "x" * 60_000
    error = refusal(declaration, data)
    assert error.errors == {"child.full_name": ["is too long: 60000 characters, at most 100"]}


def test_a_long_unknown_field_name_gives_a_bounded_field_path(declaration):
    data = valid_declaration()
    data["k" * 90_000] = 1
    error = refusal(declaration, data)
    [field] = error.errors
    assert len(field) <= MAX_MESSAGE and field.startswith("kkk")
    assert error.errors[field] == ["is not a field of this form"]


def test_a_text_over_the_hard_limit_is_refused_whatever_the_schema():
    form = Form("t", {"type": "object"})
    error = refusal(form, {"note": ["ok", "y" * (MAX_STRING + 1)], "other": "z" * 10 * MAX_STRING})
    assert messages(error) == 1
    assert error.errors == {
        "note.1": [f"is a text of {MAX_STRING + 1} characters; a form accepts at most {MAX_STRING}"]
    }


def test_a_field_name_over_the_hard_limit_is_refused():
    error = refusal(Form("t", {"type": "object"}), {"n" * (MAX_STRING + 1): 1})
    [(field, [message])] = error.errors.items()
    assert len(field) <= MAX_MESSAGE and message.startswith("is a field name of")


@pytest.mark.parametrize("wrap", [lambda inner: {"a": inner}, lambda inner: [inner]])
def test_nesting_a_thousand_levels_deep_is_one_clear_error(wrap):
    data = "bottom"
    for _ in range(1_000):
        data = wrap(data)
    error = refusal(Form("t", {"type": "object"}), {"deep": data})
    assert messages(error) == 1
    [(field, [message])] = error.errors.items()
    assert field.startswith("deep.") and field.count(".") == MAX_DEPTH
    assert message == (
        f"is nested more than {MAX_DEPTH} levels deep; a form accepts at most {MAX_DEPTH}"
    )


def test_too_many_values_are_refused_when_the_schema_sets_no_max_items():
    form = Form(
        "t",
        {
            "type": "object",
            "properties": {
                "rows": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}
            },
        },
    )
    for rows in ([list(range(MAX_NODES))], [list(range(300))] * 100):  # one array, or many
        error = refusal(form, {"rows": rows})  # every item is also invalid
        assert error.errors == {
            "(root)": [f"holds more than {MAX_NODES} values; a form accepts at most {MAX_NODES}"]
        }
        assert error.more == 0


def test_data_right_at_the_hard_limits_is_accepted():
    form = Form("t", {"type": "object"})
    deep = "bottom"
    for _ in range(MAX_DEPTH - 1):
        deep = [deep]
    data = {"deep": deep, "text": "t" * MAX_STRING, "rows": [0] * (MAX_NODES - MAX_DEPTH - 3)}
    assert form.validate(data) is data


def test_more_counts_the_errors_past_the_cap():
    form = Form(
        "t",
        {"type": "object", "properties": {"codes": {"type": "array", "items": {"type": "string"}}}},
    )
    error = refusal(form, {"codes": list(range(MAX_ERRORS + 30))})
    assert messages(error) == MAX_ERRORS
    assert error.more == 30
    assert str(error).endswith("and 30 more error(s) not listed")
    assert answer_size(error) < ANSWER_BOUND


def test_more_counts_the_size_rules_broken_past_the_cap():
    form = Form(
        "t",
        {
            "type": "object",
            "properties": {"codes": {"type": "array", "items": {"type": "string", "maxLength": 2}}},
        },
    )
    error = refusal(form, {"codes": ["long" * 1_000] * (MAX_ERRORS + 10)})
    assert messages(error) == MAX_ERRORS
    assert error.more == 10
    assert answer_size(error) < ANSWER_BOUND


def test_validation_stops_consuming_errors_once_enough_are_counted(monkeypatch):
    form = Form(
        "t",
        {
            "type": "object",
            "properties": {"codes": {"type": "array", "items": {"type": "string", "enum": ["a"]}}},
        },
    )
    consumed = 0
    iter_errors = form._validator.iter_errors

    def counting(data):
        nonlocal consumed
        for error in iter_errors(data):
            consumed += 1
            yield error

    monkeypatch.setattr(form, "_validator", SimpleNamespace(iter_errors=counting))
    error = refusal(form, {"codes": [str(index) * 50 for index in range(MAX_NODES // 2)]})
    assert consumed == MAX_COUNTED
    assert messages(error) == MAX_ERRORS and error.more == MAX_COUNTED - MAX_ERRORS
    assert answer_size(error) < ANSWER_BOUND


def test_form_invalid_keeps_its_fields_for_existing_callers():
    error = FormInvalid("k", {"a": ["is required"]})
    assert error.more == 0
    assert str(error) == "form k is invalid: {'a': ['is required']}"


# References stay inside the platform, and patterns run in linear time.


@pytest.fixture
def listener():
    """A TCP listener on 127.0.0.1 that records every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    connections: list = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            connections.append(connection)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield SimpleNamespace(port=server.getsockname()[1], connections=connections)
    stop.set()
    thread.join()
    server.close()


def with_property(schema: dict) -> dict:
    return {"type": "object", "properties": {"x": schema}}


def remote_forms(port: int) -> list[dict]:
    base = f"http://127.0.0.1:{port}/"
    return [
        with_property({"$ref": f"{base}schema.json"}),
        {"$id": base, **with_property({"$ref": "schema.json"})},
        with_property({"$id": base, "$ref": "schema.json"}),
        with_property({"$dynamicRef": f"{base}schema.json#meta"}),
    ]


def test_a_remote_ref_is_a_deploy_finding_and_is_never_fetched(listener):
    for schema in remote_forms(listener.port):
        findings = check_schema("t", schema)
        assert findings, schema
        assert all(finding.element == "form t" for finding in findings)
        with pytest.raises(DiagramRejected):
            Form("t", schema)
    assert listener.connections == []


def test_a_remote_ref_in_a_deployed_procedure_is_a_finding_and_is_never_fetched(
    listener, birth_sources
):
    forms = dict(birth_sources.forms)
    forms["khai_sinh/tham_dinh"] = remote_forms(listener.port)[0]
    with pytest.raises(DiagramRejected) as rejected:
        compile_process(birth_sources.bpmn, "khai_sinh", forms)
    messages = [
        f.message for f in rejected.value.findings if f.element == "form khai_sinh/tham_dinh"
    ]
    assert any("does not resolve" in message for message in messages)
    assert listener.connections == []


@pytest.mark.parametrize(
    "ref", ["file:///etc/passwd", "file:///etc/passwd#/x", "/etc/passwd", "../../etc/passwd"]
)
def test_a_file_ref_is_a_deploy_finding(ref):
    [finding] = check_schema("t", with_property({"$ref": ref}))
    assert finding.element == "form t"
    assert f"{ref!r} does not resolve" in finding.message


def test_a_ref_that_slips_to_validation_is_a_clear_error_never_a_fetch(listener):
    form = Form("t", with_property({"type": "string"}))
    form._validator = form._validator.evolve(
        schema=with_property({"$ref": f"http://127.0.0.1:{listener.port}/schema.json"})
    )
    with pytest.raises(DiagramRejected, match="unresolvable reference"):
        form.validate({"x": "a"})
    assert listener.connections == []


PERSON = {
    "type": "object",
    "$defs": {"name": {"type": "string", "maxLength": 5, "pattern": "^[A-Z]"}},
    "properties": {"person": {"type": "object", "properties": {"name": {"$ref": "#/$defs/name"}}}},
}


@pytest.mark.parametrize(
    "ref", ["a/person#/$defs/name", "motcua:forms/a/person#/$defs/name", "a/person"]
)
def test_a_ref_to_another_form_of_the_procedure_by_its_key_works(ref):
    forms = {"a/person": PERSON}
    schema = with_property({"$ref": ref})
    assert check_schema("b/uses", schema, forms) == []
    form = Form("b/uses", schema, forms)
    if ref == "a/person":  # the whole form, whose own refs resolve within it
        assert form.validate({"x": {"person": {"name": "An"}}})
        assert refusal(form, {"x": {"person": {"name": "an"}}}).errors == {
            "x.person.name": ["'an' does not match '^[A-Z]'"]
        }
    else:
        assert form.validate({"x": "An"}) == {"x": "An"}
        assert set(refusal(form, {"x": "an"}).errors) == {"x"}


def test_shipped_forms_can_refer_to_each_other_by_key(birth_sources):
    forms = dict(birth_sources.forms)
    forms["khai_sinh/tham_dinh"] = with_property({"$ref": "khai_sinh/to_khai#/properties/child"})
    assert check_schema("khai_sinh/tham_dinh", forms["khai_sinh/tham_dinh"], forms) == []


def test_a_ref_to_a_missing_form_key_is_a_deploy_finding(birth_sources):
    forms = dict(birth_sources.forms)
    forms["khai_sinh/tham_dinh"] = with_property({"$ref": "khai_sinh/no_such_form#/$defs/x"})
    with pytest.raises(DiagramRejected) as rejected:
        compile_process(birth_sources.bpmn, "khai_sinh", forms)
    [finding] = [f for f in rejected.value.findings if f.element == "form khai_sinh/tham_dinh"]
    assert "'khai_sinh/no_such_form#/$defs/x' does not resolve" in finding.message


def test_a_ref_to_a_missing_part_of_a_form_is_a_deploy_finding():
    [finding] = check_schema("t", with_property({"$ref": "#/$defs/nowhere"}))
    assert "does not resolve" in finding.message


def test_a_form_may_name_itself_only_by_its_own_key():
    assert check_schema("t", {"$id": "motcua:forms/t", "type": "object"}) == []
    [finding] = check_schema("t", {"$id": "motcua:forms/other", "type": "object"})
    assert '"$id" must be' in finding.message


def test_a_draft_switch_inside_a_form_is_a_deploy_finding():
    # A subschema's "$schema" would make jsonschema validate it with its stock validator,
    # whose patterns run on Python's backtracking re.
    [finding] = check_schema(
        "t",
        with_property({"$schema": "http://json-schema.org/draft-07/schema#", "pattern": "a"}),
    )
    assert '"$schema" is allowed only at the root' in finding.message


BACKTRACKING = "^(a+)+$"


def test_patterns_are_run_by_re2_whatever_the_keyword():
    form = Form(
        "t",
        {
            "type": "object",
            "properties": {"x": {"type": "string", "pattern": BACKTRACKING}},
            "patternProperties": {BACKTRACKING: {"type": "integer"}},
            "additionalProperties": False,
        },
    )
    validator = type(form._validator)
    assert validator.VALIDATORS["pattern"].__module__ == "engine.forms"
    assert validator.VALIDATORS["patternProperties"].__module__ == "engine.forms"
    assert validator.VALIDATORS["additionalProperties"].__module__ == "engine.forms"
    assert isinstance(forms._regex(BACKTRACKING), re2._Regexp)


@pytest.mark.parametrize("length", [30, 100_000])
def test_a_backtracking_pattern_is_answered_by_re2(length):
    form = Form("t", with_property({"type": "string", "pattern": BACKTRACKING}))
    assert type(form._validator).VALIDATORS["pattern"] is forms._pattern  # RE2, linear time
    good = "a" * length
    assert form.validate({"x": good}) == {"x": good}
    error = refusal(form, {"x": "a" * (length - 1) + "!"})
    [message] = error.errors["x"]
    assert message.endswith(f"does not match {BACKTRACKING!r}")


@pytest.mark.parametrize("length", [30, 100_000])
def test_a_backtracking_pattern_property_is_answered_by_re2(length):
    form = Form(
        "t",
        {
            "type": "object",
            "patternProperties": {BACKTRACKING: {"type": "integer"}},
            "additionalProperties": False,
        },
    )
    assert type(form._validator).VALIDATORS["patternProperties"] is forms._pattern_properties
    assert form.validate({"a" * length: 1}) == {"a" * length: 1}
    bad = "a" * (length - 1) + "!"
    error = refusal(form, {bad: 1})
    assert list(error.errors.values()) == [[NOT_A_FIELD]]


@pytest.mark.parametrize("pattern", [r"^(a)\1$", r"^(?=a)a$", r"^(?!b).*$", r"(?<=a)b", "a{1001}"])
def test_a_pattern_re2_refuses_is_a_deploy_finding(pattern):
    for schema in (
        with_property({"type": "string", "pattern": pattern}),
        {"type": "object", "patternProperties": {pattern: {}}},
    ):
        [finding] = check_schema("t", schema)
        assert finding.element == "form t"
        assert "needs features that can run in exponential time" in finding.message


def test_unevaluated_properties_is_a_deploy_finding():
    [finding] = check_schema(
        "t", {"type": "object", "patternProperties": {"^a": {}}, "unevaluatedProperties": False}
    )
    assert "unevaluatedProperties is not supported" in finding.message


def test_format_regex_is_checked_by_re2_without_exhausting_the_stack():
    form = Form("t", with_property({"type": "string", "format": "regex"}))
    assert form.validate({"x": "^[0-9]+$"}) == {"x": "^[0-9]+$"}
    deep = "(" * 40_000 + ")" * 40_000  # Python's re raises RecursionError on it
    try:
        form.validate({"x": deep})
    except FormInvalid as refused:  # RE2 may find it too deep: a plain field error
        assert set(refused.errors) == {"x"}
    assert set(refusal(form, {"x": r"(a)\1"}).errors) == {"x"}
