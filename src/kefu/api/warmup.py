"""The routes built at start rather than by the first requests.

FastAPI builds the routes of an included router the first time a request walks past them.
Built by the first requests, those objects (about 20,000: fields, validators, dependency
graphs) are made after the start's ``gc.freeze()`` (:func:`kefu.cli.runtime.tune_runtime`),
so every full pass of the collector scans them again, and those passes pause the event loop
for longer (p99 of create→queued in ``bench/server.py``). One request that no route serves
walks them all at start, before the freeze.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Scope

__all__ = ["WARM_UP_PATH", "warm_routes"]

WARM_UP_PATH = "/.well-known/kefu-warm-up"
"""A path no route serves: its request walks every route and is answered 404."""


async def warm_routes(router: ASGIApp) -> int:
    """Send ``router`` (an app's router, inside its middleware) one GET that no route
    serves, so every route is built; the status it answered (404)."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": WARM_UP_PATH,
        "raw_path": WARM_UP_PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": None,
        "server": None,
    }
    status = [0]

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status[0] = int(message["status"])

    await router(scope, receive, send)
    return status[0]
