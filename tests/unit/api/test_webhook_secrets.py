"""Webhook secrets as data (``/admin/webhooks``, admins only): a created secret is shown
once, verifies signed webhooks at once (no restart, none configured), survives a restart
(derived again from the server's key and the logged salt, never stored itself), and a
revoked one no longer verifies; creation and revocation are audited."""

from __future__ import annotations

import json
import re

from api_helpers import MakeApi, csrf_of
from fastapi.testclient import TestClient

from kefu.adapters.channels.signing import signed_headers
from kefu.bootstrap import build_test
from kefu.config import Settings

V1 = "/api/v1"
KEY = "k" * 48
URL = f"{V1}/channels/webhook"


def _sms(n: int) -> bytes:
    body = {"type": "sms", "message_id": f"p-{n}", "from": "13800138000", "text": "你好"}
    return json.dumps(body).encode()


def test_given_an_admin_creates_a_secret_then_it_verifies_once_shown_and_revocable(
    make_api: MakeApi,
) -> None:
    with make_api(secret_key=KEY) as api:
        c = api.client
        c.post(f"{V1}/sites", json={"site_id": "sh", "name": "sh"})
        c.post(f"{V1}/queues", json={"queue_id": "sms", "site_id": "sh", "channel": "sms"})
        api.user("boss", "admin")
        api.user("sup", "supervisor", sites=("sh",))
        now = api.clock.now()
        assert (
            c.post(
                URL, content=_sms(1), headers=signed_headers(b"x" * 32, _sms(1), now)
            ).status_code
            == 404
        )
        admin = api.login("boss")
        token = csrf_of(admin.get("/admin/webhooks").text)
        made = admin.post("/admin/webhooks", data={"csrf_token": token, "name": "短信服务商"})
        assert made.status_code == 200
        secret = re.search(r'<code id="secret">([0-9a-f]{64})</code>', made.text)
        assert secret, made.text[:500]
        listed = admin.get("/admin/webhooks").text
        assert secret.group(1) not in listed and "短信服务商" in listed  # shown once
        good = signed_headers(secret.group(1).encode(), _sms(2), now)
        accepted = c.post(URL, content=_sms(2), headers=good)
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        forged = signed_headers(b"y" * 64, _sms(3), now)
        assert c.post(URL, content=_sms(3), headers=forged).status_code == 401
        assert api.login("sup").get("/admin/webhooks").status_code == 403
        audit = c.get(f"{V1}/audit", params={"action": "webhook_secret."}).json()["items"]
        assert audit[0]["after"]["name"] == "短信服务商"
        assert secret.group(1) not in json.dumps(audit)
        again = build_test(Settings(env="test", secret_key=KEY), uow_factory=api.store)
        with TestClient(again.app):
            kept = again.app.state.channel_server.keys()
            assert kept == (secret.group(1).encode(),)
        key_id = re.search(r'data-key="(wh-[0-9a-f]+)"', listed)
        assert key_id
        revoked = admin.post(
            f"/admin/webhooks/{key_id.group(1)}/revoke",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert revoked.status_code == 303
        late = signed_headers(secret.group(1).encode(), _sms(4), now)
        assert c.post(URL, content=_sms(4), headers=late).status_code == 404
        again_revoked = admin.post(
            f"/admin/webhooks/{key_id.group(1)}/revoke?lang=zh", data={"csrf_token": token}
        )
        assert again_revoked.status_code == 404 and "没有有效的 Webhook 密钥" in again_revoked.text
        bad = admin.post("/admin/webhooks?lang=zh", data={"csrf_token": token, "name": " "})
        assert bad.status_code == 422 and "名称须有 1 到 64 个字符" in bad.text
