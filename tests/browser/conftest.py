"""Fixtures for the browser tests: the real app served on 127.0.0.1 from a SQLite database of
the test's own (migrated and seeded through the `motcua` console, as `make serve` does), and
Debian's Chromium driven headless by Playwright (never a browser download).

Without /usr/bin/chromium or a built web/dist these tests are skipped locally and fail under
REQUIRE_SERVICES=1 (CI), as tests/conftest.py treats a missing PostgreSQL or Redis."""

from __future__ import annotations

import json
import os
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from api import create_app

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = ROOT / "web" / "dist"
ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
DESIGNER = "h29.01.thiet_ke"


def missing(what: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} (REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(f"{what} (CI sets REQUIRE_SERVICES=1 and fails)")


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        missing(f"{CHROMIUM} is missing: `apt-get install -y chromium` (make test does)")
    if not (WEB_DIST / "designer.html").is_file():
        missing(f"{WEB_DIST} is not built: run `make web`")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium):
    # Module scope: Playwright's event loop lives only while this module's tests run, never
    # beside the asyncio of other tests (the SMTP server's).
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # As root (CI, this machine) Chromium's sandbox cannot start.
        browser = playwright.chromium.launch(
            executable_path=str(chromium),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@dataclass
class LiveServer:
    url: str
    tokens: dict[str, str]
    # the browser passwords the demo seed gave (`motcua demo seed --json`), by username
    passwords: dict[str, str] = field(default_factory=dict)

    def api(self, method: str, path: str, username: str = DESIGNER, body=None):
        """Returns (status, JSON answer) of a request to the served API as one officer."""
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Bearer {self.tokens[username]}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
                status = response.status
                kind = response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            raw, status, kind = error.read(), error.code, error.headers.get_content_type()
            error.close()
        return status, (json.loads(raw) if kind == "application/json" else raw.decode())


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app on 127.0.0.1 (a free port), with the demo agencies, officers and catalogue."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'motcua.sqlite3'}",
            "MOTCUA_INSTANCE_DIR": str(tmp_path / "instance"),
            "MOTCUA_TOKEN_CACHE_SECONDS": 0,
            "MOTCUA_CALENDAR_REFRESH_SECONDS": 0,
        }
    )
    console = app.test_cli_runner()
    migrated = console.invoke(args=["db", "upgrade"])
    assert migrated.exit_code == 0, migrated.output
    seeded = console.invoke(args=["demo", "seed", "--json"])
    assert seeded.exit_code == 0, seeded.output
    officers = json.loads(seeded.stdout)["officers"]
    tokens = {officer["username"]: officer["token"] for officer in officers}
    passwords = {o["username"]: o["password"] for o in officers if o.get("password")}

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(
            url=f"http://127.0.0.1:{server.server_port}", tokens=tokens, passwords=passwords
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


@dataclass
class PageWatch:
    """What a page did that a test may want to refuse: uncaught errors, CSP violations,
    requests to anywhere but the test server."""

    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(browser, live_server, watch):
    """A fresh browser context (Vietnamese locale, Vietnam time) and page. Requests that
    would leave 127.0.0.1 are recorded and aborted; at the end the test fails on any of them,
    on an uncaught error in the page and on a Content-Security-Policy violation."""
    context = browser.new_context(
        viewport={"width": 1600, "height": 1000},
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        accept_downloads=True,
    )
    local = re.compile(r"^(https?|wss?)://127\.0\.0\.1(:\d+)?/")

    def route(route):
        url = route.request.url
        if local.match(url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            watch.outside_requests.append(url)
            route.abort()

    context.route("**/*", route)
    context.on("request", lambda r: watch.requests.append(r.url))
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            watch.csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert not watch.page_errors, watch.page_errors
    assert not watch.csp_violations, watch.csp_violations
    assert not watch.outside_requests, watch.outside_requests


@pytest.fixture
def screenshots(request):
    """Returns a function saving a numbered screenshot of a page in tests/browser/artefacts/
    <test name>/ (kept for people to look at; git ignores it)."""
    folder = ARTEFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    taken = []

    def take(page, stage: str) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{stage}.png"
        page.screenshot(path=str(path), full_page=False)
        taken.append(path)
        return path

    return take
