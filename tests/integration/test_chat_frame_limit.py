"""A served ``kefu serve`` refuses an oversized chat WebSocket frame at the server (1009)
before the chat reads it: nothing of it is buffered for the application."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_helpers import Server
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from kefu.adapters.channels.webchat.gateway import MAX_FRAME_BYTES, MAX_FRAME_CHARS
from kefu.adapters.storage import make_engine, sqlite_url, upgrade


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db = tmp_path / "chat.sqlite3"
    engine = make_engine(sqlite_url(str(db)))
    upgrade(engine)
    engine.dispose()
    running = Server(db)
    running.start()
    yield running
    running.stop()


def test_given_a_served_chat_when_a_frame_is_over_the_limit_then_the_server_closes_1009_unread(
    server: Server,
) -> None:
    url = f"ws://127.0.0.1:{server.port}/ws/chat"
    with connect(url, max_size=None, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        # Under the byte limit but over the characters the chat takes: the chat reads it
        # and answers with its own error.
        ws.send("中" * (MAX_FRAME_CHARS + 1))
        error = json.loads(ws.recv(timeout=10))
        assert error["code"] == "too_large"
    with connect(url, max_size=None, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        ws.send("x" * (MAX_FRAME_BYTES + 1))
        frames = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                frames.append(ws.recv(timeout=10))
        # The server's limit closed it, not the chat's own check (which answers first).
        assert frames == []
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
