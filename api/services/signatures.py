"""Signed messages between the platform and agencies outside it (HMAC-SHA256).

Both directions sign the same way: the signature is HMAC-SHA256 with the agency's shared
secret over `<unix timestamp>.<raw body>`, sent as `X-Motcua-Signature: sha256=<hex>` with
`X-Motcua-Timestamp`. A receiver refuses a signature that does not match (tampered), a
timestamp outside the tolerance (stale, or a clock far off) and a signature it has already
accepted (replayed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Motcua-Signature"
TIMESTAMP_HEADER = "X-Motcua-Timestamp"
MESSAGE_ID_HEADER = "X-Motcua-Message-Id"
TOLERANCE_SECONDS = 300
_PREFIX = "sha256="


def new_secret() -> str:
    """Returns a fresh shared secret for an outside agency (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Returns the signature header's value for a body sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return _PREFIX + mac.hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes, message_id: str) -> dict[str, str]:
    """Returns the headers of a signed request."""
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        MESSAGE_ID_HEADER: message_id,
    }


def check_signature(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> str | None:
    """Returns why a signed request is refused ("missing", "stale", "tampered"), or None
    when its signature and timestamp hold (replays are the caller's to detect)."""
    if not timestamp or not signature:
        return "missing signature or timestamp"
    try:
        sent = int(timestamp)
    except ValueError:
        return "malformed timestamp"
    if abs(now - sent) > TOLERANCE_SECONDS:
        return "stale timestamp"
    if not hmac.compare_digest(sign(secret, sent, body), signature.strip()):
        return "signature does not match"
    return None
