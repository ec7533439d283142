"""An agent's scorecard figures on hand-made logs with known answers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kefu.analytics.history import ReportRow
from kefu.analytics.records import DEFAULT_WAIT_BINS_S
from kefu.analytics.report_build import queue_kpi
from kefu.analytics.scorecard import (
    NO_REASON,
    csat_by,
    group_total,
    presence_seconds,
    work_by_channel,
)
from kefu.analytics.tallies import Tally
from kefu.analytics.visits import AgentSeconds, Visit
from kefu.domain import events as ev
from kefu.domain.cases.surveys import Survey, SurveySent

T0 = 1_767_542_400.0


def _visit(contact_id: str, agent_id: str | None, channel: str = "voice", **kw: object) -> Visit:
    base = Visit(
        contact_id, 0, "q", "sh", channel, 0, None, T0, None, 20.0, 5.0, "answered", 3.0,
        T0 + 3, agent_id, T0 + 100, True, 60.0, 10.0, 20.0, None, False, False, False,
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def test_given_visits_when_worked_by_channel_then_handled_aht_and_transfers_per_channel() -> None:
    visits = [
        _visit("c1", "a1"),
        _visit("c2", "a1", talk_s=120.0),
        _visit("c3", "a1", channel="chat", handled=False, transferred_out=True),
        _visit("c4", "a2"),
        _visit("c5", "a1", outcome="abandoned", answered_at=None),
    ]
    work = {w.channel: w for w in work_by_channel(visits, "a1")}
    assert set(work) == {"chat", "voice"}
    assert work["voice"].handled == 2 and work["voice"].aht_s == pytest.approx(120.0)
    assert work["chat"].handled == 0 and work["chat"].aht_s is None
    assert work["chat"].transferred_out == 1


def test_given_presence_changes_across_the_range_then_seconds_per_state_inside_it() -> None:
    events = [
        ev.AgentStateChanged(T0 - 600, "a1", "not_ready", "training"),  # before the range
        ev.AgentStateChanged(T0 + 300, "a1", "ready", None),
        ev.AgentStateChanged(T0 + 900, "a2", "not_ready", "lunch"),  # another agent
        ev.AgentStateChanged(T0 + 1200, "a1", "not_ready", "lunch"),
        ev.AgentStateChanged(T0 + 1800, "a1", "offline", None),
        ev.AgentStateChanged(T0 + 3000, "a1", "ready", None),  # till the end of the range
    ]
    seconds = presence_seconds(events, "a1", T0, T0 + 3600)
    assert dict(seconds) == {
        ("not_ready", "training"): 300.0,
        ("ready", NO_REASON): 900.0 + 600.0,
        ("not_ready", "lunch"): 600.0,
    }
    assert presence_seconds([], "a1", T0, T0 + 60) == {}


def test_given_surveys_then_csat_per_agent_of_the_answered_in_range_and_sites() -> None:
    def survey(i: int, agent: str, score: int | None, site: str = "sh", at: float = T0) -> Survey:
        sent = SurveySent(
            at, f"s{i}", f"subj{i}", "k", "sms", None, site, "q", agent, None, None, None, at + 1e5
        )
        return Survey(sent, score)

    surveys = [
        survey(1, "a1", 5),
        survey(2, "a1", 2),
        survey(3, "a1", None),
        survey(4, "a1", 4, site="bj"),
        survey(5, "a1", 5, at=T0 - 10),
        survey(6, "a2", 4),
    ]
    found = csat_by(surveys, T0, T0 + 3600, lambda s: s.agent_id, frozenset({"sh"}))
    assert found["a1"].answered == 2 and found["a1"].csat == 0.5
    assert found["a2"].csat == 1.0


def test_given_two_agents_rows_when_totalled_as_a_team_then_counts_and_seconds_add_up() -> None:
    bins = DEFAULT_WAIT_BINS_S

    def row(agent: str, waits: list[float], talk: float, seconds: AgentSeconds) -> ReportRow:
        tally = Tally(len(bins))
        for wait in waits:
            tally.offered += 1
            tally.answer(wait, 20.0, bins, None)
            tally.handle(talk, 0.0, 10.0)
        return ReportRow(T0, T0 + 900, (agent,), queue_kpi((tally,), len(bins), 0, 0, 0), seconds)

    rows = [
        row("a1", [5.0], 60.0, AgentSeconds(70.0, 30.0, 200.0)),
        row("a2", [10.0, 40.0], 140.0, AgentSeconds(300.0, 100.0, 600.0)),
    ]
    total = group_total(rows, ("cards",))
    assert total is not None and total.group == ("cards",)
    figures = total.figures()
    assert (figures["offered"], figures["answered"], total.contacts.handled) == (3, 3, 3)
    assert figures["aht_s"] == pytest.approx((70.0 + 2 * 150.0) / 3)  # weighted, not averaged
    assert figures["service_level"] == pytest.approx(2 / 3)
    assert figures["occupancy"] == pytest.approx(370.0 / 500.0)
    assert total.agents is not None and total.agents.staffed_s == 800.0
    assert group_total([], ("cards",)) is None
