"""Admin-defined case types in the engine: a type's own escalation steps run on its own
targets (a reassignment to a team half a target after the deadline), and a change of the
targets re-arms the open cases' timers."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from kefu.bootstrap import build_simulation
from kefu.service.cases import DefineCaseType, Notice, OpenCase, UpdateCaseType
from kefu.service.routing import commands as c
from kefu.service.teams import CreateTeam

H = 3600.0
SH = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=SH).timestamp()
DISPUTE = {
    "type_id": "dispute",
    "kind": "complaint",
    "label_en": "Dispute",
    "label_zh": "争议",
    "targets": [{"tier": 0, "first_response_h": 8, "resolution_h": 4}],
    "escalations": [
        {"clock": "resolution", "fraction": 0.5, "action": "notify", "to": "owner"},
        {"clock": "resolution", "fraction": 1.5, "action": "reassign", "to": "disputes"},
    ],
}


def test_given_a_type_with_its_own_steps_when_its_deadline_passes_then_they_run_in_order() -> None:
    async def main() -> None:
        async with build_simulation(start=MONDAY_10) as sim:
            wing = sim.platform.cases
            assert wing is not None
            told: list[tuple[float, Notice]] = []
            wing.listeners.append(lambda n: told.append((sim.clock.now(), n)))
            e = sim.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(CreateTeam("disputes", "争议处理组", "sh"))  # the reassignment's team
            await e(DefineCaseType(DISPUTE))
            case = await e(OpenCase("dispute", "重复扣款", by="li", site_id="sh",
                                    owner=("agent", "a1")))  # fmt: skip
            await sim.step(2.5 * H)  # half the 4 h target at 12:00
            assert [(n[1], n[2], n[3]) for _, n in told] == [("resolution", "notify", "owner")]
            # The target doubles: the reassignment at 1.5 x 8 h = Tuesday 13:00 (9-18 days).
            await e(UpdateCaseType("dispute", {**DISPUTE, "targets": [
                {"tier": 0, "first_response_h": 8, "resolution_h": 8}]}))  # fmt: skip
            await sim.step(H * 20)  # Tuesday 08:30: not yet
            assert wing.store.book.case(case.case_id).owner_id == "a1"
            await sim.step(H * 5)  # Tuesday 13:30
            done = wing.store.book.case(case.case_id)
            assert (done.owner_kind, done.owner_id) == ("team", "disputes")
            at, last = told[-1]
            assert last[2] == "reassign"
            assert at == datetime(2026, 3, 3, 13, 0, tzinfo=SH).timestamp()

    asyncio.run(main())
