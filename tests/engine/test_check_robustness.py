"""No upload breaks the check: diagrams mutated at random from the shipped ones and the
fixtures (elements dropped, attributes removed or changed, ids swapped, text garbled) each
get a report: no exception escapes, every finding names an element (or the document) and
carries no Python traceback."""

from __future__ import annotations

import random

import pytest
from lxml import etree

from engine import check_process
from processes import CATALOGUE, read_sources
from tests.engine.conftest import FIXTURES

ATTRIBUTES = ("id", "sourceRef", "targetRef", "attachedToRef", "default", "messageRef", "name")
SOURCES = [
    (
        read_sources(CATALOGUE["1.001193"]).bpmn,
        "khai_sinh",
        read_sources(CATALOGUE["1.001193"]).forms,
    ),
    ((FIXTURES / "escalation.bpmn").read_bytes(), "chuyen_lanh_dao", {}),
    ((FIXTURES / "camunda_export.bpmn").read_bytes(), "xac_nhan", {}),
]


def mutated(source: bytes, seed: int) -> bytes:
    """Returns the document with a few random mutations (seeded: the same every run)."""
    chance = random.Random(seed)
    root = etree.fromstring(source)
    nodes = [n for n in root.iter() if isinstance(n.tag, str) and n.getparent() is not None]
    for _ in range(chance.randint(1, 4)):
        if not nodes:
            break
        node = chance.choice(nodes)
        move = chance.randrange(5)
        if move == 0 and node.getparent() is not None:
            node.getparent().remove(node)  # an element dropped
        elif move == 1:
            for name in ATTRIBUTES:
                node.attrib.pop(name, None)  # its references removed
        elif move == 2:
            other = chance.choice(nodes)
            if other.get("id") and node.get("id"):
                node.set("id", other.get("id"))  # a duplicate id
        elif move == 3:
            node.text = chance.choice(["", "${", "P", "import os", "1/0", "x" * 300, "∞"])
        else:
            attribute = chance.choice(ATTRIBUTES)
            node.set(attribute, chance.choice(["", "nowhere", "Start", "1", "  "]))
        nodes = [n for n in root.iter() if isinstance(n.tag, str) and n.getparent() is not None]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("seed", range(120))
def test_a_mutated_diagram_gets_a_report(seed):
    source, process_id, forms = SOURCES[seed % len(SOURCES)]
    findings = check_process(mutated(source, seed), process_id, forms)
    for finding in findings:
        assert finding.element, finding
        assert "Traceback" not in finding.message and 'File "' not in finding.message
