from __future__ import annotations

from pathlib import Path

import pytest

from kefu.sim import ScenarioError, compile_scenario, load_scenario, run

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

GOOD = """
horizon_s: 3600
agents:
  - {group: g, count: 2}
queues:
  - id: q
    arrivals: {rate_per_s: 0.1}
    handle: {dist: exponential, mean_s: 60}
"""
BREAK = "{start_s: 0, end_s: 100, breaks: [{start_s: 90, duration_s: 60}]}"


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("3600", "-5"), "horizon_s: Input should be greater than 0"),
        (GOOD.replace("exponential", "weibull"), "queues[0].handle: Input tag 'weibull'"),
        (GOOD.replace("mean_s: 60", "mean_s: 0"), "queues[0].handle.exponential.mean_s"),
        (GOOD.replace("{group: g, count: 2}", "{group: g, cuont: 2}"), "agents[0].cuont"),
        (
            GOOD.replace("{rate_per_s: 0.1}", "{rate_per_s: 0.1, times_s: [1]}"),
            "queues[0].arrivals[0]: give exactly one of",
        ),
        (
            GOOD.replace("    arrivals: {rate_per_s: 0.1}\n", ""),
            "queues[0].arrivals: Field required",
        ),
        (
            GOOD + "    overflow: [{after_s: 30, to_queue: nowhere}]\n",
            "queues[0].overflow[0].to_queue: unknown queue 'nowhere'",
        ),
        (
            GOOD.replace("{group: g, count: 2}", "{group: g, count: 2, skills: {x: 11}}"),
            "agents[0].skills.x",
        ),
        (GOOD + "warmup_s: 4000\n", "warmup_s: 4000"),
        (GOOD + "ring_delay_s: 30\n", "ring_delay_s: must be below"),
        (
            GOOD.replace(
                "{group: g, count: 2}",
                "{group: g, count: 2, shift: " + BREAK + "}",
            ),
            "agents[0].shift: break 0",
        ),
        (GOOD.replace("id: q", "id: q\n    sl_target: 1.5"), "queues[0].sl_target"),
        (
            GOOD.replace("count: 2", "count: 2, ids: [a]"),
            "agents[0]: give exactly one of count, ids or per_interval",
        ),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("horizon_s: [unclosed\n", "not valid YAML at line"),
    ],
)
def test_given_bad_scenario_when_loaded_then_error_names_the_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write(tmp_path, text))
    assert expected in str(err.value)


def test_given_overflow_cycle_then_refused_with_the_cycle(tmp_path: Path) -> None:
    text = (
        GOOD
        + """    overflow: [{after_s: 30, to_queue: r}]
  - id: r
    arrivals: {rate_per_s: 0.1}
    handle: {dist: fixed, value_s: 10}
    overflow: [{after_s: 30, to_queue: q}]
"""
    )
    with pytest.raises(ScenarioError, match="cycle: q → r → q"):
        load_scenario(_write(tmp_path, text))


def test_given_missing_file_then_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read scenario"):
        load_scenario(tmp_path / "absent.yaml")


def test_given_data_file_problems_then_compile_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "calls.csv").write_text("at,kind\n0:01:00,x\n", encoding="utf-8")
    replay = GOOD.replace("{rate_per_s: 0.1}", "{replay: {path: calls.csv, column: arrival}}")
    with pytest.raises(
        ScenarioError, match=r"queues\[0\].arrivals\[0\].replay: calls.csv has no column"
    ):
        compile_scenario(load_scenario(_write(tmp_path, replay)))
    missing = GOOD.replace(
        "{dist: exponential, mean_s: 60}",
        "{dist: empirical, data: {path: nothing.csv, column: t}}",
    )
    with pytest.raises(ScenarioError, match=r"queues\[0\].handle.data: cannot read data file"):
        compile_scenario(load_scenario(_write(tmp_path, missing)))
    too_many = GOOD.replace("{rate_per_s: 0.1}", "{per_interval: [1, 2, 3, 4, 5]}")
    text = too_many.replace("horizon_s: 3600", "horizon_s: 3600\ninterval_s: 900")
    with pytest.raises(ScenarioError, match=r"queues\[0\].arrivals\[0\].per_interval: 5 values"):
        compile_scenario(load_scenario(_write(tmp_path, text)))


def test_given_replayed_timestamps_when_run_then_each_row_is_one_contact(tmp_path: Path) -> None:
    rows = ["kind\tat"] + [
        f"{k}\t{h}:{m:02d}:{s:02d}"
        for k, h, m, s in [
            ("A", 0, 0, 10),
            ("B", 0, 1, 0),
            ("A", 0, 2, 30),
            ("A", 1, 0, 0),
            ("A", 0, 0, 0),
        ]
    ]
    (tmp_path / "calls.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = GOOD.replace(
        "{rate_per_s: 0.1}",
        '{replay: {path: calls.tsv, column: at, delimiter: "\\t", where: {kind: A}}}',
    )
    result = run(_write(tmp_path, text), trace=True)
    trace = result.replications[0].trace
    assert trace is not None
    # Rows of kind A at 10 s, 150 s and 3600 s; 0:00:00 is dropped as not positive and
    # 3600 s is at the horizon (arrivals are kept in [0, horizon)).
    assert [c.arrived_s for c in trace] == [10.0, 150.0]


def test_given_chinese_names_then_they_survive_to_the_report(tmp_path: Path) -> None:
    text = GOOD.replace("id: q", "id: 账单\n    name: 账单查询").replace("group: g", "group: 座席")
    result = run(_write(tmp_path, text))
    assert "账单" in result.summary.queues
    assert "座席" in result.summary.occupancy


@pytest.mark.parametrize("name", ["seed001_hall.yaml", "multiskill_day.yaml"])
def test_given_shipped_examples_then_they_load_and_compile(name: str) -> None:
    plan = compile_scenario(load_scenario(EXAMPLES / name))
    assert plan.queues
    if name == "multiskill_day.yaml":
        assert len(plan.queues) == 20
        assert len(plan.agents) == 1000
        expected = sum(float(a.expected.sum()) for q in plan.queues for a in q.arrivals)
        assert 290_000 <= expected <= 310_000
