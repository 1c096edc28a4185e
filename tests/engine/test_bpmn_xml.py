"""Untrusted BPMN is parsed without entity expansion, network access or unbounded input."""

from __future__ import annotations

import pytest

from engine import DiagramRejected, compile_process, parse_bpmn_bytes
from tests.engine.conftest import fixture_bytes


def test_entity_expansion_bomb_is_refused_without_expanding():
    source = fixture_bytes("billion_laughs.bpmn")
    with pytest.raises(DiagramRejected) as rejected:
        parse_bpmn_bytes(source)
    assert "DOCTYPE" in str(rejected.value)


def test_external_entity_is_refused_and_never_read():
    with pytest.raises(DiagramRejected) as rejected:
        compile_process(fixture_bytes("external_entity.bpmn"), "xxe", {})
    assert "DOCTYPE" in str(rejected.value)
    assert "root:" not in str(rejected.value)


def test_doctype_hidden_in_another_encoding_is_refused():
    source = (
        fixture_bytes("external_entity.bpmn")
        .decode()
        .replace('encoding="UTF-8"', 'encoding="UTF-16"')
    )
    with pytest.raises(DiagramRejected) as rejected:
        parse_bpmn_bytes(source.encode("utf-16"))
    assert "UTF-8" in str(rejected.value)


def test_oversized_document_is_refused():
    with pytest.raises(DiagramRejected) as rejected:
        parse_bpmn_bytes(b"<a>" + b" " * 100 + b"</a>", max_bytes=50)
    assert "larger than 50 bytes" in str(rejected.value)


def test_malformed_xml_is_refused_with_the_parser_message():
    with pytest.raises(DiagramRejected) as rejected:
        parse_bpmn_bytes(b"<bpmn:definitions>")
    assert "not well-formed" in str(rejected.value)


def test_doctype_spelled_in_utf7_is_refused():
    # Valid UTF-8 bytes, but a parser that honoured the declaration would read a DOCTYPE.
    source = (
        b'<?xml version="1.0" encoding="UTF-7"?>+ADw-+ACE-DOCTYPE r +AFs-+ADw-+ACE-ENTITY e '
        b"+ACI-boom+ACI-+AD4-+AF0-+AD4-<r>+ACY-e+ADs-</r>"
    )
    with pytest.raises(DiagramRejected) as rejected:
        parse_bpmn_bytes(source)
    assert "UTF-7" in str(rejected.value)


def test_undeclared_encoding_is_read_as_utf8_even_with_utf7_sequences():
    root = parse_bpmn_bytes(b"<r>+ADw-+ACE-DOCTYPE</r>")
    assert root.text == "+ADw-+ACE-DOCTYPE"  # never decoded as UTF-7
