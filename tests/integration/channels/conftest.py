"""Channel tests over real sockets: an asyncio loop in a background thread runs kefu's SMTP
listener and a second SMTP server that plays the relay (a sink receiving kefu's replies),
while the test talks to them with blocking ``smtplib``, as a mail client would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channel_helpers import DeskSink, LoopThread


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    runner = LoopThread()
    yield runner
    runner.close()


@pytest.fixture
def desk() -> DeskSink:
    return DeskSink()
