"""Staffing plans: volumes files, required/scheduled agents, plan files and chart."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kefu.workforce.erlang import StaffingTarget, erlang_a, required_agents, service_level
from kefu.workforce.staffing import VolumeRow, build_plan, infer_interval_seconds
from kefu.workforce.staffing_chart import render_plan_chart
from kefu.workforce.staffing_io import (
    VolumesFormatError,
    parse_volumes_csv,
    read_plan_csv,
    read_volumes_csv,
    write_plan_csv,
    write_plan_json,
    write_volumes_csv,
)

START = datetime(2024, 3, 1, 8, 0)


def day(queue: str, peak: float, aht: float, minutes: int = 30, count: int = 8) -> list[VolumeRow]:
    return [
        VolumeRow(START + timedelta(minutes=minutes * i), queue, peak * (0.5 + i / count), aht)
        for i in range(count)
    ]


def test_given_volumes_when_written_and_read_then_round_trip_exactly(tmp_path: Path) -> None:
    rows = [*day("售后", 120.0, 185.5), *day("sales, west", 33.3, 240.25), *day('VIP "gold"', 0, 0)]
    path = write_volumes_csv(rows, tmp_path / "volumes.csv")
    assert read_volumes_csv(path) == rows


def test_given_bom_alias_and_extra_columns_when_parsed_then_read() -> None:
    text = "\ufeffInterval_Start,Queue,Contacts,AHT,note\n2024-03-01 08:00,售后,12,200,x\n"
    assert parse_volumes_csv(text) == [VolumeRow(START, "售后", 12.0, 200.0)]


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("interval_start,queue,contacts\n", 1, "aht_s", "missing column"),
        ("", None, None, "empty"),
        ("interval_start,queue,contacts,aht_s\n", None, None, "no data rows"),
        ("interval_start,queue,contacts,aht_s\n2024-03-01T08:00,q,-3,180\n", 2, "contacts", ">= 0"),
        (
            "interval_start,queue,contacts,aht_s\n2024-03-01T08:00,q,abc,180\n",
            2,
            "contacts",
            "number",
        ),
        ("interval_start,queue,contacts,aht_s\n2024-03-01T08:00,q,3,nan\n", 2, "aht_s", "finite"),
        ("interval_start,queue,contacts,aht_s\n2024-03-01T08:00,q,3,0\n", 2, "aht_s", "> 0"),
        ("interval_start,queue,contacts,aht_s\nmonday 8am,q,3,180\n", 2, "interval_start", "ISO"),
        ("interval_start,queue,contacts,aht_s\n2024-03-01T08:00,,3,180\n", 2, "queue", "empty"),
        ("interval_start,queue,contacts,aht_s\n2024-03-01T08:00,q,3\n", 2, None, "fields"),
        (
            "interval_start,queue,contacts,aht_s\n\n2024-03-01T08:00,q,3,180\n"
            "2024-03-01T08:00,q,4,180\n",
            4,
            None,
            "already has a row",
        ),
    ],
)
def test_given_malformed_csv_when_parsed_then_error_names_line_and_column(
    text: str, line: int | None, column: str | None, words: str
) -> None:
    with pytest.raises(VolumesFormatError, match=words) as info:
        parse_volumes_csv(text)
    assert info.value.line == line
    assert info.value.column == column
    if line is not None:
        assert f"line {line}" in str(info.value)


def test_given_rows_when_interval_inferred_then_smallest_gap_per_queue() -> None:
    assert infer_interval_seconds(day("a", 10, 100, minutes=15)) == 900.0
    assert infer_interval_seconds(day("a", 10, 100, minutes=60) + day("b", 5, 100, 30)) == 1800.0
    with pytest.raises(ValueError, match="single interval"):
        infer_interval_seconds([VolumeRow(START, "a", 1, 100), VolumeRow(START, "b", 1, 100)])


def test_given_sl_target_when_plan_built_then_each_row_is_the_erlang_c_answer() -> None:
    rows = day("售后", 120.0, 185.5) + day("sales", 40.0, 240.0)
    target = StaffingTarget(service_level=0.8, threshold=20.0)
    plan = build_plan(rows, target, shrinkage=0.3)
    assert plan.interval_seconds == 1800.0
    assert [r.queue for r in plan.rows] == ["sales"] * 8 + ["售后"] * 8
    for r in plan.rows:
        rate = r.contacts / 1800.0
        assert r.arrival_rate == pytest.approx(rate)
        assert r.traffic == pytest.approx(rate * r.aht)
        assert r.required == required_agents(rate, r.aht, service_level=0.8, threshold=20.0)
        assert r.scheduled == math.ceil(r.required / 0.7 - 1e-9)
        assert r.service_level == pytest.approx(service_level(r.traffic, r.required, r.aht, 20))
        assert r.service_level >= 0.8
        assert r.occupancy == pytest.approx(r.traffic / r.required)
        assert r.abandon is None


def test_given_shrinkage_when_scheduled_then_ceiling_of_required_over_available_share() -> None:
    plan = build_plan([VolumeRow(START, "q", 100.0, 180.0)], StaffingTarget(0.8), shrinkage=0.3,
                      interval_seconds=1800.0)  # fmt: skip
    (row,) = plan.rows
    assert row.scheduled == math.ceil(row.required / 0.7 - 1e-9) >= row.required


def test_given_patience_and_cap_when_plan_built_then_abandonment_predicted() -> None:
    target = StaffingTarget(service_level=0.8, abandon=0.03, patience=120.0)
    plan = build_plan(day("q", 200.0, 300.0), target, shrinkage=0.0)
    for r in plan.rows:
        m = erlang_a(r.arrival_rate, r.aht, 120.0, r.required, 20.0)
        assert r.abandon == pytest.approx(m.p_abandon) and r.abandon <= 0.03
        assert r.service_level >= 0.8
        assert r.scheduled == r.required
    assert plan.high_abandon_rows() == []


def test_given_impatient_callers_when_only_sl_targeted_then_high_abandon_rows_reported() -> None:
    target = StaffingTarget(service_level=0.8, threshold=20.0, patience=20.0)
    plan = build_plan(day("q", 900.0, 300.0), target)
    high = plan.high_abandon_rows()
    assert high and all(r.abandon is not None and r.abandon > 0.05 for r in high)


def test_given_zero_contacts_when_planned_then_no_agents() -> None:
    rows = [VolumeRow(START, "q", 0.0, 0.0), VolumeRow(START + timedelta(minutes=30), "q", 5, 180)]
    plan = build_plan(rows, StaffingTarget(service_level=0.8))
    assert (plan.rows[0].required, plan.rows[0].scheduled) == (0, 0)
    assert plan.rows[1].required >= 1


def test_given_shared_group_when_planned_then_pooling_note_in_both_languages() -> None:
    rows = day("售后", 50, 200) + day("sales", 20, 200) + day("vip", 5, 300)
    groups = {"售后": "general", "sales": "general", "vip": "vip"}
    plan = build_plan(rows, StaffingTarget(service_level=0.8), groups=groups)
    assert len(plan.notes) == 1
    assert "general" in plan.notes[0] and "simulator" in plan.notes[0] and "仿真" in plan.notes[0]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"shrinkage": -0.1}, "shrinkage"),
        ({"interval_seconds": 0.0}, "interval length"),
    ],
)
def test_given_bad_plan_arguments_when_built_then_value_error(kwargs: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        build_plan(day("q", 10, 100), StaffingTarget(service_level=0.8), **kwargs)


def test_given_plan_when_written_then_csv_round_trips_and_json_is_valid(tmp_path: Path) -> None:
    target = StaffingTarget(service_level=0.8, asa=30.0, patience=90.0)
    plan = build_plan(day("售后", 80.0, 200.0) + day("b", 10.0, 100.0), target, shrinkage=0.25)
    assert read_plan_csv(write_plan_csv(plan, tmp_path / "plan.csv")) == list(plan.rows)
    data = json.loads(write_plan_json(plan, tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert data["model"] == "erlang_a"
    assert data["target"]["patience"] == 90.0 and data["shrinkage"] == 0.25
    assert len(data["rows"]) == 16 and data["rows"][-1]["queue"] == "售后"
    assert data["totals"]["scheduled_agent_intervals"] == sum(r.scheduled for r in plan.rows)


def test_given_plan_when_charted_then_png_written(tmp_path: Path) -> None:
    plan = build_plan(day("售后", 80.0, 200.0) + day("b", 10.0, 100.0), StaffingTarget(0.8))
    out = render_plan_chart(plan, tmp_path / "plan.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_given_the_anonymous_bank_day_when_staffed_then_plan_is_consistent(
    shared_data: Path, tmp_path: Path
) -> None:
    """A real day: the bank's 1999-02-01 arrivals per 30 min (from 6-minute counts), the
    February mean service time of answered calls, 80 % within 20 s."""
    import csv

    with (shared_data / "anonymous_bank_1999_february.tsv").open(encoding="utf-8") as f:
        times = [int(r["ser_time"]) for r in csv.DictReader(f, delimiter="\t")
                 if r["outcome"] == "AGENT" and int(r["ser_time"]) > 0]  # fmt: skip
    aht = sum(times) / len(times)
    counts: dict[datetime, float] = {}
    with (shared_data / "anonymous_bank_1999_arrivals_6min.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["date"] == "1999-02-01":
                start = datetime.fromisoformat(f"{r['date']}T{r['interval_start']}")
                half_hour = start.replace(minute=start.minute // 30 * 30)
                counts[half_hour] = counts.get(half_hour, 0.0) + float(r["calls"])
    rows = [VolumeRow(t, "银行 bank", c, aht) for t, c in sorted(counts.items())]
    write_volumes_csv(rows, tmp_path / "bank.csv")
    rows = read_volumes_csv(tmp_path / "bank.csv")
    plan = build_plan(rows, StaffingTarget(service_level=0.8), shrinkage=0.3)
    assert plan.interval_seconds == 1800.0 and len(plan.rows) == 48
    busy = [r for r in plan.rows if r.contacts > 0]
    assert busy and all(r.required >= 1 and r.service_level >= 0.8 for r in busy)
    assert all(r.required > r.traffic for r in busy)  # Erlang C needs more agents than load
    peak = max(plan.rows, key=lambda r: r.contacts)
    assert 7 <= peak.interval_start.hour <= 17  # the bank's busy hours
    # With the callers' patience (they do hang up), fewer agents meet the same target.
    patient = build_plan(rows, StaffingTarget(service_level=0.8, patience=300.0))
    assert sum(r.required for r in patient.rows) <= sum(r.required for r in plan.rows)
