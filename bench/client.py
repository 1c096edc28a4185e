"""Returns JSON answers from the API over plain sockets: the bench's officer client.

The load generator shares the machine with the server, so it must cost as little CPU as
possible: one request per connection (gunicorn's sync workers close after each answer),
headers written by hand, the answer read to the end and split once. http.client spent about
twice as much per request, mostly parsing headers it does not need.
"""

from __future__ import annotations

import json
import socket


class ApiClient:
    def __init__(self, host: str, port: int, token: str | None = None):
        self._address = (host, port)
        self._host_header = f"{host}:{port}"
        self._token = token

    def call(self, method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict]:
        """Returns (HTTP status, parsed JSON body) of one request."""
        payload = b"" if body is None else json.dumps(body).encode()
        token = token or self._token
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self._host_header}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            + (f"Authorization: Bearer {token}\r\n" if token else "")
            + "\r\n"
        ).encode()
        with socket.create_connection(self._address, timeout=30) as sock:
            sock.sendall(head + payload)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        response = b"".join(chunks)
        header, _, data = response.partition(b"\r\n\r\n")
        status = int(header[9:12])
        if b"transfer-encoding: chunked" in header.lower():
            data = _unchunk(data)
        return status, (json.loads(data) if data else {})


def _unchunk(data: bytes) -> bytes:
    body, rest = [], data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        body.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(body)
