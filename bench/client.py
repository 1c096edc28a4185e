"""Returns JSON answers over one keep-alive HTTP connection (the bench's officer client)."""

from __future__ import annotations

import http.client
import json


class ApiClient:
    def __init__(self, host: str, port: int, token: str | None = None):
        self._connection = http.client.HTTPConnection(host, port, timeout=30)
        self._headers = {"Content-Type": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict]:
        headers = dict(self._headers)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body) if body is not None else None
        try:
            self._connection.request(method, path, body=payload, headers=headers)
            response = self._connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed an idle keep-alive connection: reconnect once.
            self._connection.close()
            self._connection.request(method, path, body=payload, headers=headers)
            response = self._connection.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else {})
