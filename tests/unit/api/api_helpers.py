"""The API under test: a test client on the in-memory wiring, and its store and clock."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from kefu.bootstrap import Platform
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock


@dataclass
class Api:
    client: TestClient
    platform: Platform
    clock: ManualClock
    store: InMemoryUnitOfWorkFactory

    def event_count(self) -> int:
        return len(self.store.store.events)
