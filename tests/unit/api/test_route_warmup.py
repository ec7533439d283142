"""A server's app builds every route when it starts (:mod:`kefu.api.warmup`), before the
server freezes what exists then out of the collector's full passes: its first requests
build none. A test's app does not (each would pay a fraction of a second)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from api_helpers import CHEAP_HASHING
from fastapi._compat import ModelField
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


@contextmanager
def _route_fields_made() -> Iterator[list[int]]:
    """Counts the route fields FastAPI makes while open (one per parameter and body of each
    route; every one passes through ``ModelField.__post_init__``). Counting them as they are
    made, rather than those alive by a scan of ``gc.get_objects()``, also sees a field made
    and dropped, and costs nothing: the scan took 25 s in a test worker's grown heap."""
    made = [0]
    original = ModelField.__post_init__

    def counting(field: ModelField) -> None:
        made[0] += 1
        original(field)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ModelField, "__post_init__", counting)
        yield made


def _built_by_first_requests(platform: Platform) -> int:
    with TestClient(platform.app) as client, _route_fields_made() as made:
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/v1/sites").status_code == 401
        assert client.post("/api/v1/contacts", json={}).status_code == 401
        assert client.get("/no/such/page").status_code == 404
        return made[0]


def test_given_a_server_app_when_it_starts_then_its_first_requests_build_no_route() -> None:
    assert _built_by_first_requests(_platform(warm_up_routes=True)) == 0


def test_given_a_test_app_when_it_starts_then_its_first_requests_build_the_routes() -> None:
    assert _built_by_first_requests(_platform(warm_up_routes=False)) > 0


def test_given_an_app_when_warmed_then_the_request_no_route_serves_is_answered_404() -> None:
    platform = _platform(warm_up_routes=False)
    with _route_fields_made() as made:
        assert asyncio.run(warm_routes(platform.app.router)) == 404
    assert made[0] > 0
