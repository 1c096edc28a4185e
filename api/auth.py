"""HTTP authentication: the bearer token (programs) or the session cookie (people in browsers)
of a request, resolved to the actor once per request.

With the cookie, a request that may change something (POST, PUT, PATCH, DELETE) must also
carry the session's CSRF token in `X-CSRF-Token`: a page of another site can make the
browser send the cookie, never read the token. A bearer token needs none (no browser sends
it by itself)."""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from werkzeug.exceptions import Unauthorized

from .services import Actor, Forbidden, authenticate
from .services.people import SessionActor, authenticate_session

# RFC 6750: a 401 says which scheme to use, and why the token was refused.
_CHALLENGE = 'Bearer realm="motcua"'
MAX_TOKEN_LENGTH = 512
SESSION_COOKIE = "motcua_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_REFUSED = "CSRF token missing or wrong"


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


def current_session() -> SessionActor | None:
    """Returns the live session this request's cookie stands for, or None (no check of the
    CSRF token: `current_actor` does that)."""
    if "web_session" not in g:
        secret = request.cookies.get(SESSION_COOKIE)
        g.web_session = authenticate_session(secret) if secret else None
    return g.web_session


def _actor_from_cookie() -> Actor | None:
    session = current_session()
    if session is None:
        return None
    if request.method in UNSAFE_METHODS and not session.csrf_matches(
        request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden(CSRF_REFUSED)
    return session.actor


def current_actor() -> Actor:
    """Returns the authenticated actor of this request: the bearer token's when the request
    has an Authorization header, else the session cookie's (401 when there is neither; 403
    for a cookie without the right CSRF token on a request that may change something)."""
    if "actor" not in g:
        actor = None
        if "Authorization" not in request.headers:
            actor = _actor_from_cookie()
        g.actor = actor or _actor_from_header()
    return g.actor


def login_required(view):
    """Returns the view wrapped so it runs only for an authenticated officer."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        current_actor()
        return view(*args, **kwargs)

    return wrapper


def client_address() -> str:
    """Returns the client's address, for rate limits: the socket's, or with
    MOTCUA_PROXY_HOPS = n > 0 the n-th entry from the right of X-Forwarded-For (what the
    outermost trusted proxy saw; entries left of it are the client's to forge)."""
    hops = current_app.config.get("MOTCUA_PROXY_HOPS", 0)
    if hops > 0:
        entries = [e.strip() for e in request.headers.get("X-Forwarded-For", "").split(",")]
        entries = [e for e in entries if e]
        if entries:
            return entries[-min(hops, len(entries))][:64]
    return (request.remote_addr or "unknown")[:64]
