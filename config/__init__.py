"""Settings per environment, read only by the app factory and the worker.

Everything comes from the environment with embedded defaults, so `make serve` works on a
bare machine: SQLite in the instance folder and background work in-process when REDIS_URL
is unset; PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_CHECKOUT = Path(__file__).resolve().parent.parent


def default_instance_dir(environ: Mapping[str, str]) -> Path:
    """Returns where the embedded database and the demo secret live by default: `instance/`
    in a checkout (what `make serve` uses); for an installed copy, the user's data folder,
    never site-packages."""
    if (_CHECKOUT / "pyproject.toml").is_file():
        return _CHECKOUT / "instance"
    data_home = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "motcua"


def normalize_database_url(url: str) -> str:
    """Returns a SQLAlchemy URL, mapping the common postgres:// forms onto psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Returns Flask config keys for the environment given (the process's by default)."""
    environ = os.environ if environ is None else environ
    instance_dir = Path(environ.get("MOTCUA_INSTANCE_DIR") or default_instance_dir(environ))
    database_url = environ.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'motcua.sqlite3'}"
    return {
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        "REDIS_URL": environ.get("REDIS_URL") or None,
        "MOTCUA_INSTANCE_DIR": str(instance_dir),
        "MOTCUA_INBOX_PAGE_SIZE": int(environ.get("MOTCUA_INBOX_PAGE_SIZE", "50")),
        # Who a token belongs to is remembered this long per process (0: ask every request).
        "MOTCUA_TOKEN_CACHE_SECONDS": float(environ.get("MOTCUA_TOKEN_CACHE_SECONDS", "10")),
        # One log line per request and per job; "json" for log collectors, else plain text.
        "MOTCUA_LOG_FORMAT": environ.get("MOTCUA_LOG_FORMAT", "text"),
        # Background work: tries per job (then `failed`, for an operator), the first retry's
        # delay in seconds (doubling), and how long a job handed to the queue may stay
        # untaken before the relay hands it over again.
        "MOTCUA_JOB_MAX_ATTEMPTS": int(environ.get("MOTCUA_JOB_MAX_ATTEMPTS", "8")),
        "MOTCUA_JOB_BACKOFF_SECONDS": float(environ.get("MOTCUA_JOB_BACKOFF_SECONDS", "2")),
        "MOTCUA_JOB_LEASE_SECONDS": float(environ.get("MOTCUA_JOB_LEASE_SECONDS", "30")),
        # How often the relay looks for jobs due (retries, jobs a lost queue dropped).
        "MOTCUA_RELAY_SECONDS": float(environ.get("MOTCUA_RELAY_SECONDS", "1")),
        # How long a process keeps the calendars in force (override days, agencies' office
        # hours) before reading them again: a change reaches every process within it.
        "MOTCUA_CALENDAR_REFRESH_SECONDS": float(
            environ.get("MOTCUA_CALENDAR_REFRESH_SECONDS", "5")
        ),
        # The rq queue's name on REDIS_URL (two platforms may share one Redis).
        "MOTCUA_QUEUE_NAME": environ.get("MOTCUA_QUEUE_NAME", "motcua"),
        # Email for notifications (steps due soon or overdue); none is sent while the host is
        # unset. STARTTLS upgrades a plain connection, SSL opens one in TLS (SMTPS); the port
        # defaults to 465 with SSL, else 25. A login is tried when a user name is set.
        "MOTCUA_SMTP_HOST": environ.get("MOTCUA_SMTP_HOST") or None,
        "MOTCUA_SMTP_PORT": int(environ.get("MOTCUA_SMTP_PORT") or 0) or None,
        "MOTCUA_SMTP_SENDER": environ.get("MOTCUA_SMTP_SENDER") or "motcua@localhost",
        "MOTCUA_SMTP_USERNAME": environ.get("MOTCUA_SMTP_USERNAME") or None,
        "MOTCUA_SMTP_PASSWORD": environ.get("MOTCUA_SMTP_PASSWORD") or None,
        "MOTCUA_SMTP_STARTTLS": environ.get("MOTCUA_SMTP_STARTTLS", "").lower()
        in ("1", "true", "yes", "on"),
        "MOTCUA_SMTP_SSL": environ.get("MOTCUA_SMTP_SSL", "").lower() in ("1", "true", "yes", "on"),
        "MOTCUA_SMTP_TIMEOUT_SECONDS": float(environ.get("MOTCUA_SMTP_TIMEOUT_SECONDS", "10")),
        # Fault injection for crash tests, never set in production: e.g.
        # "job.before_commit" or "job.after_commit" make a worker kill itself (SIGKILL) there.
        "MOTCUA_FAILPOINTS": frozenset(
            name for name in environ.get("MOTCUA_FAILPOINTS", "").split(",") if name.strip()
        ),
        "MAX_CONTENT_LENGTH": int(environ.get("MOTCUA_MAX_REQUEST_BYTES", str(4 * 1024 * 1024))),
        # People in browsers: the session cookie is `Secure` on HTTPS requests, and on every
        # request with this set (behind a proxy that ends TLS). With MOTCUA_PROXY_HOPS > 0 the
        # client's address (rate limits) is read from X-Forwarded-For, that many entries from
        # its right end (each proxy appends the address it saw); 0: the socket's address.
        "MOTCUA_SECURE_COOKIES": environ.get("MOTCUA_SECURE_COOKIES", "").lower()
        in ("1", "true", "yes", "on"),
        "MOTCUA_PROXY_HOPS": int(environ.get("MOTCUA_PROXY_HOPS") or 0),
        # The platform's own secret (lookup secrets on receipts, sessions): set it in
        # production, the same for every process; unset, one is made in the instance folder.
        "MOTCUA_SECRET_KEY": environ.get("MOTCUA_SECRET_KEY") or None,
        # The address citizens reach the platform at (the receipt's QR code opens the lookup
        # page there).
        "MOTCUA_PUBLIC_URL": (environ.get("MOTCUA_PUBLIC_URL") or "http://127.0.0.1:5000").rstrip(
            "/"
        ),
        # Signed results: the folder of each agency's key and certificate (`<agency code>.p12`)
        # and the demo CA's certificate (the trust root of `POST /api/verify`); unset, the
        # instance folder's `signing/`. The PKCS#12 files' password (empty for the demo).
        "MOTCUA_SIGNING_DIR": environ.get("MOTCUA_SIGNING_DIR") or None,
        "MOTCUA_SIGNING_PASSWORD": environ.get("MOTCUA_SIGNING_PASSWORD", ""),
    }
