"""POST /api/session (sign in), GET /api/session (who is signed in), DELETE /api/session (sign
out): people in browsers. Programs keep using bearer tokens."""

from __future__ import annotations

from flask import after_this_request, current_app, request
from marshmallow import Schema, fields, validate

from ..auth import CSRF_HEADER, CSRF_REFUSED, SESSION_COOKIE, client_address, current_session
from ..body import Blueprint
from ..services import Forbidden, Unauthenticated
from ..services.people import LIFETIME, describe_officer, sign_in, sign_out

blp = Blueprint("session", __name__, url_prefix="/api/session", description="Đăng nhập của cán bộ")


class SignInSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(max=200))
    password = fields.String(required=True, validate=validate.Length(max=4096))


class AgencyRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class OfficerSchema(Schema):
    username = fields.String()
    full_name = fields.String()
    agency = fields.Nested(AgencyRefSchema)
    roles = fields.List(fields.String())


class SessionSchema(Schema):
    officer = fields.Nested(OfficerSchema)
    csrf_token = fields.String(
        metadata={"description": "send it as X-CSRF-Token with every POST, PUT, PATCH, DELETE"}
    )


@blp.route("", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(SignInSchema)
@blp.response(200, SessionSchema)
def create_session(body):
    """Sign in with a username and password: sets the `motcua_session` cookie (HttpOnly,
    SameSite=Strict) and answers the officer and the CSRF token. 401 with one message for
    every wrong answer; 429 with Retry-After while the account is locked (5 wrong passwords
    in a row: 15 minutes) or this address made too many failed attempts."""
    signed = sign_in(body["username"], body["password"], client_address())
    secure = request.is_secure or bool(current_app.config.get("MOTCUA_SECURE_COOKIES"))

    @after_this_request
    def _set_cookie(response):
        response.set_cookie(
            SESSION_COOKIE,
            signed.secret,
            max_age=int(LIFETIME.total_seconds()),
            path="/",
            secure=secure,
            httponly=True,
            samesite="Strict",
        )
        return response

    return {"officer": describe_officer(signed.officer.id), "csrf_token": signed.csrf_token}


@blp.route("", methods=["GET"])
@blp.response(200, SessionSchema)
def show_session():
    """The signed-in officer and the session's CSRF token (a page reloaded reads it here);
    401 without a live session cookie."""
    session = current_session()
    if session is None:
        raise Unauthenticated("chưa đăng nhập hoặc phiên đã hết hạn")
    return {"officer": describe_officer(session.actor.officer_id), "csrf_token": session.csrf_token}


@blp.route("", methods=["DELETE"])
@blp.response(204)
def delete_session():
    """Sign out: the session ends on the server at once and the cookie is cleared (the
    request carries X-CSRF-Token like every other change)."""
    session = current_session()
    if session is None:
        raise Unauthenticated("chưa đăng nhập hoặc phiên đã hết hạn")
    if not session.csrf_matches(request.headers.get(CSRF_HEADER)):
        raise Forbidden(CSRF_REFUSED)
    sign_out(session.session_id)

    @after_this_request
    def _clear_cookie(response):
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Strict")
        return response

    return None
