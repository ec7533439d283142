"""``/reports?group=team``: the report run by agent, each agent's row added to each team it
belongs to now (an agent of two teams counts whole in both); contacts no agent took are the
row ``-``; the total counts each contact once; no drill-down on team rows; the CSV export
per interval is by team too."""

from __future__ import annotations

import csv
import io
import re

import pytest
from api_helpers import Api

V1 = "/api/v1"
DAY = "since=2023-11-15&until=2023-11-16&period=day"


def _handle(api: Api, agent: str) -> None:
    c = api.client
    assert c.post(f"{V1}/agents/{agent}/state", json={"presence": "ready"}).status_code == 200
    made = c.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()
    assert made["agent_id"] == agent, made
    cid = made["contact_id"]
    c.post(f"{V1}/contacts/{cid}/accept", json={"offer_id": made["offer_id"]})
    api.clock.advance(60)
    c.post(f"{V1}/contacts/{cid}/complete", json={"disposition": "solved"})
    c.post(f"{V1}/contacts/{cid}/end-wrapup")
    pause = {"presence": "not_ready", "reason": "lunch"}
    assert c.post(f"{V1}/agents/{agent}/state", json=pause).status_code == 200


@pytest.fixture
def teams(center: Api) -> Api:
    """a1 in cards and loans, a2 in loans; a1 and a2 each handle one contact, and one
    contact is abandoned before anyone takes it."""
    c = center.client
    for team_id, members in (("cards", ["a1"]), ("loans", ["a1", "a2"])):
        body = {"team_id": team_id, "name": team_id, "site_id": "sh", "members": members}
        assert c.post(f"{V1}/teams", json=body).status_code == 201
    center.user("sup", "supervisor", sites=("sh",))
    _handle(center, "a1")
    _handle(center, "a2")
    lost = c.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()["contact_id"]
    center.clock.advance(40)
    assert c.post(f"{V1}/contacts/{lost}/abandon").status_code == 200
    return center


def _groups(page: str) -> dict[str, dict[str, str]]:
    body = page.split('<table id="groups">', 1)[1].split("</table>", 1)[0]
    out = {}
    for line in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        label = re.search(r'<td class="label">([^<]*)</td>', line)
        if label:
            cells = re.findall(r'<td data-col="(\w+)">(.*?)</td>', line, re.S)
            out[label.group(1)] = {k: re.sub(r"<[^>]+>", "", v).strip() for k, v in cells}
    return out


def test_given_agents_in_teams_when_reported_by_team_then_each_agent_counts_in_each_team(
    teams: Api,
) -> None:
    page = teams.login("sup").get(f"/reports?{DAY}&group=team&lang=zh")
    assert page.status_code == 200, page.text[:400]
    groups = _groups(page.text)
    assert set(groups) == {"cards", "loans", "-"}
    assert (groups["cards"]["answered"], groups["loans"]["answered"]) == ("1", "2")
    assert groups["-"]["abandoned"] == "1" and groups["-"]["answered"] == "0"
    total = page.text.split('id="total"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'data-col="answered">(<a[^>]*>)?2<', total)  # each contact once
    assert 'id="team-rule"' in page.text and "当前所属的每个团队" in page.text
    groups_table = page.text.split('<table id="groups">', 1)[1].split("</table>", 1)[0]
    assert "/reports/contacts?" not in groups_table  # no drill-down by team
    assert 'name="group" value="team" checked' in page.text


def test_given_group_team_when_exported_per_interval_then_the_csv_is_by_team(teams: Api) -> None:
    answer = teams.login("sup").get(f"/reports/export?{DAY}&group=team&format=csv")
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert "team" in rows[0], rows[0].keys()
    assert sorted(r["team"] for r in rows if r["team"]) == ["-", "cards", "loans"]


def test_given_a_bad_group_with_team_then_400_names_it(teams: Api) -> None:
    answer = teams.login("sup").get(f"/reports?{DAY}&group=team,colour")
    assert answer.status_code == 400 and "colour" in answer.text


def test_given_no_grouping_when_the_report_is_shown_then_every_row_has_the_header_s_columns(
    teams: Api,
) -> None:
    page = teams.login("sup").get(f"/reports?{DAY}&lang=zh")
    assert page.status_code == 200, page.text[:400]
    body = page.text.split('<table id="groups">', 1)[1].split("</table>", 1)[0]
    head = body.split("</thead>", 1)[0]
    lines = re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("</thead>", 1)[1], re.S)
    widths = {len(re.findall(r"<td[ >]", line)) for line in lines}
    assert len(lines) == 2 and widths == {len(re.findall(r"<th[ >]", head))}, widths
