"""WebSocket plumbing shared by the pages and the chat gateway."""

from __future__ import annotations

from starlette.requests import HTTPConnection

__all__ = ["client_address"]


def client_address(connection: HTTPConnection) -> str:
    """The peer's address of a request or socket ("unknown" without one)."""
    return connection.client.host if connection.client else "unknown"
