"""The executive dashboard's volume forecast against actual per day: five weeks of a steady
two contacts a day in billing (sh), then the current week is forecast from the 28 days
before its Monday and compared with what came; days not over have no actual; another
site's supervisor sees no billing volume."""

from __future__ import annotations

import re

from api_helpers import Api

V1 = "/api/v1"
DAY_S = 86_400.0


def _row(page: str, day: str) -> dict[str, str]:
    found = re.search(rf'<tr data-day="{day}">(.*?)</tr>', page)
    assert found, day
    cells = dict(re.findall(r'<td class="(forecast|actual|error)">([^<]*)</td>', found.group(1)))
    return cells


def test_given_steady_traffic_when_the_dashboard_opens_then_forecast_meets_actual_per_day(
    center: Api,
) -> None:
    c, clock = center.client, center.clock
    center.user("boss", "admin")
    center.user("bjsup", "supervisor", sites=("bj",))
    # The clock starts on Wednesday 2023-11-15 06:13:20 in Shanghai; 35 days of traffic.
    for _day in range(35):
        clock.advance(4 * 3600)  # about 10:13 local
        for _ in range(2):
            made = c.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()
            clock.advance(30)
            assert c.post(f"{V1}/contacts/{made['contact_id']}/abandon").status_code == 200
        clock.advance(DAY_S - 4 * 3600 - 60)
    # now: Wednesday 2023-12-20, 06:13 local; the week shown starts Monday 2023-12-18
    boss = center.login("boss")
    assert 'id="show-volume"' in boss.get("/reports/executive?weeks=1").text  # when asked
    page = boss.get("/reports/executive?weeks=1&volume=1&lang=zh")
    assert page.status_code == 200, page.text[:500]
    assert "来量：预测与实际" in page.text
    assert len(re.findall(r'<tr data-day="', page.text)) == 7
    for day in ("2023-12-18", "2023-12-19"):
        row = _row(page.text, day)
        assert (row["forecast"], row["actual"]) == ("2", "2"), (day, row)
        assert row["error"] in ("+0 %", "-0 %"), row
    today = _row(page.text, "2023-12-20")
    assert today["actual"] == "–" and today["forecast"] == "2"
    assert _row(page.text, "2023-12-24")["actual"] == "–"
    mae = re.search(r'id="volume-mae">([^<]*)<', page.text)
    assert mae and mae.group(1).strip() in ("0 %", "0.0 %", "0%", "0.0%"), mae.group(1)
    other = center.login("bjsup").get("/reports/executive?weeks=1&volume=1")
    assert other.status_code == 200
    assert _row(other.text, "2023-12-18") == {"forecast": "–", "actual": "–", "error": "–"}
