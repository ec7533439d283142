"""A server's app builds every route when it starts (:mod:`kefu.api.warmup`), before the
server freezes what exists then out of the collector's full passes: its first requests
build none. A test's app does not (each would pay a fraction of a second)."""

from __future__ import annotations

import asyncio
import gc

from api_helpers import CHEAP_HASHING
from fastapi.testclient import TestClient

from kefu.api.warmup import warm_routes
from kefu.bootstrap import Platform, build_platform
from kefu.config import Settings
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler


def _platform(*, warm_up_routes: bool) -> Platform:
    return build_platform(
        Settings(env="test", **CHEAP_HASHING),
        uow_factory=InMemoryUnitOfWorkFactory(),
        clock=ManualClock(1.7e9),
        scheduler=ManualScheduler(),
        warm_up_routes=warm_up_routes,
    )


def _route_fields() -> int:
    """The route fields alive (FastAPI makes one per parameter and body of each route)."""
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o).__name__ == "ModelField")


def _built_by_first_requests(platform: Platform) -> int:
    with TestClient(platform.app) as client:
        started = _route_fields()
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/v1/sites").status_code == 401
        assert client.post("/api/v1/contacts", json={}).status_code == 401
        assert client.get("/no/such/page").status_code == 404
        return _route_fields() - started


def test_given_a_server_app_when_it_starts_then_its_first_requests_build_no_route() -> None:
    assert _built_by_first_requests(_platform(warm_up_routes=True)) == 0


def test_given_a_test_app_when_it_starts_then_its_first_requests_build_the_routes() -> None:
    assert _built_by_first_requests(_platform(warm_up_routes=False)) > 0


def test_given_an_app_when_warmed_then_the_request_no_route_serves_is_answered_404() -> None:
    platform = _platform(warm_up_routes=False)
    before = _route_fields()
    assert asyncio.run(warm_routes(platform.app.router)) == 404
    assert _route_fields() > before
