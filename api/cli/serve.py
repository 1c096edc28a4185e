"""`motcua serve`: the API under gunicorn, a production-grade server, whatever the database
(the embedded SQLite default included), instead of Flask's development server."""

from __future__ import annotations

import os

import click
from flask.cli import with_appcontext


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    default=None,
    type=int,
    help="worker processes (default: 2 × cores + 1, at most 8)",
)
@click.option("--timeout", default=30, show_default=True, type=int, help="seconds per request")
@with_appcontext
def serve(host, port, workers, timeout):
    """Serve the API with gunicorn (sync workers, each with its own database connections)."""
    from gunicorn.app.base import BaseApplication

    from ..app import create_app

    workers = workers or min(2 * (os.cpu_count() or 1) + 1, 8)

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("timeout", timeout)
            self.cfg.set("graceful_timeout", 10)
            # Our own request log replaces gunicorn's access log (see api/logs.py).
            self.cfg.set("accesslog", None)
            self.cfg.set("errorlog", "-")
            # gunicorn's control socket lives at one path per user: two servers on one machine
            # (a test beside `make serve`) would fight over it, and nothing here uses it.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self):
            app = create_app()
            if not app.config.get("REDIS_URL"):
                # No Redis: background work runs in the API processes, and each keeps a
                # relay for retries that are due.
                from ..jobs import RelayThread

                RelayThread(app, app.config["MOTCUA_RELAY_SECONDS"]).start()
            return app

    click.echo(f"motcua on http://{host}:{port} (gunicorn, {workers} workers; API docs: /api/docs)")
    Server().run()
