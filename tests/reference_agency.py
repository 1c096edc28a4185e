"""A reference outside agency, for tests of handoffs that leave the platform over real HTTP.

It is what an agency outside the platform must do: keep the shared secret it was given,
check every handoff's signature and timestamp before trusting it (401 otherwise), accept a
good one with 202 and record it once (a message id seen before is acknowledged 200, not
recorded again: the platform may deliver twice), and report its result to the platform,
signed with the same secret. It can be switched `down` (503 to everything) to show
retries, and can send a tampered, stale or replayed report to show they are refused.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from flask import Flask, request
from werkzeug.serving import make_server

from api.services.signatures import (
    MESSAGE_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    check_signature,
    signed_headers,
)

# Straight to the address given: never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Served:
    """A WSGI app served over real HTTP on 127.0.0.1 (a free port) in a daemon thread."""

    def __init__(self, app):
        self.app, self._server, self._thread = app, None, None

    def start(self):
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"


@dataclass
class Received:
    """A handoff the agency accepted: its JSON, and the raw body and headers it came with."""

    message: dict[str, Any]
    body: bytes
    headers: dict[str, str]


class ReferenceAgency(Served):
    """An outside agency holding `secret`; its handoffs are POSTed to `url`."""

    def __init__(self, secret: str):
        super().__init__(Flask("reference_agency"))
        self.secret = secret
        self.down = False
        # A platform URL: report each accepted message's result there *before* answering
        # the delivery (an agency that decides at once, synchronously).
        self.report_before_answering: str | None = None
        self.hits = 0  # every POST that reached it, good, bad or while down
        self.received: list[Received] = []  # accepted handoffs, once per message id
        self.refused: list[str] = []  # why each refused handoff was refused
        self._reports: dict[str, tuple[str, bytes, dict[str, str]]] = {}
        self._lock = threading.Lock()
        self.app.add_url_rule("/handoffs", view_func=self._receive, methods=["POST"])

    @property
    def url(self) -> str:
        return super().url + "/handoffs"

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [r.message for r in self.received]

    def _receive(self):
        with self._lock:
            self.hits += 1
            if self.down:
                return {"error": "down for maintenance"}, 503
            body = request.get_data()
            headers = request.headers
            refused = check_signature(
                self.secret,
                headers.get(TIMESTAMP_HEADER),
                headers.get(SIGNATURE_HEADER),
                body,
                time.time(),
            )
            message = json.loads(body) if not refused else None
            if not refused and message.get("message_id") != headers.get(MESSAGE_ID_HEADER):
                refused = "message id header does not match the body"
            if refused:
                self.refused.append(refused)
                return {"error": refused}, 401
            if any(r.message["message_id"] == message["message_id"] for r in self.received):
                return {"message_id": message["message_id"], "duplicate": True}, 200
            self.received.append(Received(message, body, dict(headers)))
            if self.report_before_answering:
                self.reported_first = self.report(
                    self.report_before_answering, message["message_id"], 10
                )
            return {"message_id": message["message_id"]}, 202

    def report(
        self,
        platform_url: str,
        message_id: str,
        status: int = 10,
        result: dict | None = None,
        *,
        tamper: bool = False,
        timestamp: int | None = None,
        replay_of: str | None = None,
    ) -> tuple[int, Any]:
        """Returns (status code, JSON) of a signed result report for a message. `tamper`
        signs another body than the one sent; `timestamp` signs as of then (unix seconds);
        `replay_of` (a message id) resends that message's last report byte for byte."""
        if replay_of is not None:
            return self.post(*self._reports[replay_of])
        body = json.dumps({"status": status, "result": result or {}}).encode()
        signed = json.dumps({"status": status, "result": {"forged": True}}).encode()
        at = int(time.time()) if timestamp is None else timestamp
        headers = signed_headers(self.secret, at, signed if tamper else body, message_id)
        paths = [m["result_path"] for m in self.messages if m["message_id"] == message_id]
        url = platform_url + (paths[0] if paths else f"/api/handoffs/{message_id}/result")
        self._reports[message_id] = (url, body, headers)
        return self.post(url, body, headers)

    @staticmethod
    def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        """Returns (status code, JSON or None) of a POST sent as given (signed or not)."""
        outgoing = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with _OPENER.open(outgoing, timeout=10) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                status, raw = exc.code, exc.read()
        return status, json.loads(raw) if raw else None
