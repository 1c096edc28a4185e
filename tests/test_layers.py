"""Dependencies point one way: api → engine → processes; only the app factory reads config;
inside api, resources / cli / jobs → services → store, and only the HTTP layer knows HTTP."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTTP = {"werkzeug", "flask_smorest", "marshmallow", "webargs", "flask.request", "flask.g"}
FORBIDDEN = {
    "engine": {
        "flask",
        "flask_sqlalchemy",
        "flask_smorest",
        "sqlalchemy",
        "redis",
        "rq",
        "api",
        "config",
    },
    "processes": {"flask", "sqlalchemy", "redis", "rq", "api", "engine", "config", "SpiffWorkflow"},
    "config": {"flask", "sqlalchemy", "api", "engine", "processes"},
    # The operations: app context yes, request context and HTTP never.
    "api/services": HTTP
    | {"api.resources", "api.schemas", "api.auth", "api.errors", "api.cli", "api.jobs"},
    "api/store": HTTP
    | {
        "api.services",
        "api.resources",
        "api.schemas",
        "api.auth",
        "api.errors",
        "api.cli",
        "api.jobs",
    },
    "api/jobs": HTTP | {"api.resources", "api.schemas", "api.auth", "api.errors", "api.cli"},
    "api/resources": {"api.store", "api.cli", "api.jobs"},
    "api/schemas": {"api.store", "api.cli", "api.jobs", "api.resources"},
    "api/cli": {"api.resources", "api.schemas"},
    # Printable documents are pure: dataclasses in, PDF bytes out.
    "api/documents": {"flask", "flask_sqlalchemy", "sqlalchemy", "redis", "rq", "config"}
    | {"api.store", "api.services", "api.resources", "api.schemas", "api.cli", "api.jobs"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    """Returns every module a file imports, absolute, with each prefix (`a.b.c` gives `a`,
    `a.b` and `a.b.c`) and imported names (`from flask import g` gives `flask.g`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            modules.add(module)
            modules |= {f"{module}.{alias.name}" for alias in node.names}
    names = set()
    for module in modules:
        parts = module.split(".")
        names |= {".".join(parts[: i + 1]) for i in range(len(parts))}
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_does_not_reach_up_or_across(layer):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_names(path) & FORBIDDEN[layer])
        for path in (ROOT / layer).rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_rules_see_relative_imports():
    # The check must resolve `from ..store import db` inside api/services to `api.store`.
    names = imported_names(ROOT / "api" / "services" / "dossiers.py")
    assert "api.store" in names and "api.services.errors" in names


def test_only_the_app_factory_reads_config():
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "api").rglob("*.py")
        if "config" in imported_names(path)
    )
    assert readers == ["api/app.py"]


def test_the_layers_exist():
    for folder in ("resources", "schemas", "services", "store", "jobs", "cli"):
        assert (ROOT / "api" / folder / "__init__.py").is_file(), folder
