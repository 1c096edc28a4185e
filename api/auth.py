"""HTTP authentication: the bearer token of a request, resolved to the actor once per request."""

from __future__ import annotations

from functools import wraps

from flask import g, request
from werkzeug.exceptions import Unauthorized

from .services import Actor, authenticate

# RFC 6750: a 401 says which scheme to use, and why the token was refused.
_CHALLENGE = 'Bearer realm="motcua"'
MAX_TOKEN_LENGTH = 512


class Unauthenticated(Unauthorized):
    def __init__(self, description: str, error: str | None = None):
        super().__init__(description)
        self.challenge = _CHALLENGE + (f', error="{error}"' if error else "")

    def get_headers(self, environ=None, scope=None):
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", self.challenge)]


def _actor_from_header() -> Actor:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("an Authorization: Bearer <token> header is required")
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise Unauthenticated("the token is not valid", "invalid_token")
    actor = authenticate(token)
    if actor is None:
        raise Unauthenticated("the token is not valid", "invalid_token")
    return actor


def current_actor() -> Actor:
    """Returns the authenticated actor of this request (401 when there is none)."""
    if "actor" not in g:
        g.actor = _actor_from_header()
    return g.actor


def login_required(view):
    """Returns the view wrapped so it runs only for an authenticated officer."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        current_actor()
        return view(*args, **kwargs)

    return wrapper
