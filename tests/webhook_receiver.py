"""A webhook receiver for tests: an HTTP server on 127.0.0.1 (a free port) in its own
thread, keeping every request it gets as (path, headers, body). `/ok...` answers 202,
`/fail...` 500, `/moved` 302 to `/target`, `/slow` answers after a second."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Receiver(BaseHTTPRequestHandler):
    # /ok answers 202, /fail... 500, /moved 302 to /target, /slow answers after a second.
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append((self.path, dict(self.headers), body))
        if self.path.startswith("/fail"):
            self.send_response(500)
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/target")
        elif self.path == "/slow":
            time.sleep(1)
            self.send_response(200)
        else:
            self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST

    def log_message(self, format, *args):
        pass


@pytest.fixture
def receiver():
    """Returns the running receiver; `receiver.received` lists what it got."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def url(server: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_port}{path}"
