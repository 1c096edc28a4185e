"""Request bodies and parameters, read strictly before any schema or service sees them.

What both databases store the same way is all we accept, so SQLite and PostgreSQL never
disagree on a request: no NUL characters (PostgreSQL refuses them, SQLite stores them), no
lone surrogates (not encodable as UTF-8), no integers longer than `MAX_INT_DIGITS` digits, no
NaN, Infinity or numbers that overflow to it, no nesting deeper than `MAX_DEPTH`, JSON only
under a JSON content type, and no body over the app's MAX_CONTENT_LENGTH, whether its length
was announced or it came chunked. Each refusal is a clear 4xx in the one error shape, in time
bounded by the body's size.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import flask_smorest
from flask import Flask, current_app, request
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from .errors import RequestInvalid

MAX_DEPTH = 64  # forms nest far less (their own limit is 32 below the top object)
MAX_INT_DIGITS = 100  # an integer longer than this is not a count, a code or an amount
# NUL and the surrogate range: a lone surrogate is what JSON's \ud800 escapes decode to.
_FORBIDDEN_CHARACTER = re.compile("[\x00\ud800-\udfff]")
_JSON_MIMETYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json$")


def _refuse(code: int, message: str, where: str = "(root)") -> RequestInvalid:
    return RequestInvalid(code, message, {where: [message]})


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _refuse(422, f"an integer has more than {MAX_INT_DIGITS} digits")
    return int(digits)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 overflows to infinity, which JSON cannot carry
        raise _refuse(422, f"the number {text[:40]} is out of range")
    return value


def _parse_constant(name: str) -> Any:
    raise _refuse(422, f"{name} is not a JSON number")


def read_json_body() -> Any:
    """Returns the request's JSON body, parsed and checked (see the module's rules)."""
    return read_signed_json_body()[1]


def read_signed_json_body() -> tuple[bytes, Any]:
    """Returns the request's body as it arrived (what a signature covers) and as JSON,
    parsed and checked like every body."""
    if not _JSON_MIMETYPE.match(request.mimetype or ""):
        raise UnsupportedMediaType(
            f"send the body as JSON with Content-Type: application/json "
            f"(got {request.mimetype or 'no content type'})"
        )
    raw = _read_limited()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(400, "the request body is not UTF-8") from None
    try:
        value = json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
        )
    except RecursionError:
        raise _refuse(422, f"the body is nested more than {MAX_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        if not text.strip():
            raise _refuse(400, "the request body is empty; send a JSON object") from None
        raise _refuse(400, f"the request body is not valid JSON: {exc.msg} at {exc.pos}") from None
    check_value(value)
    return raw, value


def check_value(value: Any) -> None:
    """Raises RequestInvalid (naming the path) for text neither database stores alike, or
    nesting deeper than MAX_DEPTH; walks iteratively, so any depth is safe to check."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _refuse(422, f"the body is nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, dict):
            for key, inner in item.items():
                child = f"{path}.{key}" if path else str(key)
                _check_text(key, child)
                stack.append((inner, child, depth + 1))
        elif isinstance(item, list):
            for index, inner in enumerate(item):
                stack.append((inner, f"{path}.{index}" if path else str(index), depth + 1))


def check_parameters() -> None:
    """Raises RequestInvalid for a NUL or lone surrogate in the path or the query string."""
    _check_text(request.path, "(path)")
    for name, values in request.args.lists():
        _check_text(name, f"query.{name[:50]}")
        for value in values:
            _check_text(value, f"query.{name[:50]}")


def _check_text(text: str, where: str) -> None:
    found = _FORBIDDEN_CHARACTER.search(text)
    if found is not None:
        what = "a NUL character" if found.group() == "\x00" else "an unpaired surrogate"
        raise _refuse(422, f"{what} is not allowed in text", where[:200] or "(root)")


def _read_limited() -> bytes:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    too_large = RequestEntityTooLarge(f"the body is larger than {limit} bytes")
    if request.content_length is not None:
        if limit is not None and request.content_length > limit:
            raise too_large
        return request.get_data(cache=True)
    # Chunked: werkzeug's own limit truncates the body silently (the JSON then looks broken,
    # a 400); read one byte past the limit ourselves to tell "too large" apart.
    if not request.environ.get("wsgi.input_terminated"):
        return b""  # a server that does not terminate the stream: nothing is safe to read
    stream = request.environ["wsgi.input"]
    chunks, size = [], 0
    while True:
        chunk = stream.read(65_536 if limit is None else min(65_536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            raise too_large
    return b"".join(chunks)


class StrictParser(FlaskParser):
    """webargs' Flask parser with the body read by `read_json_body`."""

    def _raw_load_json(self, req) -> Any:
        chunked = "chunked" in req.headers.get("Transfer-Encoding", "").lower()
        if not req.mimetype and not req.content_length and not chunked:
            return core.missing  # no body at all: the schema reports the missing fields
        return read_json_body()


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose arguments come through the strict parser."""

    ARGUMENTS_PARSER = StrictParser()


def init_request_checks(app: Flask) -> None:
    """Checks every request's path and query string before its view runs."""
    app.before_request(check_parameters)
