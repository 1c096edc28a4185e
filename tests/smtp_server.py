"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 (a free port) in its own thread,
keeping every message it accepts, parsed, and refusing the recipients it is told to (550).

    from tests import smtp_server as smtp

    smtp_server = smtp.smtp_server  # the fixture (assigned, not imported: ruff's F811)

    def test_reminder(smtp_server):
        send_email(SmtpSettings(smtp_server.host, smtp_server.port), ...)
        (message,) = smtp_server.wait_for(1)

or, without the fixture, `with SmtpServer(refuse={"x@example.vn"}) as server: ...`.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Envelope:
    """A message as the server accepted it: the SMTP envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes


class _Handler:
    def __init__(self, server: SmtpServer):
        self._server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self._server.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        raw = raw if isinstance(raw, bytes) else raw.encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self._server._received(Envelope(envelope.mail_from, tuple(envelope.rcpt_tos), message, raw))
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server on 127.0.0.1; `messages` are the accepted messages in arrival order
    (`envelopes` with their envelope), `refuse` the addresses refused with 550."""

    host = "127.0.0.1"

    def __init__(self, refuse: Iterable[str] = ()):
        self.refuse = {address.lower() for address in refuse}
        self.envelopes: list[Envelope] = []
        self.port = 0
        self._arrived = threading.Condition()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self._arrived:
            return [envelope.message for envelope in self.envelopes]

    def start(self) -> SmtpServer:
        # aiosmtpd's Controller connects to its own port to check it is up, so it needs the
        # port beforehand: take a free one, and take another if it was taken meanwhile.
        for _ in range(5):
            self.port = free_port()
            controller = Controller(_Handler(self), hostname=self.host, port=self.port)
            try:
                controller.start()
            except (OSError, RuntimeError):
                try:
                    controller.stop(no_assert=True)
                except Exception:  # what a failed start left behind, if anything
                    pass
                continue
            self._controller = controller
            return self
        raise RuntimeError("no free port for the test SMTP server")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 5) -> list[EmailMessage]:
        """Returns the messages once `count` have arrived; fails the test after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.envelopes) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} messages within {timeout}s, got {len(self.envelopes)}"
                    )
                self._arrived.wait(left)
            return [envelope.message for envelope in self.envelopes]

    def _received(self, envelope: Envelope) -> None:
        with self._arrived:
            self.envelopes.append(envelope)
            self._arrived.notify_all()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def free_port() -> int:
    """Returns a TCP port on 127.0.0.1 nobody listens on (at the time of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A started SmtpServer, stopped after the test."""
    with SmtpServer() as server:
        yield server
