"""Returns validated form data: JSON Schema (draft 2020-12) checks, every error by field path.

The same schema file renders a form in a browser and validates on the server, so the server
never trusts what a browser already checked.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .errors import Finding, FormInvalid

_FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER


def check_schema(form_key: str, schema: Mapping[str, Any]) -> list[Finding]:
    """Returns the problems of a form schema (empty when it is a valid draft 2020-12 schema)."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.path) or "(root)"
        return [Finding(f"form {form_key}", f"invalid JSON Schema at {path}: {exc.message}")]
    if schema.get("type") != "object":
        return [Finding(f"form {form_key}", 'a form schema must have "type": "object"')]
    return []


class Form:
    """A compiled form: its key, its schema and a reusable validator."""

    def __init__(self, key: str, schema: Mapping[str, Any]):
        self.key = key
        self.schema = schema
        self._validator = Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)

    def validate(self, data: Any) -> dict[str, Any]:
        """Returns the data unchanged when valid; raises FormInvalid listing every error."""
        errors: dict[str, list[str]] = {}
        for error in self._validator.iter_errors(data):
            for field, message in _describe(error):
                errors.setdefault(field, []).append(message)
        if errors:
            raise FormInvalid(self.key, dict(sorted(errors.items())))
        return data


_REQUIRED = re.compile(r"^'(?P<name>[^']+)' is a required property$")


def _describe(error) -> list[tuple[str, str]]:
    """Returns (field path, message) pairs naming the field itself, not its parent object."""
    parent = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        match = _REQUIRED.match(error.message)
        if match:
            return [(".".join([*parent, match["name"]]), "is required")]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = sorted(name for name in error.instance if name not in known)
        if extra:
            return [(".".join([*parent, name]), "is not a field of this form") for name in extra]
    return [(".".join(parent) or "(root)", error.message)]
