"""The report pages' pure parts: the query string read into a form, the chart, and the
catalog keys the templates build from names."""

from __future__ import annotations

import pytest

from kefu.analytics.history import DIMENSIONS
from kefu.domain.errors import ValidationError
from kefu.i18n import catalogs
from kefu.web.report_chart import Bar, level_bars, stacked_bars
from kefu.web.report_form import PERIODS, read_form
from kefu.web.report_views import COLUMNS

NOW = 1_767_600_000.0  # 2026-01-05 16:00 Asia/Shanghai
TZ = "Asia/Shanghai"


def test_given_no_dates_then_the_last_seven_days_up_to_today_included() -> None:
    form = read_form({}, now=NOW, timezone=TZ)
    assert (form.since_text, form.until_text) == ("2025-12-30", "2026-01-06")
    assert form.until - form.since == 7 * 86_400
    assert form.period == "day" and form.group_by == () and form.sort == "start"
    today = read_form({"days": ["1"]}, now=NOW, timezone=TZ)
    assert (today.since_text, today.until_text) == ("2026-01-05", "2026-01-06")


def test_given_groups_and_an_offset_time_then_read_as_given() -> None:
    form = read_form(
        {
            "since": ["2026-01-05T08:00:00+08:00"],
            "until": ["2026-01-05T09:00"],
            "group": ["queue,agent", "queue"],
            "sort": ["aht_s"],
            "order": ["desc"],
            "period": ["interval:15"],
        },
        now=NOW,
        timezone=TZ,
    )
    assert form.since == 1_767_571_200.0 and form.until == form.since + 3600
    assert form.group_by == ("queue", "agent") and form.descending
    assert "group=queue&group=agent" in form.query_string()
    assert "sort=offered" in form.query_string(sort="offered")


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"since": ["soon"]}, "error.report_instant"),
        ({"period": ["interval:7"]}, "error.report_period"),
        ({"group": ["team"]}, "error.report_group"),
        ({"since": ["2026-01-05"], "until": ["2026-01-04"]}, "error.period_order"),
        ({"since": ["2020-01-01"], "until": ["2026-01-01"]}, "error.report_range"),
    ],
)
def test_given_bad_input_then_refused_with_its_catalog_key(
    params: dict[str, list[str]], key: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        read_form(params, now=NOW, timezone=TZ)
    assert refused.value.text_key == key
    for language in ("en", "zh_Hans"):
        assert catalogs().get(language).text(key, **refused.value.details) != key


def test_given_the_names_the_templates_build_keys_from_then_every_key_is_in_both_catalogs() -> None:
    keys = [f"reports.col.{c}" for c, _ in COLUMNS] + ["reports.col.start"]
    keys += [f"reports.dim.{d}" for d in DIMENSIONS]
    keys += [f"reports.period.{p.replace(':', '_')}" for p in PERIODS]
    keys += [f"reports.outcome.{o}" for o in ("answered", "abandoned", "waiting")]
    keys += [f"reports.source.{s}" for s in ("projection", "events")]
    for language in ("en", "zh_Hans"):
        messages = catalogs().get(language).messages
        assert [k for k in keys if not messages.get(k)] == [], language


def test_given_labels_with_markup_then_the_charts_escape_them() -> None:
    svg = stacked_bars("<b>", [Bar("<script>x</script>", (1.0, 2.0, 0.0))], ["a", "b", "c"])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and svg.count("<rect") == 2 + 3
    level = level_bars("t", [("q<1>", 0.9), ("q2", 0.5), ("q3", None)], 0.8)
    assert "q&lt;1&gt;" in level and level.count("#2f7d32") == 1 and level.count("#c62828") == 1
