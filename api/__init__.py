"""The Flask adapter: app factory, models, persistence, HTTP resources and the CLI."""

from .app import create_app

__all__ = ["create_app"]
