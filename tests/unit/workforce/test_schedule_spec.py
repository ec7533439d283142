"""The shift-types YAML and the requirement CSV: parsing and clear validation errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from kefu.workforce.schedule import ScheduleError
from kefu.workforce.schedule_io import read_requirement_csv, requirement_from_series
from kefu.workforce.schedule_spec import (
    ShiftSpec,
    load_shift_spec,
    parse_duration,
    parse_shift_spec,
    parse_time,
    with_options,
)

H = 3600

SPEC = """
shift_types:
  - name: 早班
    start: 07:00
    length: 8h
    cost: 60
    max_agents: 30
    days: [周一, 周二, wed, thursday, 4]
    breaks:
      - {length: 30m, earliest: 3h, latest: 5h}
      - {length: 15m, at: 1h30m, paid: true}
  - name: 晚班 late
    start: {from: "14:00", to: 15:00, every: 30m}
    length: 6h30m
    days: weekend
standard:
  first_start: "18:00"
  last_end: "02:00"
  every: 1h
  lengths: [4h]
options:
  under_penalty: 500
  over_weight: 0.1
  max_concurrent_agents: 40
  cyclic: true
  break_step: 15m
  time_limit: 30s
"""


def _parse(text: str) -> ShiftSpec:
    return parse_shift_spec(yaml.safe_load(text), "spec.yaml")


def test_given_full_spec_with_chinese_names_then_every_field_is_read(tmp_path: Path) -> None:
    path = tmp_path / "shifts.yaml"
    path.write_text(SPEC, encoding="utf-8")
    spec = load_shift_spec(path)
    names = [t.name for t in spec.shift_types]
    assert names[:4] == ["早班", "晚班 late 14:00", "晚班 late 14:30", "晚班 late 15:00"]
    early = spec.shift_types[0]
    assert (early.start_s, early.length_s, early.cost, early.max_agents) == (7 * H, 8 * H, 60, 30)
    assert early.weekdays == frozenset({0, 1, 2, 3, 4})
    assert [(b.length_s, b.earliest_s, b.latest_s, b.paid) for b in early.breaks] == [
        (1800, 3 * H, 5 * H, False),
        (900, 5400, 5400, True),
    ]
    late = spec.shift_types[1]
    assert late.length_s == 6 * H + 1800
    assert late.weekdays == frozenset({5, 6})
    standard = spec.shift_types[4:]
    # 18:00 to 02:00 next day, 4 h shifts hourly: starts 18:00 .. 22:00.
    assert [t.start_s for t in standard] == [h * H for h in range(18, 23)]
    opts = spec.options
    assert (opts.under_penalty, opts.over_weight, opts.max_concurrent_agents) == (500, 0.1, 40)
    assert (opts.cyclic, opts.break_step_s, opts.time_limit_s) == (True, 900, 30.0)


def test_given_unquoted_afternoon_time_then_it_is_a_time_not_sexagesimal(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("shift_types:\n  - {name: a, start: 14:30, length: 4h}\n", encoding="utf-8")
    assert load_shift_spec(path).shift_types[0].start_s == 14 * H + 1800


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("shift_types:\n  - {name: a, start: '07:00', lenght: 8h}", "shift_types[0]: unknown"),
        ("shift_types:\n  - {name: a, start: '07:00', length: 8}", "shift_types[0].length"),
        ("shift_types:\n  - {name: a, start: '25:00', length: 8h}", "shift_types[0].start"),
        ("shift_types:\n  - {name: a, start: '7am', length: 8h}", "shift_types[0].start"),
        (
            "shift_types:\n  - {name: a, start: '07:00', length: 8h, days: [funday]}",
            "shift_types[0].days[0]",
        ),
        (
            "shift_types:\n  - {name: a, start: '07:00', length: 8h, max_agents: -1}",
            "shift_types[0].max_agents",
        ),
        (
            "shift_types:\n  - {name: a, start: '07:00', length: 8h, min_agents: 1.5}",
            "shift_types[0].min_agents",
        ),
        (
            "shift_types:\n  - {name: a, start: '07:00', length: 4h, breaks: [{length: 1h}]}",
            "shift_types[0].breaks[0]",
        ),
        (
            "shift_types:\n  - {name: a, start: '07:00', length: 4h,"
            " breaks: [{length: 1h, earliest: 2h, latest: 4h}]}",
            "shift_types[0]: shift type 'a'",
        ),
        (
            "shift_types:\n  - {name: a, start: '07:00', length: 4h, min_agents: 3, max_agents: 1}",
            "below min_agents",
        ),
        ("shift_types:\n  - {name: a, length: 4h}", "missing field(s) start"),
        ("shift_types:\n  - {name: a, start: '07:00', length: 4h}\noptions: {cyclic: 1}", "cyclic"),
        ("shift_types:\n  - {name: a, start: '07:00', length: 4h}\noptions: {foo: 1}", "options"),
        (
            "shift_types:\n  - {name: a, start: '07:00', length: 4h}\noptions: {under_penalty: 0}",
            "under_penalty",
        ),
        ("standard: {lengths: [30h]}", "standard"),
        ("options: {}", "give 'shift_types', 'standard' or both"),
        ("- just a list", "expected a mapping"),
        (
            "shift_types:\n  - {name: a, start: '07:00', length: 4h}\n"
            "  - {name: a, start: '08:00', length: 4h}",
            "repeated: a",
        ),
    ],
)
def test_given_bad_spec_then_error_names_the_field(text: str, field: str) -> None:
    with pytest.raises(ScheduleError) as info:
        _parse(text)
    assert field in info.value.message


def test_given_unreadable_or_invalid_yaml_then_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="cannot read shift types"):
        load_shift_spec(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("shift_types: [\n", encoding="utf-8")
    with pytest.raises(ScheduleError, match="not valid YAML"):
        load_shift_spec(bad)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("8h", 28800), ("30m", 1800), ("1h30m", 5400), ("90s", 90), ("1.5h", 5400)],
)
def test_durations_parse_with_units(text: str, seconds: int) -> None:
    assert parse_duration(text, "x") == seconds


def test_durations_and_times_reject_ambiguous_values() -> None:
    for value in (8, "8", "", "h", True):
        with pytest.raises(ScheduleError, match="units"):
            parse_duration(value, "x")
    assert parse_time("06:30", "x") == 6 * H + 1800
    assert parse_time("24:00", "x") == 24 * H
    with pytest.raises(ScheduleError, match="not a time of day"):
        parse_time("24:30", "x")


def test_given_plain_requirement_csv_then_grid_starts_at_midnight(tmp_path: Path) -> None:
    path = tmp_path / "req.csv"
    path.write_text(
        "interval_start,required\n2024-03-05 08:00,3\n2024-03-05 08:30,4\n2024-03-05 09:30,2\n",
        encoding="utf-8",
    )
    req = read_requirement_csv(path)
    assert req.interval_s == 1800
    assert req.origin == datetime(2024, 3, 5)
    assert req.first_weekday == 1  # Tuesday
    assert len(req.required) == 20  # midnight .. 09:30
    assert req.required[16:] == (3.0, 4.0, 0.0, 2.0)
    assert sum(req.required[:16]) == 0


def test_given_staffing_plan_then_scheduled_is_summed_over_queues(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(
        "interval_start,queue,calls,required,scheduled\n"
        "09:00,电话,10,2,2.5\n09:00,在线,4,1,1.2\n10:00,电话,12,3,3.4\n",
        encoding="utf-8",
    )
    req = read_requirement_csv(path)
    assert req.column == "scheduled"
    assert req.origin is None
    assert req.interval_s == H
    assert req.required[9:] == pytest.approx((3.7, 3.4))
    assert read_requirement_csv(path, column="required").required[9:] == (3.0, 3.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("start,required\n08:00,1\n", "missing column interval_start"),
        ("interval_start,calls\n08:00,1\n", "needs a 'required' or 'scheduled' column"),
        ("interval_start,required\n08:00,1\n08:30,-2\n", "row 3: required must be a number"),
        ("interval_start,required\n08:00,1\n08:30,many\n", "row 3"),
        ("interval_start,required\n2024-01-01 08:00,1\nsoon,2\n", "row 3: interval_start"),
        ("interval_start,required\n08:00,1\n08:30,1\n09:15,1\n", "multiples of the 1800 s.*09:15"),
        ("interval_start,required\n", "no rows"),
    ],
)
def test_given_bad_requirement_csv_then_clear_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "req.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ScheduleError, match=message):
        read_requirement_csv(path)


def test_given_missing_requirement_file_then_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="not found"):
        read_requirement_csv(tmp_path / "nope.csv")


def test_requirement_from_series_sums_repeats_and_needs_alignment() -> None:
    req = requirement_from_series([3600, 3600, 7200], [1.0, 2.0, 4.0])
    assert req.required == (0.0, 3.0, 4.0)
    with pytest.raises(ScheduleError, match="no rows"):
        requirement_from_series([], [])


def test_given_command_line_overrides_then_only_given_values_replace_the_files() -> None:
    spec = _parse("standard: {}\noptions: {time_limit: 5s, under_penalty: 50}")
    kept = with_options(spec, time_limit_s=None, under_penalty=None, cyclic=True)
    assert (kept.options.time_limit_s, kept.options.under_penalty) == (5.0, 50.0)
    assert kept.options.cyclic is True
    assert with_options(spec, time_limit_s=30.0).options.time_limit_s == 30.0
    with pytest.raises(ScheduleError, match="time_limit_s"):
        with_options(spec, time_limit_s=-1.0)
