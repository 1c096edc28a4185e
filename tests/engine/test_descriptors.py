"""Procedure and group descriptors: the shipped ones read and round-trip; a bad one is refused
naming every field at once, whatever JSON it is."""

from __future__ import annotations

import json

import pytest

from processes import CATALOGUE, GROUPS, DescriptorError, Group, Procedure, read_package


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_a_shipped_procedure_round_trips_through_its_descriptor(code):
    procedure = CATALOGUE[code]
    assert Procedure.from_descriptor(procedure.descriptor()) == procedure
    assert json.loads(json.dumps(procedure.descriptor())) == procedure.descriptor()


@pytest.mark.parametrize("code", sorted(GROUPS))
def test_a_shipped_group_round_trips_and_names_shipped_procedures(code):
    group = GROUPS[code]
    assert Group.from_descriptor(group.descriptor()) == group
    assert all(member.code in CATALOGUE for member in group.members)


def errors_of(kind, data) -> dict:
    with pytest.raises(DescriptorError) as refused:
        kind.from_descriptor(data)
    return refused.value.errors


def test_every_bad_field_is_named_at_once():
    errors = errors_of(
        Procedure,
        {
            "code": "1 001",
            "name": "  ",
            "agency_kind": "toa_an",
            "process_id": "9x y",
            "legal_deadline": {"working_days": "1e3"},
            "declaration_form": "no_slash",
            "supplement_days": "0",
            "surprise": 1,
        },
    )
    assert sorted(errors) == [
        "agency_kind",
        "code",
        "declaration_form",
        "legal_deadline.working_days",
        "name",
        "process_id",
        "supplement_days",
        "surprise",
    ]
    assert all(len(messages) == 1 for messages in errors.values())


@pytest.mark.parametrize(
    "data", [None, [], "x", 1, {"kind": "group"}, {"legal_deadline": []}, {"code": {"a": 1}}]
)
def test_any_json_gets_an_answer_not_a_crash(data):
    assert errors_of(Procedure, data)


def test_a_group_needs_two_members_the_first_not_optional_none_twice():
    base = GROUPS["LT-KT"].descriptor()
    one = {**base, "members": base["members"][:1]}
    assert list(errors_of(Group, one)) == ["members"]
    first_optional = {**base, "members": [{**base["members"][0], "optional": True}]}
    first_optional["members"] += base["members"][1:]
    assert list(errors_of(Group, first_optional)) == ["members.0.optional"]
    twice = {**base, "members": base["members"] + base["members"][:1]}
    assert list(errors_of(Group, twice)) == ["members.4.code"]
    too_few = {**base, "min_procedures": 4, "max_procedures": 2}
    assert list(errors_of(Group, too_few)) == ["min_procedures"]


def test_a_package_that_is_not_json_or_names_nothing_is_refused(tmp_path):
    path = tmp_path / "procedure.json"
    path.write_text("{not json", "utf-8")
    with pytest.raises(DescriptorError) as refused:
        read_package(path)
    assert list(refused.value.errors) == ["descriptor"]
    path.write_text(json.dumps(CATALOGUE["1.001193"].descriptor()), "utf-8")
    with pytest.raises(DescriptorError) as refused:
        read_package(path)
    assert sorted(refused.value.errors) == ["diagram", "forms"]
