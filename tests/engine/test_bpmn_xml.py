"""Untrusted BPMN is parsed without entity expansion, network access or unbounded input."""

from __future__ import annotations

import pytest

from engine import DiagramRejected, compile_process, parse_bpmn_bytes
from tests.engine.conftest import fixture_bytes


def test_entity_expansion_bomb_is_refused_without_expanding(monkeypatch):
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
    source = fixture_bytes("external_entity.bpmn").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
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


def test_lxml_parser_never_resolves_entities_even_if_asked_directly():
    # Belt and braces: the parser itself is configured not to expand or fetch.
    from engine.bpmn_xml import _PARSER

    assert _PARSER.resolvers is not None
    source = b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'
    from lxml import etree

    root = etree.fromstring(source, _PARSER)
    assert root.text is None or "x" not in (root.text or "")
