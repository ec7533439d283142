"""A running app on the in-memory wiring with a seeded center for the channel tests: site
sh with two chat queues (billing, tech), an e-mail queue and a branch service; agents a1
and a2 (agent users with bearer tokens), a supervisor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels_server_helpers import Center, open_center


@pytest.fixture
def center() -> Iterator[Center]:
    with open_center() as made:
        yield made
