from __future__ import annotations

import pytest

from kefu.domain.model import Channel, QueueSpec
from kefu.domain.routing import Router, RouterConfig


@pytest.fixture
def router() -> Router:
    """A small center: a voice billing queue and a chat support queue."""
    r = Router(RouterConfig(offer_timeout_s=15.0))
    r.define_queue(QueueSpec("billing", Channel.VOICE, {"billing": 3}, wrapup_s=10.0), 0.0)
    r.define_queue(QueueSpec("support", Channel.CHAT, {"support": 1}, aht_s=120.0), 0.0)
    return r
