"""Delivery channels for notifications: an email over SMTP, a signed webhook over HTTP.

Each function sends one notification once and returns nothing, or raises `ChannelError`
with a short reason an operator can read (never a traceback, never a secret); the job that
calls it records the reason and retries later. Nothing here touches the database or Flask:
the notification is recorded, and its delivery made durable, by the caller. A retried
delivery may reach the receiver twice (an answer lost after the message arrived), so every
send carries the notification's id: the email's `Message-ID`, the webhook's
`X-Motcua-Message-Id`, the same on every try, for the receiver to drop a repeat.
"""

from __future__ import annotations

import http.client
import json
import smtplib
import ssl
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, getaddresses, parseaddr
from typing import Any

from .signatures import signed_headers

MAX_REASON_CHARS = 300
MAX_WEBHOOK_URL_CHARS = 500
MAX_RESPONSE_BYTES = 64 * 1024
SMTPS_PORT = 465
DEFAULT_SENDER = "motcua@localhost"
DEFAULT_TIMEOUT_SECONDS = 10.0

# Bodies and subjects are Vietnamese: UTF-8, and a body in quoted-printable or base64
# (whichever is shorter), never raw 8-bit, which a server without 8BITMIME may mangle.
_POLICY = SMTP_POLICY.clone(cte_type="7bit")
# Headers are written unfolded up to the RFC 5322 limit: the library's folding of a long
# encoded subject drops the space before a word it starts a new encoded-word with (a
# Vietnamese subject came out as "…0001– Thẩm định"). Bodies keep 78-character lines.
_HEADERS_POLICY = _POLICY.clone(max_line_length=998)
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


class ChannelError(Exception):
    """A notification could not be delivered; the message is a short, one-line reason.

    `permanent` says trying the same send again cannot succeed (a malformed address or URL,
    a recipient the mail server refuses for good): the caller may give up at once rather
    than retry."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(_short(reason))
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how email is sent: the server, the From address, optional login, and TLS
    either by STARTTLS on a plain connection or from the start (SMTPS, `ssl`)."""

    host: str
    port: int = 25
    sender: str = DEFAULT_SENDER
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    ssl: bool = False
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        if not self.host or _has_line_break(self.host):
            raise ValueError("SMTP host must be a host name")
        if not 0 < self.port < 65536:
            raise ValueError(f"SMTP port {self.port} is out of range")
        if self.starttls and self.ssl:
            raise ValueError("SMTP: choose STARTTLS or SSL, not both")
        if self.password and not self.username:
            raise ValueError("SMTP: a password needs a user name")
        if self.timeout <= 0:
            raise ValueError("SMTP timeout must be positive")
        problem = _address_problem(self.sender)
        if problem:
            raise ValueError(f"SMTP sender {problem}")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings | None:
        """Returns the settings in Flask config (`MOTCUA_SMTP_*`), or None when no host is
        set (email is off). Raises ValueError on a setting that cannot work."""
        host = (config.get("MOTCUA_SMTP_HOST") or "").strip()
        if not host:
            return None
        use_ssl = _flag(config.get("MOTCUA_SMTP_SSL"), "MOTCUA_SMTP_SSL")
        port = config.get("MOTCUA_SMTP_PORT")
        timeout = config.get("MOTCUA_SMTP_TIMEOUT_SECONDS")
        return cls(
            host=host,
            port=int(port) if port not in (None, "") else (SMTPS_PORT if use_ssl else 25),
            sender=config.get("MOTCUA_SMTP_SENDER") or DEFAULT_SENDER,
            username=config.get("MOTCUA_SMTP_USERNAME") or None,
            password=config.get("MOTCUA_SMTP_PASSWORD") or None,
            starttls=_flag(config.get("MOTCUA_SMTP_STARTTLS"), "MOTCUA_SMTP_STARTTLS"),
            ssl=use_ssl,
            timeout=float(timeout) if timeout not in (None, "") else DEFAULT_TIMEOUT_SECONDS,
        )


def send_email(
    settings: SmtpSettings, to: str, subject: str, body: str, *, message_id: str
) -> None:
    """Sends one email to one address; raises ChannelError when it is not accepted.

    `to` is one address, with or without a display name ("Nguyễn Văn A <a@xa.gov.vn>");
    the Message-ID is `<message_id@motcua>` (or `message_id` itself when it has its angle
    brackets), the same on every try. A line break in `to` or `subject` (header injection)
    is refused before connecting."""
    address = _recipient(to)
    if _has_line_break(subject):
        raise ChannelError("email subject contains a line break", permanent=True)
    message = EmailMessage(policy=_POLICY)
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = _message_id(message_id)
    message.set_content(body)
    message.policy = _HEADERS_POLICY  # the body is encoded; now the headers' turn
    server = f"{settings.host}:{settings.port}"
    try:
        smtp = _connect(settings)
    except (smtplib.SMTPException, OSError) as exc:
        raise ChannelError(f"mail server {server}: {_smtp_reason(exc, settings)}") from None
    try:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        refused = smtp.send_message(message, from_addr=settings.sender, to_addrs=[address])
    except (smtplib.SMTPException, OSError) as exc:
        smtp.close()  # no QUIT: a server that stalled would make it wait a timeout again
        permanent = isinstance(exc, smtplib.SMTPRecipientsRefused) and all(
            code >= 500 for code, _ in exc.recipients.values()
        )
        raise ChannelError(
            f"mail server {server}: {_smtp_reason(exc, settings)}", permanent=permanent
        ) from None
    except UnicodeError:  # smtplib sends a login (and, without SMTPUTF8, addresses) in ASCII
        smtp.close()
        raise ChannelError(
            f"mail server {server}: the login or an address is not ASCII", permanent=True
        ) from None
    _quit(smtp)
    if refused:  # one recipient: never partly refused, but smtplib reports it this way too
        raise ChannelError(f"mail server {server} refused {address}")


