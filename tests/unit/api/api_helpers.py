"""The API under test: a test client on the in-memory wiring (authenticated as an admin by
a bearer token), its store and clock, and helpers to make users and log them in."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from kefu.bootstrap import Platform
from kefu.service.security import Scope
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock

PASSWORD = "correct horse 正确"
CHEAP_HASHING: dict[str, Any] = {
    "password_time_cost": 1,
    "password_memory_kib": 64,
    "password_parallelism": 1,
}
"""Argon2 costs for tests (the defaults take tens of milliseconds per hash)."""


@dataclass
class Api:
    client: TestClient
    platform: Platform
    clock: ManualClock
    store: InMemoryUnitOfWorkFactory

    def event_count(self) -> int:
        return len(self.store.store.events)

    def user(
        self,
        username: str,
        role: str,
        *,
        sites: tuple[str, ...] = (),
        agent_id: str | None = None,
        password: str = PASSWORD,
    ) -> str:
        """Create a user directly through the security layer; returns its username."""
        self.platform.security.users.create(
            username=username, password=password, role=role, sites=sites, agent_id=agent_id
        )
        return username

    def token(self, username: str, *scopes: Scope) -> dict[str, str]:
        """Authorization headers with a new token of ``username`` (all its role's scopes
        by default)."""
        from kefu.service.security import ROLE_SCOPES, Role

        user = self.platform.security.users.get(username)
        wanted = list(scopes) or sorted(ROLE_SCOPES[Role(user.role)])
        _, secret = self.platform.security.credentials.issue_token(username, wanted)
        return {"Authorization": f"Bearer {secret}"}

    def anonymous(self, base_url: str = "http://testserver") -> TestClient:
        """A client of the same running app (on its event loop) without credentials."""
        browser = TestClient(self.platform.app, base_url=base_url)
        browser.portal = self.client.portal
        return browser

    def login(self, username: str, password: str = PASSWORD) -> TestClient:
        """A browser-like client logged in through the login form."""
        browser = self.anonymous()
        form = browser.get("/login")
        assert form.status_code == 200, form.text
        done = browser.post(
            "/login",
            data={
                "username": username,
                "password": password,
                "csrf_token": csrf_of(form.text),
            },
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        return browser


def csrf_of(page: str) -> str:
    """The CSRF token in a page's form."""
    import re

    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


MakeApi = Callable[..., AbstractContextManager[Api]]
"""The ``make_api`` fixture: ``with make_api(**settings) as api: ...``."""
