"""The admins' pages ``/admin/case-types`` and ``/admin/calendars``: an admin defines, updates
and retires a type from YAML and sets a site's hours and holidays through the forms (the
same commands as the API); bad input is shown again with the field at fault (422, nothing
stored); others are refused."""

from __future__ import annotations

from api_helpers import Api, csrf_of

V1 = "/api/v1"
NEW_TYPE = """type_id: card_dispute
kind: complaint
label_en: Card dispute
label_zh: 银行卡争议
fields:
  - {name: amount, kind: number, label_en: Amount, label_zh: 金额, required: true}
targets:
  - {tier: 0, first_response_h: 2, resolution_h: 18}
"""


def test_given_an_admin_when_using_the_case_type_page_then_types_are_defined_and_retired(
    center: Api,
) -> None:
    center.user("boss", "admin")
    browser = center.login("boss")
    page = browser.get("/admin/case-types?lang=zh")
    assert (
        page.status_code == 200 and "工单类型" in page.text and 'data-type="mortgage"' in page.text
    )
    token = csrf_of(page.text)
    saved = browser.post("/admin/case-types/save", data={"csrf_token": token, "source": NEW_TYPE},
                         follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303, saved.text
    made = center.client.get(f"{V1}/case-types/card_dispute").json()
    assert made["targets"][0]["resolution_h"] == 18 and made["needs_root_cause"]
    edited = NEW_TYPE.replace("resolution_h: 18", "resolution_h: 27")
    browser.post("/admin/case-types/save", data={"csrf_token": token, "source": edited})
    assert (
        center.client.get(f"{V1}/case-types/card_dispute").json()["targets"][0]["resolution_h"]
        == 27
    )
    before = center.event_count()
    bad = NEW_TYPE.replace("kind: number", "kind: colour")
    refused = browser.post("/admin/case-types/save", data={"csrf_token": token, "source": bad})
    assert refused.status_code == 422 and "fields.0" in refused.text and "colour" in refused.text
    garbage = browser.post("/admin/case-types/save", data={"csrf_token": token, "source": "[1"})
    assert garbage.status_code == 422 and center.event_count() == before
    retired = browser.post("/admin/case-types/card_dispute/retire", data={"csrf_token": token})
    assert retired.status_code == 200 and "The case type is retired." in retired.text
    assert center.client.get(f"{V1}/case-types/card_dispute").json()["retired"]


def test_given_an_admin_when_using_the_calendar_page_then_hours_and_holidays_are_set(
    center: Api,
) -> None:
    center.user("boss", "admin")
    browser = center.login("boss")
    page = browser.get("/admin/calendars?site=sh")
    assert page.status_code == 200 and 'data-own="no"' in page.text
    token = csrf_of(page.text)
    form = {"csrf_token": token, "time_zone": "Asia/Shanghai",
            **{f"hours_{d}": "09:00-12:00,13:00-18:00" for d in ("mon", "tue", "wed", "thu")},
            "hours_fri": "09:00-16:00", "hours_sat": "", "hours_sun": "",
            "holidays": "2026-10-01 国庆节\n2026-10-02",
            "workdays": "2026-10-11 09:00-17:00"}  # fmt: skip
    saved = browser.post("/admin/calendars/sh", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    read = center.client.get(f"{V1}/sites/sh/calendar").json()
    assert read["own"] and read["hours"]["fri"] == "09:00-16:00"
    assert read["holidays"] == [{"date": "2026-10-01", "name": "国庆节"},
                                {"date": "2026-10-02", "name": ""}]  # fmt: skip
    refused = browser.post(
        "/admin/calendars/sh", data={**form, "hours_mon": "09:00-13:00,12:00-18:00"}
    )
    assert refused.status_code == 422 and "hours.mon" in refused.text
    assert center.client.get(f"{V1}/sites/sh/calendar").json()["hours"]["mon"] != "09:00-13:00"


def test_given_others_when_opening_the_case_admin_pages_then_refused(center: Api) -> None:
    center.user("sup", "supervisor", sites=("sh",))
    for path in ("/admin/case-types", "/admin/calendars"):
        assert center.login("sup").get(path).status_code == 403
        assert center.anonymous().get(path, follow_redirects=False).status_code == 303
    center.user("boss", "admin")
    forged = center.login("boss").post("/admin/calendars/sh", data={"csrf_token": "x"})
    assert forged.status_code == 403
