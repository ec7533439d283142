"""Counter numbers of a branch hall, for any staff: the counters of a site are numbered
1..n without gaps in the order their agents were defined, non-counters have none, and an
agent defined later never renumbers the counters before it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.domain.routing import Router
from kefu.service.branch import IdleReason, counter_number, idle_reason

SKILLS = ("cash", "account", "vip")
skill_sets = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 10), max_size=3)
agents = st.lists(
    st.tuples(skill_sets, st.booleans(), st.sampled_from(["north", "south"])),
    min_size=1,
    max_size=12,
)


def hall(services: list[dict[str, int]]) -> Router:
    router = Router()
    for n, skills in enumerate(services):
        router.define_queue(QueueSpec(f"svc-{n}", Channel.BRANCH, skills), 0.0)
    router.define_queue(QueueSpec("chat", Channel.CHAT, {"cash": 1}), 0.0)
    return router


def define(router: Router, n: int, skills: dict[str, int], counter: bool, site: str) -> None:
    capacity = {Channel.BRANCH: 1, Channel.CHAT: 2} if counter else {Channel.CHAT: 2}
    router.define_agent(AgentSpec(f"a{n:02d}", skills, capacity, site_id=site), 0.0)


@settings(max_examples=150, deadline=None)
@given(services=st.lists(skill_sets, min_size=1, max_size=3), staff=agents, late=agents)
def test_given_any_staff_then_counters_are_numbered_without_gaps_and_keep_their_numbers(
    services: list[dict[str, int]],
    staff: list[tuple[dict[str, int], bool, str]],
    late: list[tuple[dict[str, int], bool, str]],
) -> None:
    router = hall(services)
    for n, (skills, counter, site) in enumerate(staff):
        define(router, n, skills, counter, site)
    before = {a: counter_number(router, a) for a in router.agents}
    for site in ("north", "south"):
        numbers = [
            before[a] for a, r in router.agents.items() if r.spec.site_id == site and before[a]
        ]
        assert numbers == list(range(1, len(numbers) + 1))
    for agent_id, number in before.items():
        if number is None:  # not a counter: it says why when it is asked to call
            assert idle_reason(router, agent_id) == IdleReason("not_counter", 0, 0)
    for n, (skills, counter, site) in enumerate(late, start=len(staff)):
        define(router, n, skills, counter, site)
    assert all(counter_number(router, a) == number for a, number in before.items())
