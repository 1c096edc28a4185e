"""The pages people open in a browser, all from web/dist/ (built by `make web` from web/):
GET /designer (the process designers' modeler); the officers' pages, one app routed in the
browser by its path: /dang-nhap (sign in), / (the inbox), /cong-viec/<id> (a task),
/ho-so/<code> (a dossier), /tiep-nhan (reception), /lanh-dao (leaders); the citizens' public
lookup, /tra-cuu; and the assets they load, GET /web/<path>.

Every answer carries a strict Content-Security-Policy: scripts, styles, fonts and requests
only from this server, no inline script, no framing. The assets are named by their content
hash, so they are cached for a year; the page itself is revalidated on every load. Without a
build the page answers 503 saying how to build it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from flask import Blueprint, Response, current_app, request, send_file
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

from ..errors import payload

blp = Blueprint("pages", __name__)

# web/dist in a checkout; `MOTCUA_WEB_DIST` (app config) points elsewhere.
WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
PAGE = "designer.html"
OFFICER_PAGE = "officer.html"
LOOKUP_PAGE = "lookup.html"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    )
)
# esbuild's [name]-[hash] outputs: their content never changes under the same name.
_HASHED = re.compile(r"-[A-Z0-9]{8}\.[A-Za-z0-9.]+$")
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".map": "application/json",
    ".html": "text/html",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".eot": "application/vnd.ms-fontobject",
    ".txt": "text/plain",
}

_NOT_BUILT = """<!doctype html>
<html lang="vi">
<head><meta charset="utf-8"><title>Trang thiết kế chưa sẵn sàng</title></head>
<body>
<h1>Trang thiết kế quy trình chưa được đóng gói</h1>
<p>Máy chủ không tìm thấy các tệp của trang (thư mục <code>{where}</code>).
Người quản trị cần chạy <code>make web</code> (hoặc <code>npm ci &amp;&amp; npm run build</code>
trong thư mục <code>web/</code>) rồi tải lại trang.</p>
<p lang="en">The designer's assets were not built: run <code>make web</code>.</p>
</body>
</html>
"""


def _dist() -> Path:
    return Path(current_app.config.get("MOTCUA_WEB_DIST") or WEB_DIST)


def _not_built(as_html: bool) -> Response | tuple:
    where = str(_dist())
    if as_html:
        body = _NOT_BUILT.replace("{where}", html.escape(where))
        return Response(body, 503, mimetype="text/html", headers={"Retry-After": "60"})
    message = f"the designer's assets were not built ({where}): run `make web`"
    return payload(503, message), 503, {"Retry-After": "60"}


def _page(name: str):
    page = _dist() / name
    if not page.is_file():
        return _not_built(as_html=True)
    response = send_file(page, mimetype="text/html", max_age=0, conditional=True)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.route("/designer")
def designer():
    """The process designers' modeler page."""
    return _page(PAGE)


# The officers' pages: the same document, routed in the browser by its path (which asks
# GET /api/session first and goes to /dang-nhap without one). The single-segment routes
# below never match /api/... or /web/... (those have their own, longer rules).
@blp.route("/")
@blp.route("/dang-nhap")
@blp.route("/tiep-nhan")
@blp.route("/lanh-dao")
@blp.route("/cong-viec/<string:task_id>")
@blp.route("/ho-so/<string:code>")
def officer_pages(**_ids):
    """The officers' pages: sign-in, inbox, task, dossier, reception, leader."""
    return _page(OFFICER_PAGE)


@blp.route("/tra-cuu")
def lookup_page():
    """The citizens' public lookup page (no sign-in)."""
    return _page(LOOKUP_PAGE)


@blp.route("/web/<path:name>")
def asset(name: str):
    """A built asset of the pages (scripts, styles, fonts), by its hashed name."""
    dist = _dist()
    if not (dist / PAGE).is_file():
        return _not_built(as_html=request.accept_mimetypes.accept_html)
    path = safe_join(str(dist), name)  # None for "..", absolute paths and the like
    if path is None or not Path(path).is_file():
        raise NotFound()
    hashed = bool(_HASHED.search(name))
    response = send_file(
        path,
        mimetype=_TYPES.get(Path(path).suffix.lower()),
        max_age=31_536_000 if hashed else 0,
        conditional=True,
    )
    response.headers["Cache-Control"] = (
        "public, max-age=31536000, immutable" if hashed else "no-cache"
    )
    return response


@blp.after_request
def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
