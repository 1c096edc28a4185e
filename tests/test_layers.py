"""Dependencies point one way: api → engine → processes; only the app factory reads config."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "engine": {"flask", "flask_sqlalchemy", "flask_smorest", "sqlalchemy", "redis", "rq", "api", "config"},
    "processes": {"flask", "sqlalchemy", "redis", "rq", "api", "engine", "config", "SpiffWorkflow"},
    "config": {"flask", "sqlalchemy", "api", "engine", "processes"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_reach_up_or_into_io(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_only_the_app_factory_reads_config():
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "api").rglob("*.py")
        if "config" in imported_packages(path)
    )
    assert readers == ["api/app.py"]
