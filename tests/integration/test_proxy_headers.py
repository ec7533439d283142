"""``X-Forwarded-For`` is believed only from the proxies in ``KEFU_TRUSTED_PROXIES``: by
default a request from loopback cannot pose as another client address."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from fastapi import FastAPI, Request
from server_helpers import free_port

from kefu.cli.serve_cmd import make_server
from kefu.config import Settings


def client_seen(settings: Settings) -> str:
    """The client address an app served by ``kefu serve``'s uvicorn set-up sees, for a
    loopback request claiming to be forwarded for 203.0.113.9."""
    app = FastAPI()

    @app.get("/who")
    async def who(request: Request) -> str:
        return request.client.host if request.client else ""

    server = make_server(app, settings, log_level="warning")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                pytest.fail("the server did not start")
            time.sleep(0.05)
        answer = httpx.get(
            f"http://127.0.0.1:{settings.port}/who",
            headers={"X-Forwarded-For": "203.0.113.9"},
            timeout=5,
        )
        seen: str = answer.json()
        return seen
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_given_no_trusted_proxies_when_loopback_sends_x_forwarded_for_then_it_is_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    assert client_seen(Settings(env="test", port=free_port())) == "127.0.0.1"


def test_given_loopback_as_a_trusted_proxy_when_it_forwards_then_the_client_is_believed() -> None:
    settings = Settings(env="test", port=free_port(), trusted_proxies="127.0.0.1, ::1")
    assert client_seen(settings) == "203.0.113.9"


def test_given_the_compression_setting_when_the_server_is_made_then_uvicorn_takes_it() -> None:
    app = FastAPI()
    assert not make_server(app, Settings(env="test")).config.ws_per_message_deflate
    on = Settings(env="test", ws_compression=True)
    assert make_server(app, on).config.ws_per_message_deflate
