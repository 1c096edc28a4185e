"""What lets a citizen look a dossier up: the lookup secret printed on its receipt, and the
address its QR code opens.

The secret is derived, never stored: an HMAC of the dossier's code under the platform's secret
key, so a receipt can be printed again at any time, codes cannot be enumerated without it, and
a database leak reveals none. Changing the key (`MOTCUA_SECRET_KEY`) changes every secret: the
receipts printed before stop opening their dossier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import quote

from flask import current_app

SECRET_FILE = "secret_key"
_LENGTH = 10  # base32 characters: 50 bits, shown as two groups of five


def secret_key() -> bytes:
    """Returns the platform's secret key: `MOTCUA_SECRET_KEY`, else a random one made once in
    the instance folder (the embedded default: one machine, one folder)."""
    configured = current_app.config.get("MOTCUA_SECRET_KEY")
    if configured:
        return configured.encode()
    folder = Path(current_app.config["MOTCUA_INSTANCE_DIR"])
    path = folder / SECRET_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def lookup_secret(code: str) -> str:
    """Returns the lookup secret of a dossier code, as printed: `ABCDE-FGH23`."""
    digest = hmac.new(secret_key(), b"lookup:" + code.encode(), hashlib.sha256).digest()
    text = base64.b32encode(digest).decode()[:_LENGTH]
    return f"{text[:5]}-{text[5:]}"


def secret_matches(code: str, given: str) -> bool:
    """Whether a secret typed by a citizen is the dossier's (case, spaces and dashes aside);
    compared in constant time."""
    typed = "".join(given.split()).replace("-", "").upper()
    return hmac.compare_digest(typed.encode(), lookup_secret(code).replace("-", "").encode())


def lookup_url(code: str) -> str:
    """Returns the address the receipt's QR code opens: the public lookup page with the code
    and the secret in the fragment (a fragment never reaches a server's logs)."""
    base = current_app.config["MOTCUA_PUBLIC_URL"]
    return f"{base}/tra-cuu#ma={quote(code, safe='')}&khoa={lookup_secret(code)}"
