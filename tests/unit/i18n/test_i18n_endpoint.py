"""``GET /i18n/{lang}.json``: the catalogs as the pages load them."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from kefu.api.errors import install_error_handlers
from kefu.i18n import catalogs
from kefu.web.i18n import I18nRoutes


def _client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(I18nRoutes().router)
    return TestClient(app)


def test_given_a_page_code_when_its_catalog_is_asked_then_json_with_plural_categories() -> None:
    with _client() as client:
        answer = client.get("/i18n/zh.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert (body["language"], body["bcp47"]) == ("zh_Hans", "zh-Hans")
    assert body["messages"]["chat.open"] == "在线客服"
    assert set(body["messages"]["chat.queued"]) == {"other"}
    english = client.get("/i18n/en.json").json()["messages"]["chat.queued"]
    assert set(english) == {"one", "other"} and english["one"].endswith("minute.")


def test_given_the_catalog_hash_when_asked_then_immutable_else_revalidated_by_etag() -> None:
    version = catalogs().version
    with _client() as client:
        fixed = client.get(f"/i18n/en.json?v={version}")
        loose = client.get("/i18n/en.json?v=old")
        again = client.get("/i18n/en.json", headers={"If-None-Match": loose.headers["etag"]})
    assert "immutable" in fixed.headers["cache-control"]
    assert loose.headers["cache-control"] == "no-cache"
    assert again.status_code == 304 and again.content == b""
    assert fixed.headers["access-control-allow-origin"] == "*"


def test_given_an_unknown_language_when_asked_then_404_with_its_reason() -> None:
    with _client() as client:
        answer = client.get("/i18n/xx-nope.json")
    assert answer.status_code == 404
    assert answer.json()["error_id"] == "unknown_language"
