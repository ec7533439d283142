"""``/api/v1/ivr/flows``: drafts, publication with the linter, rollback, admins only."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import Api, MakeApi
from golden_helpers import PUBLISHED_MASKS, check_golden, compact

from kefu.adapters.ivr.wiring import BANK_FLOW
from kefu.service.ivr import IvrWing

BANK_YAML = (Path(__file__).resolve().parents[3] / "examples" / "ivr" / "bank.yaml").read_text(
    encoding="utf-8"
)
EDITED = BANK_YAML.replace("欢迎致电客服银行。", "欢迎致电客服银行（新版）。")
BROKEN = (
    EDITED
    + """
  orphan:
    kind: message
    text: {zh: 没人来, en: Nobody comes here}
    next: agent
"""
)
URL = "/api/v1/ivr/flows"


@pytest.fixture
def ivr_api(make_api: MakeApi) -> Api:
    with make_api(max_body_bytes=1 << 20) as api:
        yield api  # type: ignore[misc]


def _wing(api: Api) -> IvrWing:
    wing = api.platform.ivr
    assert wing is not None
    return wing


def test_given_an_edited_bank_flow_when_published_then_new_contacts_get_it_and_rollback_restores(
    ivr_api: Api,
) -> None:
    c = ivr_api.client
    flows = c.get(URL)
    check_golden("ivr_flows.json", flows.text, *PUBLISHED_MASKS)
    listed = {f["flow_id"]: f for f in flows.json()}
    assert listed["bank"]["published"] == 1  # the file, loaded at start
    saved = c.put(f"{URL}/bank/draft", json={"source": EDITED})
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"version": 2, "issues": []}
    assert _wing(ivr_api).catalog.published("bank").version == 1  # a draft serves nobody
    published = c.post(f"{URL}/bank/publish", json={})
    check_golden("ivr_published.json", published.text)
    assert published.json() == {"published": 2}
    welcome = _wing(ivr_api).catalog.published("bank").nodes["welcome"]
    assert "新版" in welcome.text["zh"]  # type: ignore[attr-defined]
    assert c.post(f"{URL}/bank/rollback").json() == {"published": 1}
    assert _wing(ivr_api).catalog.published("bank").version == 1
    detail_answer = c.get(f"{URL}/bank")
    detail = detail_answer.json()
    assert compact(detail) == detail_answer.text  # so the golden below is the answer's text
    # Each version's source and document are the example file's: left out of the golden.
    shown = {**detail, "versions": [{**v, "source": "…", "flow": "…"} for v in detail["versions"]]}
    check_golden("ivr_flow_detail.json", compact(shown), *PUBLISHED_MASKS)
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    assert detail["versions"][0]["source"] == EDITED
    changes = [(ch["kind"], ch["version"], ch["by"]) for ch in detail["changes"]]
    assert changes == [
        ("saved", 1, "files"),
        ("published", 1, "files"),
        ("saved", 2, "root"),
        ("published", 2, "root"),
        ("rolled_back", 1, "root"),
    ]
    audit = c.get("/api/v1/audit", params={"target_type": "ivr_flow"}).json()["items"]
    actions = sorted(e["action"] for e in audit if e["target_id"] == "bank")
    assert actions == ["ivr_flow.publish", "ivr_flow.rollback", "ivr_flow.save"]


def test_given_a_flow_with_lint_errors_when_published_then_422_with_reasons(
    ivr_api: Api,
) -> None:
    c = ivr_api.client
    saved = c.put(f"{URL}/bank/draft", json={"source": BROKEN})
    assert saved.status_code == 200
    check_golden("ivr_draft_saved_lint.json", saved.text)
    assert {i["code"] for i in saved.json()["issues"]} >= {"unreachable"}
    refused = c.post(f"{URL}/bank/publish", json={})
    assert refused.status_code == 422
    body = refused.json()
    assert body["error_id"] == "invalid_flow"
    check_golden("ivr_publish_refused.json", refused.text)
    assert any(i["node_id"] == "orphan" for i in body["details"]["issues"])
    assert _wing(ivr_api).catalog.published("bank").version == 1


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ("nodes: [unclosed", "source"),
        ("- a list", "source"),
        (BANK_YAML.replace("flow: bank", "flow: other"), "flow"),
        ("flow: bank\nstart: nowhere\nnodes: {}\n", None),
    ],
)
def test_given_bad_text_when_saved_then_422_and_nothing_changes(
    ivr_api: Api, source: str, field: str | None
) -> None:
    before = ivr_api.event_count()
    refused = ivr_api.client.put(f"{URL}/bank/draft", json={"source": source})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error_id"] == "invalid_flow"
    if field is not None:
        assert refused.json()["details"]["field"] == field
    assert _wing(ivr_api).catalog.history("bank").draft is None
    assert ivr_api.event_count() == before


def test_given_nothing_earlier_or_unknown_when_rolled_back_then_404(ivr_api: Api) -> None:
    c = ivr_api.client
    assert c.post(f"{URL}/bank/rollback").status_code == 404
    assert c.get(f"{URL}/nope").status_code == 404
    assert c.post(f"{URL}/bank/publish", json={}).status_code == 404  # no draft


def test_given_a_supervisor_when_changing_flows_then_403(ivr_api: Api) -> None:
    c = ivr_api.client
    assert c.post("/api/v1/sites", json={"site_id": "sh", "name": "上海"}).status_code == 201
    ivr_api.user("sup", "supervisor", sites=("sh",))
    headers = ivr_api.token("sup")
    assert c.get(URL, headers=headers).status_code == 403
    assert c.put(f"{URL}/bank/draft", json={"source": EDITED}, headers=headers).status_code == 403
    assert c.post(f"{URL}/bank/rollback", headers=headers).status_code == 403
    assert _wing(ivr_api).catalog.history("bank").draft is None


DAY = 86_400.0


def test_given_a_published_flow_when_the_period_passes_then_the_list_reminds_to_rederive(
    make_api: MakeApi,
) -> None:
    with make_api(max_body_bytes=1 << 20, ivr_rederivation_days=30) as api:
        c = api.client
        shipped = _wing(api).catalog.history("bank").publications[0][1]
        assert shipped == BANK_FLOW.stat().st_mtime  # a file's flow: published when written
        assert c.put(f"{URL}/bank/draft", json={"source": EDITED}).status_code == 200
        assert c.post(f"{URL}/bank/publish", json={}).status_code == 200
        t0 = api.clock.now()

        def bank() -> dict[str, object]:
            return next(f for f in c.get(URL).json() if f["flow_id"] == "bank")

        assert bank()["published_at"] == t0
        assert bank()["rederive_by"] == t0 + 30 * DAY
        assert bank()["rederivation_overdue_days"] is None
        api.clock.advance(30 * DAY - 1)
        assert bank()["rederivation_overdue_days"] is None
        api.clock.advance(1)
        assert bank()["rederivation_overdue_days"] == 0
        api.clock.advance(5.5 * DAY)
        assert bank()["rederivation_overdue_days"] == 5
        # Rolled back to the file's version: as old as the file, not renewed by the rollback.
        assert c.post(f"{URL}/bank/rollback").status_code == 200
        assert bank()["published_at"] == shipped
        assert c.put(f"{URL}/bank/draft", json={"source": EDITED}).status_code == 200
        assert c.post(f"{URL}/bank/publish", json={}).status_code == 200
        assert bank()["rederivation_overdue_days"] is None  # a new version starts again