def send_webhook(
    url: str,
    secret: str,
    payload: dict,
    *,
    message_id: str,
    timestamp: int,
    timeout: float = 10,
) -> None:
    """POSTs the payload as JSON to the URL, signed with the secret (HMAC-SHA256 over
    `<timestamp>.<body>`, see signatures.py); raises ChannelError unless it answers 2xx.

    The request goes to the URL given, never through a proxy from the environment, and a
    redirect is not followed (it fails the try). Reasons name the URL's host, never its path
    or query, which a webhook often uses as a secret."""
    problem = check_webhook_url(url)
    if problem:
        raise ChannelError(f"webhook URL {problem}", permanent=True)
    if _has_line_break(message_id):
        raise ChannelError("message id contains a line break", permanent=True)
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(
        url, data=body, headers=signed_headers(secret, timestamp, body, message_id), method="POST"
    )
    where = f"webhook {_origin(url)}"
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(MAX_RESPONSE_BYTES)
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        if 300 <= exc.code < 400:
            raise ChannelError(f"{where} answered {exc.code}, a redirect (not followed)") from None
        raise ChannelError(f"{where} answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise ChannelError(f"{where} unreachable: {_os_reason(exc.reason, timeout)}") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise ChannelError(f"{where} failed: {_os_reason(exc, timeout)}") from None
    if not 200 <= status < 300:
        raise ChannelError(f"{where} answered {status}")


def check_webhook_url(url: str) -> str | None:
    """Returns why a webhook URL is unacceptable ("must be http or https", "has no host",
    ...), or None when it is fine to send to."""
    if not isinstance(url, str) or not url:
        return "is empty"
    if len(url) > MAX_WEBHOOK_URL_CHARS:
        return f"is longer than {MAX_WEBHOOK_URL_CHARS} characters"
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        return "contains whitespace or control characters"
    if not url.isascii():
        return "must be ASCII (percent-encode the path, punycode the host)"
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a valid URL (or its port is not)"
    if parts.scheme.lower() not in ("http", "https"):
        return "must be http or https"
    if not parts.hostname:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if port == 0:
        return "has port 0"
    return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A notification goes to the address registered, never where an answer points.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# Straight to the receiver: no proxy from the environment sees what a notification carries.
_OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.ssl:
        return smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout,
            context=ssl.create_default_context(),
        )
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)


def _quit(smtp: smtplib.SMTP) -> None:
    """Says goodbye and closes; a failure here does not undo the message already accepted."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


def _recipient(to: str) -> str:
    """Returns the bare address of `to`, or raises ChannelError when it is not one address."""
    if _has_line_break(to):
        raise ChannelError("email recipient contains a line break", permanent=True)
    problem = _address_problem(to)
    if problem:
        raise ChannelError(f"email recipient {problem}", permanent=True)
    return parseaddr(to)[1]


def _address_problem(value: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "is empty"
    if _has_line_break(value):
        return "contains a line break"
    if value.count("@") != 1 or len(getaddresses([value])) != 1:
        return "is not one address"
    address = parseaddr(value)[1]
    local, _, domain = address.partition("@")
    if not local or not domain or any(ch.isspace() for ch in address):
        return "is not one address"
    return None


def email_problem(value: str) -> str | None:
    """Returns why a value is not one email address ("is not one address"), or None."""
    return _address_problem(value)


def _message_id(message_id: str) -> str:
    message_id = message_id.strip() if isinstance(message_id, str) else ""
    if not message_id or any(ch.isspace() for ch in message_id):
        raise ChannelError("message id is empty or contains whitespace", permanent=True)
    if message_id.startswith("<") and message_id.endswith(">"):
        return message_id
    if "<" in message_id or ">" in message_id:
        raise ChannelError("message id has stray angle brackets", permanent=True)
    return f"<{message_id}@motcua>"


def _smtp_reason(exc: BaseException, settings: SmtpSettings) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = "; ".join(
            f"{address}: {code} {_text(reply)}" for address, (code, reply) in exc.recipients.items()
        )
        return f"refused the recipient ({refusals})"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"refused the sender {settings.sender}: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"refused the login: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"answered {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
        exc.__context__, TimeoutError
    ):  # smtplib words a timeout waiting for a reply as "Connection unexpectedly closed"
        return _os_reason(exc.__context__, settings.timeout)
    if isinstance(exc, smtplib.SMTPException):
        return str(exc) or type(exc).__name__
    return _os_reason(exc, settings.timeout)


def _os_reason(exc: BaseException | str, timeout: float) -> str:
    if isinstance(exc, str):
        return exc
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g}s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _has_line_break(value: str) -> bool:
    return "\r" in value or "\n" in value


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def _short(reason: str) -> str:
    """Returns the reason on one line and at most MAX_REASON_CHARS long."""
    line = " ".join(str(reason).split())
    return line if len(line) <= MAX_REASON_CHARS else line[: MAX_REASON_CHARS - 1] + "…"
