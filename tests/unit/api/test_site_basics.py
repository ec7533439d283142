"""What a first visit and an operator meet besides the pages: ``HEAD /``, a favicon, API
docs that need no CDN, an access log line per request (that can be switched off), and a
``.gitignore`` that keeps SQLite's side files out of commits; JSON nested too deep is a
400, never a 500."""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

import pytest
from api_helpers import Api, MakeApi

from kefu.api.middleware import ACCESS_LOGGER

ROOT = Path(__file__).resolve().parents[3]


def test_given_head_on_the_front_page_then_it_answers_like_get(api: Api) -> None:
    head = api.client.head("/", follow_redirects=False)
    get = api.client.get("/", follow_redirects=False)
    assert head.status_code == get.status_code == 303
    assert head.headers["location"] == get.headers["location"] == "/admin"  # an admin
    assert head.content == b""


def test_given_a_browser_asking_for_the_favicon_then_an_icon(api: Api) -> None:
    icon = api.client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # the ICO file signature
    assert api.client.head("/favicon.ico").status_code == 200


def test_given_the_api_docs_then_every_asset_is_served_by_kefu_itself(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, page.text
    assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    assert "cdn" not in page.text.lower()
    for source in sources:
        asset = api.client.get(source)
        assert asset.status_code == 200, source
    script = api.client.get("/docs-assets/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"] and len(script.content) > 100_000
    assert api.client.get("/redoc").status_code == 404  # ReDoc would load from a CDN


def test_given_requests_then_one_access_log_line_each_with_status_and_ms(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        api.client.get("/api/health")
        api.client.get("/api/v1/queues/nope?token=secret")
    lines = [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]
    assert len(lines) == 2, lines
    assert re.fullmatch(r"GET /api/health 200 \d+\.\d ms", lines[0])
    assert re.fullmatch(r"GET /api/v1/queues/nope 404 \d+\.\d ms", lines[1])  # no query


def test_given_the_access_log_switched_off_then_no_line(
    make_api: MakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    with make_api(access_log=False) as api, caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        assert api.client.get("/api/health").status_code == 200
    assert not [r for r in caplog.records if r.name == ACCESS_LOGGER]


@pytest.mark.parametrize("name", ["kefu.sqlite3-wal", "kefu.sqlite3-shm", "demo.sqlite3"])
def test_given_sqlite_side_files_then_git_ignores_them(name: str) -> None:
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", name], cwd=ROOT, check=False, timeout=30
    )
    assert done.returncode == 0, f"{name} is not ignored by .gitignore"


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_given_json_nested_30000_deep_when_posted_to_the_api_then_400_and_nothing_stored(
    make_api: MakeApi, opening: str
) -> None:
    closing = "]" if opening == "[" else "}"
    body = opening * 30_000 + "1" + closing * 30_000
    with make_api(max_body_bytes=1_000_000) as api:
        events = api.event_count()
        for path in ("/api/v1/sites", "/api/v1/contacts", "/api/v1/desktop/state"):
            answer = api.client.post(
                path, content=body, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 400, (path, answer.text)
            assert answer.json()["error_id"] == "bad_request"
        assert api.event_count() == events
