"""A real day replayed: the Anonymous Bank's calls of 1 February 1999 (shared data)."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import pytest
import yaml

from kefu.sim import compile_scenario, load_scenario, parse_scenario, run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bank_feb1999.yaml"


def test_given_the_bank_day_when_replayed_then_each_call_arrives_once_with_real_talk_times(
    shared_data: Path,
) -> None:
    tsv = shared_data / "anonymous_bank_1999_february.tsv"
    with tsv.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    day = [r for r in rows if r["date"] == "990201" and r["vru_exit"] != "0:00:00"]
    talk = [
        float(r["ser_time"]) for r in rows if r["outcome"] == "AGENT" and float(r["ser_time"]) > 0
    ]

    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    queue = data["queues"][0]
    queue["arrivals"]["replay"]["path"] = str(tsv)
    queue["handle"]["data"]["path"] = str(tsv)
    result = run(parse_scenario(data), replications=4, seed=1)

    for rep in result.replications:
        total = rep.report.total
        assert total.offered == len(day)
        assert total.answered + total.abandoned + rep.report.waiting_at_end == total.offered
    aht = result.summary.total["aht_s"]
    assert aht.mean == pytest.approx(statistics.fmean(talk), rel=0.1)
    sl = result.summary.total["service_level"].mean
    assert sl is not None and 0.5 < sl <= 1.0  # staffed as the bank was, most calls wait little
    ten_oclock = {rep.report.intervals[10].total.offered for rep in result.replications}
    assert ten_oclock == {sum(1 for r in day if r["vru_exit"].startswith("10:"))}


@pytest.mark.usefixtures("shared_data")  # the example replays the shared data
def test_given_the_shipped_example_then_its_relative_data_paths_resolve() -> None:
    plan = compile_scenario(load_scenario(EXAMPLE))
    (arrivals,) = plan.queues[0].arrivals
    assert arrivals.times is not None and arrivals.times.size > 1000
