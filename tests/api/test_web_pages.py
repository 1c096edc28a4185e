"""The pages' routes (api/resources/pages.py) without a browser: the officers' paths all
answer the officers' document, /tra-cuu the lookup's, each under the strict headers; none of
them shadows /api or /web; without a build they say how to make one."""

from __future__ import annotations

import pytest

OFFICER_PATHS = [
    "/",
    "/dang-nhap",
    "/tiep-nhan",
    "/lanh-dao",
    "/cong-viec/6f1c2b1e-0000-4000-8000-000000000000",
    "/ho-so/H29.01-260302-0001",
]


def get(app, path: str):
    """Returns the answer to a GET, read and closed (send_file streams the page's file)."""
    answer = app.test_client().get(path)
    answer.get_data()
    answer.close()
    return answer


@pytest.fixture
def built(app, tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in ("designer", "officer", "lookup"):
        (dist / f"{name}.html").write_text(f"<!doctype html><title>{name}</title>")
    app.config["MOTCUA_WEB_DIST"] = str(dist)
    return dist


@pytest.mark.parametrize("path", OFFICER_PATHS)
def test_every_officer_path_answers_the_officers_document(app, built, path):
    answer = get(app, path)
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    assert b"<title>officer</title>" in answer.data
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-cache"


def test_the_lookup_page_is_its_own_document(app, built):
    answer = get(app, "/tra-cuu")
    assert answer.status_code == 200 and b"<title>lookup</title>" in answer.data
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_the_pages_shadow_neither_the_api_nor_the_assets(app, built):
    assert get(app, "/api/health").mimetype == "application/json"
    assert get(app, "/api/session").status_code == 401
    assert get(app, "/web/nothing-here.js").status_code == 404
    assert get(app, "/ho-so/a/b").status_code == 404
    assert get(app, "/cong-viec/").status_code == 404


def test_without_a_build_the_pages_say_how_to_make_one(app, tmp_path):
    app.config["MOTCUA_WEB_DIST"] = str(tmp_path / "missing")
    for path in ("/", "/tra-cuu", "/dang-nhap"):
        answer = get(app, path)
        assert answer.status_code == 503
        assert b"make web" in answer.data
