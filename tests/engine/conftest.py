"""Engine fixtures: the shipped birth-registration procedure, compiled, and fixture diagrams."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import compile_process
from processes import CATALOGUE, read_sources

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn"


@pytest.fixture(scope="session")
def birth_sources():
    return read_sources(CATALOGUE["1.001193"])


@pytest.fixture(scope="session")
def birth_process(birth_sources):
    return compile_process(birth_sources.bpmn, "khai_sinh", birth_sources.forms)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
