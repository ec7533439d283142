"""IVR and department nodes in the contact map, on a generated log whose answer is known:
the IVR route of handed-off contacts, the sessions that ended in the IVR, the case waits on
departments, a department revisit and the one case waiting on a department past its SLA."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Mapping
from typing import Any

from contact_log import DAY, LogWriter

from kefu.analytics.contactmap import build_contact_map, write_contact_map_csv
from kefu.analytics.contactmap_more import Record, extras_from_records
from kefu.analytics.contactmap_svg import contact_map_svg
from kefu.domain import events as ev
from kefu.domain.cases import events as cev
from kefu.domain.ivr import events as iev

END = 30 * DAY
MENU = {"ivr.flow": "main@3", "ivr.path": "main:2>bill:1", "ivr.self_service": "balance=error"}


def _routing_log(rng: random.Random) -> list[ev.Event]:
    w = LogWriter()
    for n in range(30):  # the IVR hands them to billing after a failed balance look-up
        at = rng.uniform(0, 20 * DAY)
        w.events.append(
            ev.ContactQueued(at, f"ivr-bill{n}", "q_bill", "voice", 0, 0, f"c{n}", MENU, None, 1)
        )
        w.accepted(f"ivr-bill{n}", at + 10, "a1")
        w.completed(f"ivr-bill{n}", at + 200, "a1")
    for n in range(20):  # straight from the main menu to cards
        at = rng.uniform(0, 20 * DAY)
        attrs = {"ivr.flow": "main@2", "ivr.path": "main:1"}
        w.events.append(
            ev.ContactQueued(at, f"ivr-card{n}", "q_card", "voice", 0, 0, None, attrs, None, 1)
        )
        w.abandoned(f"ivr-card{n}", at + 30, "q_card")
    for n in range(50):  # chats never see the IVR
        w.handled(f"chat{n}", rng.uniform(0, 20 * DAY), "q_chat", "a2", channel="chat")
    # The case tasks: their deadline travels with the work item.
    for case_id, due in (("C1", END - DAY), ("C3", END + 5 * DAY), ("C4", 10 * DAY)):
        attrs = {"case_id": case_id, "sla_due": f"{due:.0f}", "task": "check"}
        task = f"task-{case_id}"
        queued = ev.ContactQueued(DAY, task, "q_back", "workitem", 0, 0, None, attrs, None, 1)
        w.events.append(queued)
    return w.sorted()


def _ivr(at: float, conv: str, *events: iev.IvrEvent) -> list[Record]:
    return [(at, "ivr", "opened", conv, {"channel": "voice"})] + [
        (e.at, "ivr", iev.ivr_event_to_dict(e)["type"], conv, iev.ivr_event_to_dict(e))
        for e in events
    ]


def _started(at: float, conv: str) -> iev.FlowStarted:
    return iev.FlowStarted(at, conv, "main", 3, "zh", {}, None, None, None, None)


def _balance(at: float, conv: str) -> list[iev.IvrEvent]:
    """Started, chose the balance (3) in the main menu, and got it."""
    return [
        _started(at, conv),
        iev.OptionMatched(at + 5, conv, "main", "3", "bal", "dtmf"),
        iev.SelfServiceCompleted(at + 9, conv, "bal", "balance", "ok", {}),
    ]


def _ivr_records() -> list[Record]:
    out: list[Record] = []
    for n in range(10):  # served: the balance, then the flow ends the call
        at, conv = DAY + n, f"served{n}"
        out += _ivr(at, conv, *_balance(at, conv), iev.Ended(at + 12, conv, "bye"))
    for n in range(4):  # served, then hung up: contained too
        at, conv = 2 * DAY + n, f"hungup{n}"
        out += _ivr(at, conv, *_balance(at, conv), iev.Abandoned(at + 10, conv, "bal"))
    for n in range(5):  # gave up in the main menu
        at, conv = 3 * DAY + n, f"lost{n}"
        out += _ivr(at, conv, _started(at, conv), iev.Abandoned(at + 20, conv, "main"))
    for n in range(3):  # handed off: these are contacts of the routing log
        at, conv = 4 * DAY + n, f"handed{n}"
        out += _ivr(
            at, conv, _started(at, conv),
            iev.HandedOff(at + 8, conv, "main", "q_bill", False, "menu", {}),
        )  # fmt: skip
    return out


def _case(case_id: str, at: float) -> Record:
    opened = cev.CaseOpened(
        at, case_id, "fault", f"cust-{case_id}", "s1", "title", 0, 0, {}, None, None, "a9"
    )
    return (at, "case", "CaseOpened", case_id, cev.case_event_to_dict(opened))


def _move(case_id: str, at: float, frm: str, to: str, by: str, dept: str | None) -> Record:
    moved = cev.CaseStateChanged(at, case_id, frm, to, "", by, dept, None, None)
    return (at, "case", "CaseStateChanged", case_id, cev.case_event_to_dict(moved))


def _case_records() -> list[Record]:
    wait = "waiting_on_department"
    return [
        _case("C1", DAY), _move("C1", 2 * DAY, "open", wait, "a1", "legal"),
        _case("C2", DAY), _move("C2", 2 * DAY, "open", wait, "a2", "legal"),
        _move("C2", 3 * DAY, wait, wait, "legal-1", "risk"),
        _move("C2", 4 * DAY, wait, wait, "risk-1", "legal"),
        _move("C2", 5 * DAY, wait, "resolved", "legal-1", None),
        _case("C3", DAY), _move("C3", 2 * DAY, "open", wait, "a1", "legal"),
        _case("C4", DAY), _move("C4", 2 * DAY, "open", wait, "a1", "risk"),
        _move("C4", 20 * DAY, wait, "open", "risk-1", None),
    ]  # fmt: skip


def _queued(log: list[ev.Event]) -> list[tuple[float, Mapping[str, Any]]]:
    return [(e.at, e.attributes) for e in log if isinstance(e, ev.ContactQueued)]


def _map() -> Any:
    from kefu.analytics.contactmap_more import case_deadlines

    log = _routing_log(random.Random(15))
    records = sorted(_ivr_records() + _case_records(), key=lambda r: r[0])
    extras = extras_from_records(records, until=END, due=case_deadlines(_queued(log)))
    return build_contact_map(log, until=END, extras=extras)


def test_given_ivr_hand_offs_when_map_built_then_ivr_nodes_between_channel_and_queue() -> None:
    edges = {(e.source, e.target): e.volume for e in _map().edges}
    assert edges[("channel:voice", "ivr:main")] == 30 + 20 + 10 + 4 + 5
    assert edges[("ivr:main", "ivr:main/main:2")] == 30
    assert edges[("ivr:main/main:2", "ivr:main/bill:1")] == 30
    assert edges[("ivr:main/bill:1", "ivr:main/service:balance=error")] == 30
    assert edges[("ivr:main/service:balance=error", "queue:q_bill")] == 30
    assert edges[("ivr:main/main:1", "queue:q_card")] == 20
    assert edges[("channel:chat", "queue:q_chat")] == 50
    assert not any(s.startswith("ivr:") for s, t in edges if t == "queue:q_chat")


def test_given_sessions_ending_in_the_ivr_when_map_built_then_contained_and_abandoned() -> None:
    cmap = _map()
    edges = {(e.source, e.target): e.volume for e in cmap.edges}
    assert edges[("ivr:main/service:balance=ok", "outcome:ivr_contained")] == 14
    assert edges[("ivr:main", "outcome:ivr_abandoned")] == 5
    assert cmap.ivr_sessions == 19  # the 3 handed off are contacts of the routing log
    assert cmap.contacts == 30 + 20 + 50 + 3 + 19


def test_given_case_waits_when_map_built_then_departments_revisits_and_late_waits() -> None:
    cmap = _map()
    edges = {(e.source, e.target): e.volume for e in cmap.edges}
    assert edges[("agent:a1", "department:legal")] == 2
    assert edges[("agent:a2", "department:legal")] == 1
    assert edges[("department:legal", "department:risk")] == 1
    assert edges[("department:risk", "department:legal")] == 1
    assert edges[("department:legal", "outcome:case_resolved")] == 1
    assert edges[("department:legal", "outcome:case_waiting")] == 2
    assert edges[("department:risk", "outcome:case_open")] == 1
    assert cmap.department_waits == 6
    late = [b for b in cmap.blind_spots if b.kind == "department_past_sla"]
    assert [(b.contact_id, b.queue_id, b.at) for b in late] == [("C1", "legal", END - DAY)]
    revisits = [lp for lp in cmap.loops if lp.kind == "department_revisit"]
    assert [(lp.contact_id, lp.queues, lp.path) for lp in revisits] == [
        ("C2", ("legal",), ("department:legal", "department:risk", "department:legal"))
    ]


def test_given_map_with_departments_when_exported_then_csv_and_svg_show_them() -> None:
    cmap = _map()
    out = io.StringIO()
    write_contact_map_csv(cmap, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    late = [r for r in rows if r["detail"] == "department_past_sla"]
    assert [(r["contact_id"], r["target"], r["customer_id"]) for r in late] == [
        ("C1", "department:legal", "cust-C1")
    ]
    svg = contact_map_svg(cmap, titles={"department": "部门"})
    assert 'data-node="department:legal"' in svg and 'data-node="ivr:main"' in svg
    assert ">部门</text>" in svg
