"""``/api/v1/teams`` and what teams change: admins write (audited, before/after), supervisors
read the teams of their sites (another site's: 404), agents are refused; bad input is a 422
naming the field and stores nothing; teams come back after a restart; a case given to a
team must be given to a real team, and shows in its members' "team" list only; scorecards
show one team's agents (``/reports/agents?team=``)."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import Api, csrf_of
from fastapi.testclient import TestClient

from kefu.bootstrap import build_test
from kefu.config import Settings
from kefu.service.cases import team_owners
from kefu.service.teams import TeamBook

V1 = "/api/v1"
CARDS: dict[str, Any] = {
    "team_id": "cards-2",
    "name": "卡务二组",
    "site_id": "sh",
    "leader": "lead",
    "members": ["a1", "a2"],
}


@pytest.fixture
def teams(center: Api) -> Api:
    """The center with supervisors of sh and bj and agent users of a1 and a2 (sh)."""
    center.user("lead", "supervisor", sites=("sh",))
    center.user("bjlead", "supervisor", sites=("bj",))
    center.user("ann", "agent", sites=("sh",), agent_id="a1")
    center.user("bob", "agent", sites=("sh",), agent_id="a2")
    return center


def _book(api: Api) -> TeamBook:
    book: TeamBook = api.platform.app.state.teams
    return book


def test_given_roles_and_sites_when_teams_are_written_and_read_then_each_gets_its_rights(
    teams: Api,
) -> None:
    c = teams.client
    lead, bjlead, ann = teams.token("lead"), teams.token("bjlead"), teams.token("ann")
    assert c.post(f"{V1}/teams", json=CARDS, headers=lead).status_code == 403
    assert c.post(f"{V1}/teams", json=CARDS, headers=ann).status_code == 403
    made = c.post(f"{V1}/teams", json=CARDS)
    assert made.status_code == 201, made.text
    assert made.headers["Location"] == f"{V1}/teams/cards-2"
    assert made.json() == {**CARDS, "leader": "lead"}
    assert c.get(f"{V1}/teams", headers=ann).status_code == 403
    assert [t["name"] for t in c.get(f"{V1}/teams", headers=lead).json()["teams"]] == ["卡务二组"]
    assert c.get(f"{V1}/teams", headers=bjlead).json()["teams"] == []
    assert c.get(f"{V1}/teams/cards-2", headers=bjlead).status_code == 404
    assert c.get(f"{V1}/teams/cards-2", headers=lead).json()["members"] == ["a1", "a2"]
    assert c.get(f"{V1}/teams/nope").json()["error_id"] == "unknown_team"
    assert c.put(f"{V1}/teams/cards-2/members", json={"members": []}, headers=lead).status_code == (
        403
    )
    # Refusals name the field and store nothing.
    events = teams.event_count()
    for change, field in (
        ({"team_id": "t2", "members": ["b1"]}, "members"),  # an agent of bj
        ({"team_id": "t2", "members": ["zz"]}, "members"),
        ({"team_id": "t2", "leader": "bjlead"}, "leader"),  # supervises bj only
        ({"team_id": "t2", "leader": "ann"}, "leader"),  # an agent
        ({"team_id": "t2", "site_id": "gz"}, "site_id"),
        ({"team_id": "t2", "name": "   "}, "name"),
    ):
        refused = c.post(f"{V1}/teams", json={**CARDS, **change})
        assert refused.status_code == 422, (change, refused.text)
        assert refused.json()["details"]["field"] == field, refused.text
    assert c.post(f"{V1}/teams", json={**CARDS, "team_id": "有空格 x"}).status_code == 422
    for taken in ("cards-2", "a1"):  # a team's id, an agent's id
        again = c.post(f"{V1}/teams", json={**CARDS, "team_id": taken})
        assert again.status_code == 409 and again.json()["error_id"] == "team_exists"
    assert teams.event_count() == events
    assert [t.team_id for t in _book(teams).teams()] == ["cards-2"]
    # Changes, audited with before and after.
    body = {"name": "卡务二组（夜班）", "site_id": "sh", "leader": None}
    assert c.put(f"{V1}/teams/cards-2", json=body).json()["members"] == ["a1", "a2"]
    assert c.put(f"{V1}/teams/nope", json=body).status_code == 404
    moved = c.put(f"{V1}/teams/cards-2", json={**body, "site_id": "bj"})
    assert moved.status_code == 422 and moved.json()["details"]["field"] == "members"
    done = c.put(f"{V1}/teams/cards-2/members", json={"members": ["a2", "a2"]})
    assert done.json()["members"] == ["a2"] and done.json()["leader"] is None
    audit = c.get(f"{V1}/audit", params={"action": "team.members"}).json()["items"]
    assert audit[0]["before"]["members"] == ["a1", "a2"] and audit[0]["after"]["members"] == ["a2"]
    assert c.get(f"{V1}/audit", params={"action": "team.create"}).json()["items"][0]["after"][
        "name"
    ] == ("卡务二组")


def test_given_teams_when_the_server_restarts_then_they_come_back(teams: Api) -> None:
    c = teams.client
    assert c.post(f"{V1}/teams", json=CARDS).status_code == 201
    other = {**CARDS, "team_id": "loans", "name": "房贷组", "members": ["a1"], "leader": None}
    assert c.post(f"{V1}/teams", json=other).status_code == 201
    assert c.put(f"{V1}/teams/cards-2/members", json={"members": ["a2"]}).status_code == 200
    assert c.delete(f"{V1}/teams/loans").status_code == 204
    before = c.get(f"{V1}/teams").json()
    again = build_test(Settings(env="test"), uow_factory=teams.store)
    with TestClient(again.app) as restarted:
        restarted.headers.update(teams.token("root"))
        assert restarted.get(f"{V1}/teams").json() == before
        assert before["teams"][0]["members"] == ["a2"] and len(before["teams"]) == 1
        book: TeamBook = again.app.state.teams
        assert (book.of_agent("a2"), book.of_agent("a1")) == (frozenset({"cards-2"}), frozenset())


def test_given_a_team_when_an_agent_takes_its_id_or_moves_site_then_teams_stay_true(
    teams: Api,
) -> None:
    c = teams.client
    assert c.post(f"{V1}/teams", json=CARDS).status_code == 201
    agent = {"agent_id": "cards-2", "site_id": "sh", "name": "张三", "skills": {"cards": 1}}
    taken = c.post(f"{V1}/agents", json=agent)
    assert taken.status_code == 409, taken.text
    assert taken.json()["error_id"] == "team_exists"
    assert "cards-2" not in [a["agent_id"] for a in c.get(f"{V1}/agents").json()["items"]]

    # a1 moves to Beijing: it leaves the Shanghai team, recorded like an admin's edit.
    moved = c.patch(f"{V1}/agents/a1", json={"site_id": "bj"})
    assert moved.status_code == 200, moved.text
    assert c.get(f"{V1}/teams/cards-2").json()["members"] == ["a2"]
    audit = c.get(f"{V1}/audit", params={"action": "team.members"}).json()["items"]
    assert audit[0]["before"]["members"] == ["a1", "a2"] and audit[0]["after"]["members"] == ["a2"]
    # a2 edited without a site change stays.
    assert c.patch(f"{V1}/agents/a2", json={"name": "李四"}).status_code == 200
    assert c.get(f"{V1}/teams/cards-2").json()["members"] == ["a2"]

    again = build_test(Settings(env="test"), uow_factory=teams.store)
    with TestClient(again.app) as restarted:
        restarted.headers.update(teams.token("root"))
        assert restarted.get(f"{V1}/teams/cards-2").json()["members"] == ["a2"]


def test_given_a_team_case_then_members_list_it_others_do_not_and_owners_must_be_teams(
    teams: Api,
) -> None:
    c = teams.client
    assert c.post(f"{V1}/teams", json={**CARDS, "members": ["a1"]}).status_code == 201

    def open_case(owner: dict[str, str]) -> Any:
        body = {"case_type": "inquiry", "title": "挂失补卡", "site_id": "sh", "owner": owner}
        return c.post(f"{V1}/cases", json=body)

    refused = open_case({"kind": "team", "id": "billing"})  # a queue's id, not a team
    assert refused.status_code == 422 and refused.json()["details"]["field"] == "owner"
    made = open_case({"kind": "team", "id": "cards-2"})
    assert made.status_code == 201, made.text
    case_id = made.json()["case_id"]

    def team_list(user: str) -> list[str]:
        found = c.get(f"{V1}/cases", params={"team": "true"}, headers=teams.token(user))
        assert found.status_code == 200, found.text
        return [x["case_id"] for x in found.json()["cases"]]

    assert team_list("ann") == [case_id]
    assert team_list("bob") == []
    bad = c.patch(f"{V1}/cases/{case_id}", json={"owner": {"kind": "team", "id": "nope"}})
    assert bad.status_code == 422 and bad.json()["details"]["field"] == "owner"
    # A team that owns an open case stays until the case goes to another owner.
    busy = c.delete(f"{V1}/teams/cards-2")
    assert busy.status_code == 409 and busy.json()["details"]["cases"] == 1
    c.patch(f"{V1}/cases/{case_id}", json={"owner": {"kind": "agent", "id": "a1"}})
    assert c.delete(f"{V1}/teams/cards-2").status_code == 204
    # An agent in no team keeps the older meaning: its skills and the queues it serves.
    agent = {"agent_id": "c9", "site_id": "sh", "skills": {"cards": 3}}
    assert c.post(f"{V1}/agents", json=agent).status_code == 201
    engine, book = teams.platform.engine, _book(teams)
    assert team_owners(engine, book, "c9") == {"cards"}
    c.post(f"{V1}/teams", json={**CARDS, "members": ["c9"]})
    assert team_owners(engine, book, "c9") == {"cards-2"}


def test_given_a_team_then_its_scorecard_shows_its_members_only(teams: Api) -> None:
    c = teams.client
    assert c.post(f"{V1}/teams", json={**CARDS, "members": ["a1"]}).status_code == 201
    one = c.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()["contact_id"]
    assert c.post(f"{V1}/agents/a1/state", json={"presence": "ready"}).status_code == 200
    offer = c.get(f"{V1}/contacts/{one}").json()["offer_id"]
    c.post(f"{V1}/contacts/{one}/accept", json={"offer_id": offer})
    teams.clock.advance(60)
    c.post(f"{V1}/contacts/{one}/complete", json={"disposition": "solved"})
    c.post(f"{V1}/contacts/{one}/end-wrapup")
    day = "since=2023-11-14&until=2023-11-16"
    page = teams.login("lead").get(f"/reports/agents?{day}&team=cards-2&lang=zh")
    assert page.status_code == 200, page.text
    assert 'data-agent="a1"' in page.text and 'data-agent="a2"' not in page.text
    assert "团队：卡务二组" in page.text
    total = page.text.split('id="team-total"')[1].split("</tr>")[0]
    assert "团队合计" in total and "<td>1</td>" in total  # a1's one contact
    assert teams.login("lead").get(f"/reports/agents?{day}").text.count("data-agent=") == 2
    assert teams.login("bjlead").get("/reports/agents?team=cards-2").status_code == 404
    assert teams.login("lead").get("/reports/agents?team=nope").status_code == 404


def _post(browser: TestClient, path: str, data: dict[str, Any]) -> Any:
    token = csrf_of(browser.get("/admin").text)
    return browser.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def test_given_the_console_then_admins_make_teams_and_supervisors_read_their_sites(
    teams: Api,
) -> None:
    admin = teams.login("root")
    form = {"team_id": "night", "name": "夜班组", "site_id": "sh", "leader": "lead"}
    refused = _post(admin, "/admin/teams?lang=zh", {**form, "members": ["a1", "b1"]})
    assert refused.status_code == 422 and 'data-field="members"' in refused.text
    assert "座席 b1 不属于站点 sh" in refused.text and _book(teams).get("night") is None
    made = _post(admin, "/admin/teams", {**form, "members": ["a1", "a2"]})
    assert made.status_code == 303 and "notice=created" in made.headers["location"]
    edited = _post(admin, "/admin/teams", {**form, "mode": "update", "members": ["a2"]})
    assert edited.status_code == 303
    night = _book(teams).team("night")
    assert (night.name, night.leader, night.members) == ("夜班组", "lead", ("a2",))
    page = teams.login("lead").get("/admin/teams")
    assert page.status_code == 200 and 'data-team="night"' in page.text
    assert 'id="team-form"' not in page.text  # read only
    assert 'data-team="night"' not in teams.login("bjlead").get("/admin/teams").text
    assert teams.login("ann").get("/admin/teams").status_code == 403
    assert _post(teams.login("lead"), "/admin/teams/night/remove", {}).status_code == 403
    assert _post(admin, "/admin/teams/night/remove", {}).status_code == 303
    assert _book(teams).get("night") is None
