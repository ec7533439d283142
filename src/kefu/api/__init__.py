"""The HTTP API (FastAPI): ``create_app(settings, engine)``."""

from kefu.api.app import create_app

__all__ = ["create_app"]
